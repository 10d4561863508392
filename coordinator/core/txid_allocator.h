// Transaction ids that stay unique across coordinator restarts: the high bits
// are an epoch that is durably advanced at every start, the low bits count
// transactions within the epoch. The decision log picks each epoch at least
// as large as the minutes since 2025, so that even a coordinator whose log
// was lost does not hand out txids its participants have seen before.
#pragma once

#include <atomic>
#include <cstdint>

namespace twopc::coordinator {

class TxidAllocator {
 public:
  static constexpr int kSequenceBits = 34;  // 17 billion transactions per start
  static constexpr uint64_t kMaxEpoch = (uint64_t{1} << (63 - kSequenceBits)) - 1;
  static constexpr uint64_t kMaxSequence = (uint64_t{1} << kSequenceBits) - 1;

  explicit TxidAllocator(uint64_t epoch) : epoch_(epoch) {}

  // Thread-safe. Never returns a negative id; 0 once this epoch's ids are
  // used up (the coordinator must restart to begin a new epoch).
  int64_t Next() {
    const uint64_t sequence = next_sequence_.fetch_add(1, std::memory_order_relaxed);
    if (sequence > kMaxSequence) return 0;
    return static_cast<int64_t>((epoch_ << kSequenceBits) | sequence);
  }
  static uint64_t EpochOf(int64_t txid) { return static_cast<uint64_t>(txid) >> kSequenceBits; }
  uint64_t epoch() const { return epoch_; }

 private:
  const uint64_t epoch_;
  std::atomic<uint64_t> next_sequence_{1};
};

}  // namespace twopc::coordinator
