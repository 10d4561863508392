// The txctl commands that talk to a running service over Thrift. Each returns
// the process exit code (see txctl_exit_codes.h) and prints its result to out
// and its complaints to err.
#pragma once

#include <ostream>

#include "tools/txctl_args.h"

namespace twopc::txctl {

// How long txctl waits for a TCP connection to be accepted.
constexpr int kConnectTimeoutMs = 2000;
// Reply deadline for quick calls (status, query, health).
constexpr int kShortCallTimeoutMs = 30000;
// Extra time an execute may take beyond its prepare timeout (commit delivery);
// also the whole budget when the coordinator's default prepare timeout applies.
constexpr int kExecuteSlackMs = 60000;

int RunExec(const Command& command, std::ostream& out, std::ostream& err);
int RunStatus(const Command& command, std::ostream& out, std::ostream& err);
int RunQuery(const Command& command, std::ostream& out, std::ostream& err);
int RunHealth(const Command& command, std::ostream& out, std::ostream& err);
int RunInDoubt(const Command& command, std::ostream& out, std::ostream& err);

}  // namespace twopc::txctl
