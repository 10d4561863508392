// The coordinator's counters and latency histograms. Updated on the commit
// path with relaxed atomic increments only; read when /metrics is scraped.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "wal/base/atomic_histogram.h"

namespace twopc::coordinator {

// Why a transaction aborted, as a metric label.
enum class AbortCause { kVotedNo, kPrepareTimeout, kUnreachable, kDeadlock, kDeadline, kCount };

inline const char* AbortCauseLabel(AbortCause cause) {
  switch (cause) {
    case AbortCause::kVotedNo:
      return "voted_no";
    case AbortCause::kPrepareTimeout:
      return "prepare_timeout";
    case AbortCause::kUnreachable:
      return "participant_unreachable";
    case AbortCause::kDeadlock:
      return "deadlock";
    case AbortCause::kDeadline:
      return "deadline";
    case AbortCause::kCount:
      break;
  }
  return "unknown";
}

// The last transactions finished, for the status page. Lock-free: a writer
// claims a slot with one atomic increment. A reader racing a writer may see a
// slot half updated; it is for display only.
class RecentTransactions {
 public:
  static constexpr size_t kSlots = 16;
  enum Outcome : int { kCommitted = 1, kAborted = 2, kUnknown = 3 };
  struct Entry {
    int64_t txid;
    Outcome outcome;
    int64_t micros;
  };

  void Add(int64_t txid, Outcome outcome, int64_t micros) {
    Slot& slot = slots_[next_.fetch_add(1, std::memory_order_relaxed) % kSlots];
    slot.txid.store(txid, std::memory_order_relaxed);
    slot.outcome.store(outcome, std::memory_order_relaxed);
    slot.micros.store(micros, std::memory_order_relaxed);
  }
  // Newest first.
  std::vector<Entry> Read() const {
    const uint64_t next = next_.load(std::memory_order_relaxed);
    std::vector<Entry> out;
    for (uint64_t i = 0; i < kSlots && i < next; ++i) {
      const Slot& slot = slots_[(next - 1 - i) % kSlots];
      const int64_t txid = slot.txid.load(std::memory_order_relaxed);
      if (txid == 0) continue;
      out.push_back({txid, static_cast<Outcome>(slot.outcome.load(std::memory_order_relaxed)),
                     slot.micros.load(std::memory_order_relaxed)});
    }
    return out;
  }

 private:
  struct Slot {
    std::atomic<int64_t> txid{0};
    std::atomic<int> outcome{0};
    std::atomic<int64_t> micros{0};
  };
  std::atomic<uint64_t> next_{0};
  Slot slots_[kSlots];
};

struct CoordinatorMetrics {
  std::atomic<uint64_t> begun{0};
  std::atomic<uint64_t> committed{0};
  std::atomic<uint64_t> aborted[static_cast<size_t>(AbortCause::kCount)] = {};
  std::atomic<uint64_t> unknown{0};  // one-phase transactions whose outcome is unknown
  // Commit RPCs sent again after a failed delivery (by the redelivery loop).
  std::atomic<uint64_t> delivery_retries{0};
  wal::AtomicHistogram prepare_latency{wal::AtomicHistogram::LatencyBoundsNanos()};
  // From the commit decision until every participant acknowledged (first try).
  wal::AtomicHistogram commit_latency{wal::AtomicHistogram::LatencyBoundsNanos()};
  // A whole committed transaction, request to reply.
  wal::AtomicHistogram transaction_latency{wal::AtomicHistogram::LatencyBoundsNanos()};
  RecentTransactions recent;

  uint64_t aborted_total() const {
    uint64_t total = 0;
    for (const auto& a : aborted) total += a.load(std::memory_order_relaxed);
    return total;
  }
  void CountAbort(AbortCause cause) {
    aborted[static_cast<size_t>(cause)].fetch_add(1, std::memory_order_relaxed);
  }
};

inline uint64_t NanosSince(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count());
}

}  // namespace twopc::coordinator
