#include "thrift/admin/rate_history.h"

#include <algorithm>

namespace twopc::admin {

double QuantileMs(const wal::AtomicHistogram::Snapshot& nanos, double q) {
  const uint64_t total = nanos.count();
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t i = 0; i < nanos.counts.size(); ++i) {
    const uint64_t in_bucket = nanos.counts[i];
    if (in_bucket > 0 && static_cast<double>(below + in_bucket) >= rank) {
      if (i >= nanos.upper_bounds.size()) break;  // +Inf bucket
      const double low = i == 0 ? 0 : static_cast<double>(nanos.upper_bounds[i - 1]);
      const double high = static_cast<double>(nanos.upper_bounds[i]);
      const double within = (rank - static_cast<double>(below)) / static_cast<double>(in_bucket);
      return (low + (high - low) * within) / 1e6;
    }
    below += in_bucket;
  }
  return nanos.upper_bounds.empty() ? 0 : static_cast<double>(nanos.upper_bounds.back()) / 1e6;
}

wal::AtomicHistogram::Snapshot Difference(const wal::AtomicHistogram::Snapshot& now,
                                          const wal::AtomicHistogram::Snapshot& before) {
  wal::AtomicHistogram::Snapshot out = now;
  for (size_t i = 0; i < out.counts.size() && i < before.counts.size(); ++i) {
    out.counts[i] -= std::min(out.counts[i], before.counts[i]);
  }
  out.sum -= std::min(out.sum, before.sum);
  return out;
}

void RateHistory::Record(int64_t unix_ms, uint64_t committed_total, uint64_t aborted_total,
                         const wal::AtomicHistogram::Snapshot& latency_nanos) {
  std::lock_guard<std::mutex> lock(mu_);
  if (last_ && unix_ms > last_->unix_ms) {
    RateSample sample;
    sample.unix_ms = unix_ms;
    sample.seconds = static_cast<double>(unix_ms - last_->unix_ms) / 1000.0;
    sample.committed = committed_total - std::min(committed_total, last_->committed);
    sample.aborted = aborted_total - std::min(aborted_total, last_->aborted);
    const wal::AtomicHistogram::Snapshot delta = Difference(latency_nanos, last_->latency);
    sample.p50_ms = QuantileMs(delta, 0.5);
    sample.p99_ms = QuantileMs(delta, 0.99);
    samples_.push_back(sample);
    if (samples_.size() > capacity_) samples_.pop_front();
  }
  last_ = Totals{unix_ms, committed_total, aborted_total, latency_nanos};
}

std::vector<RateSample> RateHistory::Samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {samples_.begin(), samples_.end()};
}

}  // namespace twopc::admin
