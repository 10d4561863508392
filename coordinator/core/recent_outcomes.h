// The outcomes of the most recent transactions, to answer status and resolve
// after a transaction has left memory. Bounded, and allocated up front: the
// oldest are forgotten, and memory stays flat however long txcoord runs.
#pragma once

#include <cstdint>
#include <optional>

#include "wal/base/recent_txid_map.h"

namespace twopc::coordinator {

enum class TxnOutcome { kCommitted, kAborted };

class RecentOutcomes {
 public:
  explicit RecentOutcomes(size_t capacity) : outcomes_(capacity) {}

  // The first outcome remembered for a txid stands.
  void Remember(int64_t txid, TxnOutcome outcome) {
    if (outcomes_.Find(txid) == nullptr) outcomes_.Put(txid, outcome);
  }
  std::optional<TxnOutcome> Find(int64_t txid) const {
    const TxnOutcome* outcome = outcomes_.Find(txid);
    if (outcome == nullptr) return std::nullopt;
    return *outcome;
  }

 private:
  RecentTxidMap<TxnOutcome> outcomes_;
};

}  // namespace twopc::coordinator
