// The outcomes of the most recent transactions, to answer status and resolve
// after a transaction has left memory. Bounded: the oldest are forgotten.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>

#include "coordinator/transaction_machine.h"

namespace twopc::coordinator {

class RecentOutcomes {
 public:
  explicit RecentOutcomes(size_t capacity) : capacity_(capacity) {}

  void Remember(int64_t txid, TxnOutcome outcome) {
    if (!outcomes_.emplace(txid, outcome).second) return;
    order_.push_back(txid);
    if (order_.size() > capacity_) {
      outcomes_.erase(order_.front());
      order_.pop_front();
    }
  }
  std::optional<TxnOutcome> Find(int64_t txid) const {
    auto it = outcomes_.find(txid);
    if (it == outcomes_.end()) return std::nullopt;
    return it->second;
  }

 private:
  const size_t capacity_;
  std::unordered_map<int64_t, TxnOutcome> outcomes_;
  std::deque<int64_t> order_;
};

}  // namespace twopc::coordinator
