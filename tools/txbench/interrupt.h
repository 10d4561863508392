// SIGINT / SIGTERM ask txbench to stop: the run ends early and everything it
// started is still stopped and cleaned up.
#pragma once

namespace twopc::txbench {

// Installs the handlers (and ignores SIGPIPE, which a dropped RPC connection
// would otherwise raise). Call once, before starting any thread.
void InstallInterruptHandlers();

// True once SIGINT or SIGTERM arrived.
bool Interrupted();

}  // namespace twopc::txbench
