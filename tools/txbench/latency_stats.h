// Latency percentiles of committed transactions.
#pragma once

#include <cstdint>
#include <vector>

namespace twopc::txbench {

struct LatencySummary {
  int64_t p50_us = 0;
  int64_t p99_us = 0;
  int64_t max_us = 0;
};

// The value of nearest rank ceil(percent/100 * n) in ascending order; 0 when
// `sorted` is empty. `sorted` must be ascending.
int64_t NearestRank(const std::vector<int64_t>& sorted, double percent);

// p50, p99 and max of `latencies_us` (any order; sorted in place).
LatencySummary Summarize(std::vector<int64_t>* latencies_us);

}  // namespace twopc::txbench
