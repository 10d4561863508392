// The participant agent: prepare, commit and abort for one SQLite database,
// with its WAL and lock table. Thrift-free; participant_service.cc is the
// edge that turns RPCs into these calls.
//
// Concurrency: the SQLite writer is held only while a branch runs. A
// prepared branch's changes live in its changeset (not in the database) and
// its rows in the lock table until the decision; commits are applied in
// batches. A branch touching a locked row waits for it (bounded), then runs
// again against the new committed state, or is refused.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "participant/agent_metrics.h"
#include "participant/commit_batcher.h"
#include "participant/lock_table.h"
#include "participant/participant_log_replay.h"
#include "participant/participant_records.h"
#include "participant/sql_value.h"
#include "participant/sqlite_store.h"
#include "participant/statement_budget.h"
#include "participant/transaction_table.h"
#include "wal/base/clock.h"
#include "wal/log.h"

namespace twopc::participant {

enum class Vote { kYes, kNo, kReadOnly, kCommitted };

struct PrepareReply {
  Vote vote = Vote::kNo;
  std::string reason;
  std::vector<int64_t> changes;
  // One per statement: the rows it read (none for a write); empty on a repeat.
  std::vector<QueryRows> reads;
  // Only from PrepareMany: the branch did not run (a row it writes is held
  // by a prepared transaction); vote is kNo and nothing was kept.
  bool retry = false;
  // With retry: the transaction holding the row.
  int64_t held_by = 0;
};

// One branch of PrepareMany.
struct BranchRequest {
  int64_t txid = 0;
  std::vector<SqlStatement> statements;
  bool one_phase = false;
  // How long the sender has been retrying it for locked rows.
  std::chrono::milliseconds waited{0};
  // How long it may run (its prepare's timeout_ms); 0: the agent's max_statement.
  int64_t requested_ms = 0;
};

struct AgentOptions {
  std::string name;
  std::string coordinator;  // recorded in PREPARED: whom to ask after a crash
  std::chrono::milliseconds lock_wait{1000};
  // Checkpoint (and truncate the WAL) once this much was appended since the last one.
  uint64_t checkpoint_bytes = 4 << 20;
  // The longest a branch's SQL may run (--max_statement_ms); a prepare may ask for less.
  std::chrono::milliseconds max_statement{10000};
  // Where the agent reads the time its behaviour depends on: how long a
  // branch has been prepared, PREPARED's prepared_at_ms, the bookkeeping
  // table's pruning. The store must have the same one (Open checks). Metric
  // timings, lock waits and SQL budgets stay on the real steady clock.
  const Clock* clock = SystemClock::Get();
};

class Agent {
 public:
  // Replays the WAL in log_options.dir: a PREPARED without outcome whose txid
  // is in the bookkeeping table was committed; any other is in doubt and is
  // installed again as prepared (its rows locked) until its outcome is known.
  static Status Open(const AgentOptions& options, SqliteStore* store,
                     const wal::LogOptions& log_options, std::unique_ptr<Agent>* out);

  // The branch's SQL is interrupted past requested_ms (when > 0) or the
  // agent's max_statement, or once an abort of txid arrives: it votes NO.
  PrepareReply Prepare(int64_t txid, const std::vector<SqlStatement>& statements, bool one_phase,
                       int64_t requested_ms = 0);
  // Several branches, as Prepare each, with one log sync for all of them. A
  // branch whose rows are held by a prepared transaction is not waited for
  // (the others would wait with it): it is answered retry, or refused once it
  // has waited lock_wait. One reply per branch, in order.
  std::vector<PrepareReply> PrepareMany(const std::vector<BranchRequest>& branches);
  // OK when the changes are durably in the database (or txid is unknown);
  // Aborted when txid was aborted here; IoError when applying failed (retry).
  Status Commit(int64_t txid);
  // Commit for many txids at once: their changes are applied in one batch (one
  // SQLite transaction, one log sync). One status per txid, in order.
  std::vector<Status> CommitMany(const std::vector<int64_t>& txids);
  // CommitMany, but `meanwhile` runs after the changes are applied and their
  // rows released and before the log is synced; one sync then covers both. A
  // prepare carrying commit decisions costs one sync this way. The commits
  // are finished (or failed) even if `meanwhile` throws, which is rethrown.
  std::vector<Status> CommitManyAround(const std::vector<int64_t>& txids,
                                       const std::function<void()>& meanwhile);
  // OK when released (or unknown); Aborted when it is already committed.
  Status Abort(int64_t txid);

  std::vector<int64_t> ListPrepared();

  // Heuristic decisions an operator forced with txrecover while the agent was
  // stopped. Each is checked once against the coordinator's decision.
  std::optional<HeuristicOutcome> HeuristicOutcomeOf(int64_t txid);
  std::vector<HeuristicRecord> UncheckedHeuristics();
  // agreed: the coordinator decided the same; otherwise the mismatch is kept
  // in the log (and shown by txrecover list) from now on.
  void MarkHeuristicChecked(int64_t txid, bool agreed);

