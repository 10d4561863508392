#include "participant/transaction_table.h"

#include <algorithm>

namespace twopc::participant {

TransactionTable::PrepareAction TransactionTable::OnPrepareRequest(int64_t txid) {
  auto it = states_.find(txid);
  if (it == states_.end()) {
    states_.emplace(txid, TxnState::kPreparing);
    return PrepareAction::kExecute;
  }
  switch (it->second) {
    case TxnState::kPrepared:
      return PrepareAction::kAlreadyPrepared;
    case TxnState::kCommitted:
      return PrepareAction::kAlreadyCommitted;
    case TxnState::kAborted:
      return PrepareAction::kRefuseAborted;
    case TxnState::kPreparing:
    case TxnState::kCommitting:
      break;
  }
  return PrepareAction::kRefuseBusy;
}

bool TransactionTable::OnPrepared(int64_t txid) {
  auto it = states_.find(txid);
  if (it == states_.end() || it->second != TxnState::kPreparing) return false;
  it->second = TxnState::kPrepared;
  return true;
}

void TransactionTable::Finish(int64_t txid, TxnState state) {
  auto it = states_.find(txid);
  const bool was_finished = it != states_.end() && (it->second == TxnState::kCommitted ||
                                                    it->second == TxnState::kAborted);
  states_[txid] = state;
  if (was_finished) return;
  finished_.push_back(txid);
  while (finished_.size() > finished_to_remember_) {
    states_.erase(finished_.front());
    finished_.pop_front();
  }
}

void TransactionTable::OnAborted(int64_t txid) { Finish(txid, TxnState::kAborted); }

void TransactionTable::OnCommitted(int64_t txid) { Finish(txid, TxnState::kCommitted); }

TransactionTable::CommitAction TransactionTable::OnCommitRequest(int64_t txid) {
  auto it = states_.find(txid);
  if (it == states_.end()) return CommitAction::kAcknowledge;
  switch (it->second) {
    case TxnState::kPrepared:
      it->second = TxnState::kCommitting;
      return CommitAction::kApply;
    case TxnState::kCommitting:
      return CommitAction::kWait;
    case TxnState::kCommitted:
      return CommitAction::kAcknowledge;
    case TxnState::kAborted:
      return CommitAction::kRefuseAborted;
    case TxnState::kPreparing:
      break;
  }
  // The coordinator commits only after every YES vote arrived, so a commit for
  // a branch still running is a protocol violation, not a race.
  return CommitAction::kRefuseAborted;
}

void TransactionTable::OnApplyFailed(int64_t txid) {
  auto it = states_.find(txid);
  if (it != states_.end() && it->second == TxnState::kCommitting) it->second = TxnState::kPrepared;
}

TransactionTable::AbortAction TransactionTable::OnAbortRequest(int64_t txid) {
  auto it = states_.find(txid);
  if (it == states_.end()) {
    // Remember it, so that a prepare arriving late (after its coordinator gave
    // up) is refused instead of holding locks until an inquiry.
    Finish(txid, TxnState::kAborted);
    return AbortAction::kAcknowledge;
  }
  switch (it->second) {
    case TxnState::kPrepared:
      Finish(txid, TxnState::kAborted);
      return AbortAction::kRelease;
    case TxnState::kPreparing:
      Finish(txid, TxnState::kAborted);
      return AbortAction::kAbortWhileRunning;
    case TxnState::kAborted:
      return AbortAction::kAcknowledge;
    case TxnState::kCommitting:
    case TxnState::kCommitted:
      break;
  }
  return AbortAction::kRefuseCommitted;
}

void TransactionTable::OnRecoveredPrepared(int64_t txid) { states_[txid] = TxnState::kPrepared; }

bool TransactionTable::Find(int64_t txid, TxnState* state) const {
  auto it = states_.find(txid);
  if (it == states_.end()) return false;
  *state = it->second;
  return true;
}

std::vector<int64_t> TransactionTable::Prepared() const {
  std::vector<int64_t> out;
  for (const auto& [txid, state] : states_) {
    if (state == TxnState::kPrepared || state == TxnState::kCommitting) out.push_back(txid);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace twopc::participant
