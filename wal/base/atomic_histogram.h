// A histogram of integer observations (nanoseconds, record counts) that a hot
// path can update with relaxed atomic increments only: no lock, no allocation.
// Readers take a snapshot, which may be a few observations behind a writer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace twopc::wal {

class AtomicHistogram {
 public:
  // `upper_bounds` ascending; one more bucket (+Inf) is added for the rest.
  explicit AtomicHistogram(std::vector<uint64_t> upper_bounds)
      : bounds_(std::move(upper_bounds)),
        counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

  AtomicHistogram(const AtomicHistogram&) = delete;
  AtomicHistogram& operator=(const AtomicHistogram&) = delete;

  void Observe(uint64_t value) {
    size_t bucket = 0;
    while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  struct Snapshot {
    std::vector<uint64_t> upper_bounds;
    std::vector<uint64_t> counts;  // per bucket (not cumulative); the last is +Inf
    uint64_t sum = 0;
    uint64_t count() const {
      uint64_t total = 0;
      for (uint64_t c : counts) total += c;
      return total;
    }
  };
  Snapshot Read() const {
    Snapshot out;
    out.upper_bounds = bounds_;
    out.counts.resize(bounds_.size() + 1);
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      out.counts[i] = counts_[i].load(std::memory_order_relaxed);
    }
    out.sum = sum_.load(std::memory_order_relaxed);
    return out;
  }

  // 50 µs .. 10 s, in nanoseconds: RPCs, fdatasync and whole transactions.
  static std::vector<uint64_t> LatencyBoundsNanos() {
    std::vector<uint64_t> bounds;
    for (uint64_t micros : {50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
                            250000, 500000, 1000000, 2500000, 5000000, 10000000}) {
      bounds.push_back(micros * 1000);
    }
    return bounds;
  }
  // 1, 2, 4, ... 512: how many records (or transactions) one batch carried.
  static std::vector<uint64_t> BatchBounds() {
    std::vector<uint64_t> bounds;
    for (uint64_t n = 1; n <= 512; n *= 2) bounds.push_back(n);
    return bounds;
  }

 private:
  const std::vector<uint64_t> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> sum_{0};
};

}  // namespace twopc::wal
