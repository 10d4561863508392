// The integration tests' child processes: the tools' Process, by the names
// the tests use.
#pragma once

#include "tools/process/process.h"

namespace twopc::testing {

using tools::Process;
using tools::RunProgram;
using tools::RunResult;

}  // namespace twopc::testing
