// Throughput and latency over the last minutes, one sample per second, kept
// in a small ring in memory for the status page and txctl top. Fed with
// cumulative totals; each sample is the difference from the previous feed.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "wal/base/atomic_histogram.h"

namespace twopc::admin {

struct RateSample {
  int64_t unix_ms = 0;     // end of the interval
  double seconds = 0;      // its length
  uint64_t committed = 0;  // during the interval
  uint64_t aborted = 0;
  double p50_ms = 0, p99_ms = 0;  // latency of what finished in it (0: nothing did)
};

// The q-quantile (0..1) of a histogram of nanoseconds, in milliseconds,
// interpolated linearly inside its bucket; 0 when it is empty. Beyond the last
// bound it answers the last bound.
double QuantileMs(const wal::AtomicHistogram::Snapshot& nanos, double q);

// `now` minus `before`, bucket by bucket (same bounds).
wal::AtomicHistogram::Snapshot Difference(const wal::AtomicHistogram::Snapshot& now,
                                          const wal::AtomicHistogram::Snapshot& before);

class RateHistory {
 public:
  explicit RateHistory(size_t capacity = 300) : capacity_(capacity) {}

  // Thread-safe. The first call only sets the baseline.
  void Record(int64_t unix_ms, uint64_t committed_total, uint64_t aborted_total,
              const wal::AtomicHistogram::Snapshot& latency_nanos);
  // Oldest first.
  std::vector<RateSample> Samples() const;

 private:
  struct Totals {
    int64_t unix_ms;
    uint64_t committed, aborted;
    wal::AtomicHistogram::Snapshot latency;
  };
  const size_t capacity_;
  mutable std::mutex mu_;
  std::optional<Totals> last_;
  std::deque<RateSample> samples_;
};

}  // namespace twopc::admin