  struct PreparedInfo {
    int64_t txid;
    Clock::Duration age;     // in this process, on options().clock
    int64_t prepared_at_ms;  // wall clock, as logged
    bool recovered;          // found in the log at restart
  };
  std::vector<PreparedInfo> PreparedTransactions();

  // The rows the lock table holds now.
  struct LockedRows {
    size_t exclusive = 0;
    size_t shared = 0;  // held only shared
  };
  LockedRows Locked();

  // Writes the prepared transactions to a new WAL segment, deletes the older
  // segments and prunes the bookkeeping table.
  Status Checkpoint();
  uint64_t checkpoints() const { return checkpoints_; }

  // Not OK once the WAL failed: the agent then refuses to prepare.
  Status Healthy();
  const AgentMetrics& metrics() const { return metrics_; }
  const wal::Log& log() const { return *log_; }
  // Heuristic decisions the coordinator disagreed with (kept for good).
  std::vector<HeuristicRecord> Mismatches();
  const AgentOptions& options() const { return options_; }
  SqliteStore* store() { return store_; }

 private:
  struct Prepared {
    std::string changeset;
    std::vector<RowLock> read_locks;  // see PreparedRecord
    Clock::TimePoint since;           // on options_.clock
    int64_t prepared_at_ms = 0;       // wall clock, as logged
    bool recovered = false;
  };

  Agent(const AgentOptions& options, SqliteStore* store, std::unique_ptr<wal::Log> log);
  Status Recover(ParticipantLogState state);
  void MaybeCheckpoint();
  PrepareReply PrepareBranch(int64_t txid, const std::vector<SqlStatement>& statements,
                             bool one_phase, int64_t requested_ms);
  // What a branch does about a row held by a prepared transaction.
  enum class OnLocked { kWait, kAnswerRetry };
  // Runs the branch and appends its PREPARED record without syncing it. The
  // reply is final unless *logged_at is set: then FinishPrepare gives it once
  // the log is synced through *logged_at.
  // The branch's budget starts at `received` (see Prepare).
  struct BudgetRequest {
    std::chrono::steady_clock::time_point received;
    int64_t requested_ms = 0;
  };
  PrepareReply StartPrepare(int64_t txid, const std::vector<SqlStatement>& statements,
                            bool one_phase, OnLocked on_locked, std::chrono::milliseconds waited,
                            const BudgetRequest& budget_request,
                            std::optional<wal::Lsn>* logged_at);
  PrepareReply FinishPrepare(int64_t txid, const Status& synced, PrepareReply reply);
  // The branch met a row held by `holder`: nothing kept, send it again.
  PrepareReply Retry(int64_t txid, int64_t holder);
  void CountVote(const PrepareReply& reply);
  // Runs the branch once; sets *conflict when a row it wrote is locked.
  Status RunOnce(int64_t txid, const std::vector<SqlStatement>& statements, bool one_phase,
                 const StatementBudget& budget, SqliteStore::BranchRun* run,
                 std::optional<int64_t>* conflict);
  PrepareReply Refuse(int64_t txid, std::string reason);
  // Appends ABORTED for a prepared txid (not synced), then frees its rows.
  void ReleaseAfterAbortLogged(int64_t txid);
  Status LogOutcome(wal::RecordType type, const std::vector<int64_t>& txids, bool sync);
  // The same, returning where the record is in the log.
  StatusOr<wal::Lsn> AppendOutcome(wal::RecordType type, const std::vector<int64_t>& txids,
                                   bool sync);
  // CommitMany and CommitManyAround; meanwhile may be null (then synced at once).
  std::vector<Status> CommitManyImpl(const std::vector<int64_t>& txids,
                                     const std::function<void()>* meanwhile);

  const AgentOptions options_;
  SqliteStore* store_;
  std::unique_ptr<wal::Log> log_;
  CommitBatcher batcher_;
  // Appends hold it shared; a checkpoint holds it exclusively, so that its
  // snapshot of prepared_ and the segment boundary agree.
  std::shared_mutex checkpoint_mu_;
  std::atomic<uint64_t> bytes_at_checkpoint_{0};
  std::atomic<bool> checkpointing_{false};
  std::atomic<uint64_t> checkpoints_{0};
  int64_t previous_checkpoint_s_ = 0;  // only the checkpointing thread touches it

  std::mutex mu_;                        // guards everything below
  std::condition_variable released_cv_;  // a transaction finished: locks released
  TransactionTable table_;
  LockTable locks_;
  std::map<int64_t, Prepared> prepared_;
  // The budgets of branches being prepared: an abort cancels its branch's.
  std::map<int64_t, StatementBudget*> running_;
  std::map<int64_t, HeuristicRecord> heuristics_;
  std::map<int64_t, HeuristicRecord> mismatches_;
  std::set<int64_t> heuristics_checked_;  // against the coordinator's decision
  Status log_error_;                      // sticky: once the WAL failed, nothing more is prepared
  AgentMetrics metrics_;
};

}  // namespace twopc::participant
