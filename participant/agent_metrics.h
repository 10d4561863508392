// The participant agent's counters and latency histograms. Updated on the
// prepare and commit paths with relaxed atomic increments only; read when
// /metrics is scraped.
#pragma once

#include <atomic>
#include <cstdint>

#include "wal/base/atomic_histogram.h"

namespace twopc::participant {

struct AgentMetrics {
  // Prepare answers by vote: YES, NO, READ_ONLY, COMMITTED (one-phase).
  std::atomic<uint64_t> votes_yes{0};
  std::atomic<uint64_t> votes_no{0};
  std::atomic<uint64_t> votes_read_only{0};
  std::atomic<uint64_t> votes_committed{0};
  std::atomic<uint64_t> commits{0};  // prepared transactions applied
  std::atomic<uint64_t> aborts{0};   // prepared transactions released
  // A branch found a row locked by a prepared transaction and waited for it;
  // timeouts are the waits that ended in a NO vote.
  std::atomic<uint64_t> lock_waits{0};
  std::atomic<uint64_t> lock_wait_timeouts{0};
  wal::AtomicHistogram prepare_latency{wal::AtomicHistogram::LatencyBoundsNanos()};
  wal::AtomicHistogram commit_latency{wal::AtomicHistogram::LatencyBoundsNanos()};
};

}  // namespace twopc::participant
