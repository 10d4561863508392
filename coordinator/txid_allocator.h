// Transaction ids that stay unique across coordinator restarts: the high bits
// are an epoch that is durably advanced at every start, the low bits count
// transactions within the epoch.
#pragma once

#include <atomic>
#include <cstdint>

namespace twopc::coordinator {

class TxidAllocator {
 public:
  static constexpr int kSequenceBits = 40;  // a trillion transactions per start
  static constexpr uint64_t kMaxEpoch = (uint64_t{1} << (63 - kSequenceBits)) - 1;

  explicit TxidAllocator(uint64_t epoch) : epoch_(epoch) {}

  // Thread-safe. Never returns 0 or a negative id.
  int64_t Next() {
    const uint64_t sequence = next_sequence_.fetch_add(1, std::memory_order_relaxed);
    return static_cast<int64_t>((epoch_ << kSequenceBits) | sequence);
  }
  static uint64_t EpochOf(int64_t txid) { return static_cast<uint64_t>(txid) >> kSequenceBits; }
  uint64_t epoch() const { return epoch_; }

 private:
  const uint64_t epoch_;
  std::atomic<uint64_t> next_sequence_{1};
};

}  // namespace twopc::coordinator
