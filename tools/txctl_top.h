// txctl top: prints the admin endpoint's /status.txt (the figures of the
// status page, as text) every second.
#pragma once

#include <ostream>

#include "tools/txctl_args.h"

namespace twopc::txctl {

// Returns kExitOk, or kExitUnavailable when the endpoint does not answer.
int RunTop(const Command& command, std::ostream& out, std::ostream& err);

}  // namespace twopc::txctl
