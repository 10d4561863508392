#include "tools/txbench/latency_stats.h"

#include <algorithm>
#include <cmath>

namespace twopc::txbench {

int64_t NearestRank(const std::vector<int64_t>& sorted, double percent) {
  if (sorted.empty()) return 0;
  const double n = static_cast<double>(sorted.size());
  size_t rank = static_cast<size_t>(std::ceil(percent / 100.0 * n));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

LatencySummary Summarize(std::vector<int64_t>* latencies_us) {
  std::sort(latencies_us->begin(), latencies_us->end());
  LatencySummary summary;
  summary.p50_us = NearestRank(*latencies_us, 50);
  summary.p99_us = NearestRank(*latencies_us, 99);
  summary.max_us = latencies_us->empty() ? 0 : latencies_us->back();
  return summary;
}

}  // namespace twopc::txbench
