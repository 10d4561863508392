#include "participant/transaction_table.h"

#include <algorithm>

namespace twopc::participant {

bool TransactionTable::Lookup(int64_t txid, TxnState* state) const {
  auto it = live_.find(txid);
  if (it != live_.end()) {
    *state = it->second;
    return true;
  }
  const TxnState* finished = finished_.Find(txid);
  if (finished == nullptr) return false;
  *state = *finished;
  return true;
}

TransactionTable::PrepareAction TransactionTable::OnPrepareRequest(int64_t txid) {
  TxnState state;
  if (!Lookup(txid, &state)) {
    live_.emplace(txid, TxnState::kPreparing);
    return PrepareAction::kExecute;
  }
  switch (state) {
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
  auto it = live_.find(txid);
  if (it == live_.end() || it->second != TxnState::kPreparing) return false;
  it->second = TxnState::kPrepared;
  return true;
}

void TransactionTable::Finish(int64_t txid, TxnState state) {
  live_.erase(txid);
  finished_.Put(txid, state);
}

void TransactionTable::OnAborted(int64_t txid) { Finish(txid, TxnState::kAborted); }

void TransactionTable::OnCommitted(int64_t txid) { Finish(txid, TxnState::kCommitted); }

TransactionTable::CommitAction TransactionTable::OnCommitRequest(int64_t txid) {
  TxnState state;
  if (!Lookup(txid, &state)) return CommitAction::kAcknowledge;
  switch (state) {
    case TxnState::kPrepared:
      live_[txid] = TxnState::kCommitting;
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
  auto it = live_.find(txid);
  if (it != live_.end() && it->second == TxnState::kCommitting) it->second = TxnState::kPrepared;
}

TransactionTable::AbortAction TransactionTable::OnAbortRequest(int64_t txid) {
  TxnState state;
  if (!Lookup(txid, &state)) {
    // Remember it, so that a prepare arriving late (after its coordinator gave
    // up) is refused instead of holding locks until an inquiry.
    Finish(txid, TxnState::kAborted);
    return AbortAction::kAcknowledge;
  }
  switch (state) {
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

void TransactionTable::OnRecoveredPrepared(int64_t txid) { live_[txid] = TxnState::kPrepared; }

bool TransactionTable::Find(int64_t txid, TxnState* state) const { return Lookup(txid, state); }

std::vector<int64_t> TransactionTable::Prepared() const {
  std::vector<int64_t> out;
  for (const auto& [txid, state] : live_) {
    if (state == TxnState::kPrepared || state == TxnState::kCommitting) out.push_back(txid);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace twopc::participant
