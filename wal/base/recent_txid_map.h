// A map from txid to a small value that remembers only the most recent
// `capacity` txids put into it, the oldest forgotten first. All of its memory
// is allocated and touched when it is built, so a process that keeps one
// (finished transactions' outcomes) has the same footprint after ten seconds as
// after ten days. Open addressing with linear probing; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace twopc {

template <typename Value>
class RecentTxidMap {
 public:
  explicit RecentTxidMap(size_t capacity)
      : capacity_(capacity == 0 ? 1 : capacity),
        slots_(SlotCountFor(capacity_)),
        mask_(slots_.size() - 1),
        order_(capacity_, 0) {}

  // Sets txid's value; a txid not yet remembered becomes the newest, and the
  // oldest is forgotten when the map is full.
  void Put(int64_t txid, Value value) {
    size_t i = Home(txid);
    for (; slots_[i].used; i = (i + 1) & mask_) {
      if (slots_[i].txid == txid) {
        slots_[i].value = value;
        return;
      }
    }
    if (size_ == capacity_) {
      Erase(order_[oldest_]);
      order_[oldest_] = txid;
      oldest_ = (oldest_ + 1) % capacity_;
      // Erasing may have moved entries: look for the free slot again.
      for (i = Home(txid); slots_[i].used; i = (i + 1) & mask_) {
      }
    } else {
      order_[(oldest_ + size_) % capacity_] = txid;
      ++size_;
    }
    slots_[i] = Slot{txid, value, true};
  }

  // The value remembered for txid, or nullptr.
  const Value* Find(int64_t txid) const {
    for (size_t i = Home(txid); slots_[i].used; i = (i + 1) & mask_) {
      if (slots_[i].txid == txid) return &slots_[i].value;
    }
    return nullptr;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }

 private:
  struct Slot {
    int64_t txid = 0;
    Value value{};
    bool used = false;
  };

  // At least twice the capacity (short probe sequences), a power of two.
  static size_t SlotCountFor(size_t capacity) {
    size_t slots = 2;
    while (slots < 2 * capacity) slots *= 2;
    return slots;
  }
  size_t Home(int64_t txid) const {
    // Fibonacci hashing: txids are sequential, so spread them over the table.
    return static_cast<size_t>((static_cast<uint64_t>(txid) * 0x9E3779B97F4A7C15ull) >> 20) & mask_;
  }

  // Removes txid, shifting later entries of its probe sequence back so that
  // every remaining entry stays reachable from its home slot.
  void Erase(int64_t txid) {
    size_t hole = Home(txid);
    while (slots_[hole].used && slots_[hole].txid != txid) hole = (hole + 1) & mask_;
    if (!slots_[hole].used) return;
    slots_[hole].used = false;
    for (size_t next = (hole + 1) & mask_; slots_[next].used; next = (next + 1) & mask_) {
      const size_t home = Home(slots_[next].txid);
      // The entry at `next` may move into the hole unless its home lies
      // cyclically in (hole, next].
      const bool home_after_hole = ((next - home) & mask_) < ((next - hole) & mask_);
      if (home_after_hole) continue;
      slots_[hole] = slots_[next];
      slots_[next].used = false;
      hole = next;
    }
  }

  size_t capacity_;
  std::vector<Slot> slots_;
  size_t mask_;
  std::vector<int64_t> order_;  // a ring of the remembered txids, oldest at oldest_
  size_t oldest_ = 0;
  size_t size_ = 0;
};

}  // namespace twopc
