// The exit codes of txctl: part of its contract with scripts and tests.
#pragma once

namespace twopc::txctl {

enum ExitCode : int {
  kExitOk = 0,           // committed, or the command did its job
  kExitAborted = 1,      // the transaction aborted
  kExitBadInput = 2,     // bad usage, or the request was refused as invalid
  kExitUnavailable = 3,  // the service was unreachable, or the outcome is unknown
};

}  // namespace twopc::txctl
