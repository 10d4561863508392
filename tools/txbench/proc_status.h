// Reads what /proc says about a process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace twopc::txbench {

// VmRSS of `pid` in KiB from /proc/PID/status; nullopt if it cannot be read.
std::optional<int64_t> ReadRssKib(pid_t pid);

}  // namespace twopc::txbench
