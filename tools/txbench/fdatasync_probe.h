// The machine's durable-append latency: the floor under any durable commit.
#pragma once

#include <cstdint>
#include <string>

namespace twopc::txbench {

// Median, in microseconds, of `rounds` × (append `bytes` + fdatasync) to a
// new file in `dir`, which is removed afterwards. -1 if the file cannot be
// written.
int64_t MeasureFdatasyncUs(const std::string& dir, int rounds = 200, int bytes = 512);

// The same through twopc's own log (wal::Log::AppendAndSync in a new log
// under `dir`, removed afterwards): an overwrite of preallocated, zero-filled
// space, what every PREPARED and COMMIT record pays. -1 if the log fails.
int64_t MeasureWalSyncUs(const std::string& dir, int rounds = 200, int bytes = 512);

}  // namespace twopc::txbench
