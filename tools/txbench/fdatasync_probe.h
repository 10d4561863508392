// The machine's durable-append latency: the floor under any durable commit.
#pragma once

#include <cstdint>
#include <string>

namespace twopc::txbench {

// Median, in microseconds, of `rounds` × (append `bytes` + fdatasync) to a
// new file in `dir`, which is removed afterwards. -1 if the file cannot be
// written.
int64_t MeasureFdatasyncUs(const std::string& dir, int rounds = 200, int bytes = 512);

}  // namespace twopc::txbench
