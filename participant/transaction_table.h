// The participant's protocol state machine: what each request means for a
// transaction, given where that transaction is. Pure: no locks, I/O or time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "wal/base/recent_txid_map.h"

namespace twopc::participant {

enum class TxnState {
  kPreparing,   // the branch is running
  kPrepared,    // PREPARED is on disk; only the coordinator decides now
  kCommitting,  // the changes are being applied
  kCommitted,   // applied (kept for a while to answer repeats)
  kAborted,     // refused or rolled back (kept for a while to answer repeats)
};

class TransactionTable {
 public:
  // Finished transactions are remembered (to answer repeats and refuse late
  // prepares) up to this many; memory stays flat however long the agent runs.
  explicit TransactionTable(size_t finished_to_remember = 1 << 16)
      : finished_(finished_to_remember) {}

  enum class PrepareAction {
    kExecute,           // new: run the branch (state is now kPreparing)
    kAlreadyPrepared,   // a repeated prepare: vote YES again
    kAlreadyCommitted,  // a repeated one-phase prepare or a late one: nothing to do
    kRefuseAborted,     // an abort already arrived: vote NO
    kRefuseBusy,        // the same txid is being prepared or committed right now
  };
  PrepareAction OnPrepareRequest(int64_t txid);

  // The branch is prepared (logged). False when an abort arrived while it ran:
  // the caller must release what it holds and vote NO.
  bool OnPrepared(int64_t txid);
  // The branch was refused, rolled back, read-only, or released by an abort.
  void OnAborted(int64_t txid);
  // A branch that committed at once (one-phase) or whose commit was applied.
  void OnCommitted(int64_t txid);

  enum class CommitAction {
    kApply,          // prepared: apply it now (state is now kCommitting)
    kWait,           // being applied by another request: wait for it
    kAcknowledge,    // already committed, or unknown (presumed done): acknowledge
    kRefuseAborted,  // it was aborted: a commit now would be a protocol violation
  };
  CommitAction OnCommitRequest(int64_t txid);
  // A one-phase branch is about to commit in SQLite: from now on an abort is
  // refused (the caller checked it was not aborted).
  void OnOnePhaseCommitting(int64_t txid) { live_[txid] = TxnState::kCommitting; }
  // The apply failed: back to prepared so that a retry can apply it.
  void OnApplyFailed(int64_t txid);

  enum class AbortAction {
    kRelease,            // prepared: release it (state is now kAborted)
    kAbortWhileRunning,  // being prepared: it will vote NO when it finishes
    kAcknowledge,        // unknown or already aborted
    kRefuseCommitted,    // committed or being applied: too late to abort
  };
  AbortAction OnAbortRequest(int64_t txid);

  // A read-only branch: it leaves the transaction, nothing to remember.
  void Forget(int64_t txid) {
    auto it = live_.find(txid);
    if (it != live_.end() && it->second == TxnState::kPreparing) live_.erase(it);
  }
  // A transaction found prepared in the log at restart.
  void OnRecoveredPrepared(int64_t txid);

  bool Find(int64_t txid, TxnState* state) const;
  std::vector<int64_t> Prepared() const;  // kPrepared and kCommitting, sorted
  size_t live() const { return live_.size(); }

 private:
  // Where txid is now: live first (a txid recovered as prepared may also have
  // an older finished entry), then finished; false if neither knows it.
  bool Lookup(int64_t txid, TxnState* state) const;
  void Finish(int64_t txid, TxnState state);

  std::unordered_map<int64_t, TxnState> live_;  // preparing, prepared or committing
  RecentTxidMap<TxnState> finished_;            // committed or aborted, the most recent
};

}  // namespace twopc::participant
