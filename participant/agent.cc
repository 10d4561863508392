#include "participant/agent.h"

#include <algorithm>
#include <exception>

#include <glog/logging.h>

#include "participant/changeset_keys.h"
#include "participant/participant_log_replay.h"
#include "participant/participant_records.h"
#include "wal/base/fail_point.h"

namespace twopc::participant {

// The real steady clock, for what must not follow options_.clock (see AgentOptions).
using RealClock = std::chrono::steady_clock;

namespace {

wal::RecordType TypeOf(RecordType type) { return static_cast<wal::RecordType>(type); }

std::string TxidText(int64_t txid) { return "transaction " + std::to_string(txid); }

// Every row a prepared branch holds: those it writes and those it read FOR
// UPDATE / FOR SHARE.
StatusOr<std::vector<RowLock>> RowsToLock(const std::string& changeset,
                                          const std::vector<RowLock>& read_locks) {
  std::vector<RowLock> rows;
  if (!changeset.empty()) {
    StatusOr<std::vector<std::string>> keys = ChangesetKeys(changeset);
    if (!keys.ok()) return keys.status();
    rows = WriteLocks(std::move(*keys));
  }
  if (read_locks.empty()) return rows;
  rows.insert(rows.end(), read_locks.begin(), read_locks.end());
  return MergeRowLocks(std::move(rows));
}

}  // namespace

Agent::Agent(const AgentOptions& options, SqliteStore* store, std::unique_ptr<wal::Log> log)
    : options_(options),
      store_(store),
      log_(std::move(log)),
      batcher_(store, [this](const std::vector<int64_t>& txids, bool sync) {
        TWOPC_FAIL_POINT("participant_after_apply");
        // The database commit was not synced: this record is what makes the
        // commit durable, so it is synced before anyone is told.
        StatusOr<wal::Lsn> lsn = AppendOutcome(TypeOf(RecordType::kCommitted), txids, sync);
        return lsn.ok() ? StatusOr<uint64_t>(*lsn) : StatusOr<uint64_t>(lsn.status());
      }) {}

Status Agent::Open(const AgentOptions& options, SqliteStore* store,
                   const wal::LogOptions& log_options, std::unique_ptr<Agent>* out) {
  // The store stamps the bookkeeping rows that Checkpoint prunes by the agent's time.
  if (store->clock() != options.clock) {
    return Status::InvalidArgument("the agent and its store must read the same clock");
  }
  ParticipantLogState state;
  auto visit = [&state](const wal::LogRecord& record) {
    return ReplayParticipantRecord(record, &state);
  };
  std::unique_ptr<wal::Log> log;
  TWOPC_RETURN_IF_ERROR(wal::Log::Open(log_options, visit, &log));
  std::unique_ptr<Agent> agent(new Agent(options, store, std::move(log)));
  FinishReplay(&state);
  TWOPC_RETURN_IF_ERROR(agent->Recover(std::move(state)));
  // Start from a checkpoint, so that what this restart replayed is not replayed again.
  TWOPC_RETURN_IF_ERROR(agent->Checkpoint());
  *out = std::move(agent);
  return Status::Ok();
}

Status Agent::Recover(ParticipantLogState state) {
  mismatches_ = state.mismatches;
  for (const auto& [txid, heuristic] : state.heuristics) {
    heuristics_[txid] = heuristic;
    if (heuristic.outcome == HeuristicOutcome::kCommit) {
      table_.OnCommitted(txid);
    } else {
      table_.OnAborted(txid);
    }
    LOG(WARNING) << TxidText(txid) << " was forced to "
                 << (heuristic.outcome == HeuristicOutcome::kCommit ? "COMMIT" : "ABORT")
                 << " by an operator; it will be checked against the coordinator's decision";
  }
  // Committed here before the crash: apply again what the database lost.
  std::vector<SqliteStore::Committed> lost;
  for (const auto& [txid, changeset] : state.committed) {
    StatusOr<bool> applied = store_->IsApplied(txid);
    if (!applied.ok()) return applied.status();
    if (!*applied) lost.push_back({txid, &changeset});
    table_.OnCommitted(txid);
  }
  if (!lost.empty()) {
    LOG(WARNING) << lost.size() << " committed transaction(s) were missing from the database; "
                 << "applying them again from the log";
    TWOPC_RETURN_IF_ERROR(store_->ApplyCommitted(lost));
  }
  std::map<int64_t, PreparedRecord>& unresolved = state.unresolved;
  std::vector<int64_t> committed;
  std::map<int64_t, int64_t> prepared_at_ms;
  for (auto& [txid, record] : unresolved) {
    std::string& changeset = record.changeset;
    prepared_at_ms[txid] = record.prepared_at_ms;
    StatusOr<bool> applied = store_->IsApplied(txid);
    if (!applied.ok()) return applied.status();
    if (*applied) {
      // Crashed after the database commit, before the log said so.
      table_.OnCommitted(txid);
      committed.push_back(txid);
      continue;
    }
    StatusOr<std::vector<RowLock>> rows = RowsToLock(changeset, record.read_locks);
    if (!rows.ok()) return rows.status();
    if (auto holder = locks_.TryLockAll(txid, *rows)) {
      return Status::Corruption(TxidText(txid) + " and " + TxidText(*holder) +
                                " are both prepared on the same row");
    }
    table_.OnRecoveredPrepared(txid);
    prepared_[txid] = Prepared{std::move(changeset), std::move(record.read_locks),
                               options_.clock->Now(), prepared_at_ms[txid], true};
    LOG(WARNING) << TxidText(txid) << " is in doubt after restart; its rows stay locked until "
                 << "the coordinator gives its outcome";
  }
  if (!committed.empty()) {
    TWOPC_RETURN_IF_ERROR(LogOutcome(TypeOf(RecordType::kCommitted), committed, /*sync=*/true));
  }
  LOG(INFO) << "recovery: " << committed.size() << " found committed, " << prepared_.size()
            << " in doubt";
  return Status::Ok();
}

Status Agent::LogOutcome(wal::RecordType type, const std::vector<int64_t>& txids, bool sync) {
  return AppendOutcome(type, txids, sync).status();
}

StatusOr<wal::Lsn> Agent::AppendOutcome(wal::RecordType type, const std::vector<int64_t>& txids,
                                        bool sync) {
  // An abort is not forced: one that is forgotten is presumed again by the
  // coordinator.
  StatusOr<wal::Lsn> lsn = Status::Ok();
  {
    std::shared_lock<std::shared_mutex> appending(checkpoint_mu_);
    lsn = log_->Append(type, EncodeTxids(txids));
  }
  Status status = lsn.ok() ? (sync ? log_->Sync(*lsn) : Status::Ok()) : lsn.status();
  if (!status.ok()) {
    LOG(ERROR) << "logging an outcome failed: " << status.ToString();
    std::lock_guard<std::mutex> lock(mu_);
    if (log_error_.ok()) log_error_ = status;
    return status;
  }
  MaybeCheckpoint();
  return *lsn;
}

void Agent::MaybeCheckpoint() {
  if (log_->stats().bytes_written - bytes_at_checkpoint_.load() < options_.checkpoint_bytes) return;
  if (checkpointing_.exchange(true)) return;  // another thread is at it
  Status status = Checkpoint();
  if (!status.ok()) LOG(ERROR) << "checkpoint failed: " << status.ToString();
  checkpointing_.store(false);
}

Status Agent::Checkpoint() {
  StatusOr<uint64_t> segment = Status::Ok();
  StatusOr<wal::Lsn> lsn = Status::Ok();
  {
    std::unique_lock<std::shared_mutex> exclusive(checkpoint_mu_);
    segment = log_->Rotate();
    if (!segment.ok()) return segment.status();
    CheckpointRecord snapshot;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [txid, prepared] : prepared_) {
        snapshot.prepared.push_back(PreparedRecord{txid, prepared.prepared_at_ms,
                                                   options_.coordinator, prepared.changeset,
                                                   prepared.read_locks});
      }
      for (const auto& [txid, heuristic] : heuristics_) {
        if (!heuristics_checked_.count(txid)) snapshot.heuristics.push_back(heuristic);
      }
      for (const auto& [txid, mismatch] : mismatches_) snapshot.mismatches.push_back(mismatch);
    }
    lsn = log_->Append(TypeOf(RecordType::kCheckpoint), EncodeCheckpoint(snapshot));
    if (!lsn.ok()) return lsn.status();
    bytes_at_checkpoint_.store(log_->stats().bytes_written);
  }
  TWOPC_RETURN_IF_ERROR(log_->Sync(*lsn));
  // The older segments hold the COMMITTED records of applies the database has
  // not synced yet: sync it before they go. If it cannot, keep them.
  if (Status durable = store_->MakeDurable(); !durable.ok()) {
    LOG(WARNING) << "log not truncated: " << durable.ToString();
    return Status::Ok();
  }
  TWOPC_RETURN_IF_ERROR(log_->RemoveSegmentsBefore(*segment));
  // Bookkeeping rows are needed only while a PREPARED of theirs may be
  // replayed. Rows applied before the previous checkpoint cannot be: their
  // records were in segments deleted now, and they are not in this snapshot.
  const int64_t now_s = options_.clock->WallMillis() / 1000;
  if (previous_checkpoint_s_ > 0) {
    // Kept for a while in any case: a coordinator that lost a one-phase vote
    // asks with an abort up to its prepare timeout (at most 60 s) later, and
    // this table is what remembers that the branch committed.
    Status pruned = store_->PruneApplied(std::min(previous_checkpoint_s_ - 1, now_s - 120));
    if (!pruned.ok()) LOG(WARNING) << "pruning the bookkeeping table: " << pruned.ToString();
  }
  previous_checkpoint_s_ = now_s;
  ++checkpoints_;
  return Status::Ok();
}

Status Agent::Healthy() {
  std::lock_guard<std::mutex> lock(mu_);
  return log_error_;
}

PrepareReply Agent::Refuse(int64_t txid, std::string reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    locks_.ReleaseAll(txid);
    table_.OnAborted(txid);
  }
  released_cv_.notify_all();
  PrepareReply reply;
  reply.vote = Vote::kNo;
  reply.reason = std::move(reason);
  return reply;
}

Status Agent::RunOnce(int64_t txid, const std::vector<SqlStatement>& statements, bool one_phase,
                      const StatementBudget& budget, SqliteStore::BranchRun* run,
                      std::optional<int64_t>* conflict) {
  auto decide = [&](const SqliteStore::BranchRun& done) -> StatusOr<SqliteStore::Finish> {
    if (done.changeset.empty() && done.read_locks.empty()) {
      return SqliteStore::Finish::kRollback;  // read-only
    }
    StatusOr<std::vector<RowLock>> rows = RowsToLock(done.changeset, done.read_locks);
    if (!rows.ok()) return rows.status();
    std::lock_guard<std::mutex> lock(mu_);
    TxnState state;
    if (table_.Find(txid, &state) && state == TxnState::kAborted) {
      return Status::Aborted(TxidText(txid) + " was aborted while it was being prepared");
    }
    // Locked while the writer is still held: no commit can slip in between
    // reading these rows and owning them.
    if (auto holder = locks_.TryLockAll(txid, *rows)) {
      *conflict = holder;
      return Status::Busy("row locked by " + TxidText(*holder));
    }
    if (!one_phase || done.changeset.empty()) return SqliteStore::Finish::kRollback;
    // From here an abort is refused: the SQLite commit is about to happen.
    table_.OnOnePhaseCommitting(txid);
    return SqliteStore::Finish::kCommit;
  };
  return store_->RunBranch(txid, statements, decide, run, &budget);
}

PrepareReply Agent::Prepare(int64_t txid, const std::vector<SqlStatement>& statements,
                            bool one_phase, int64_t requested_ms) {
  const RealClock::time_point start = RealClock::now();  // real time: a latency metric
  PrepareReply reply = PrepareBranch(txid, statements, one_phase, requested_ms);
  metrics_.prepare_latency.Observe(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(RealClock::now() - start).count()));
  CountVote(reply);
  return reply;
}

std::vector<PrepareReply> Agent::PrepareMany(const std::vector<BranchRequest>& branches) {
  // Real time: a latency metric, and the budgets' start (SQLite is interrupted on real time).
  const RealClock::time_point start = RealClock::now();
  std::vector<PrepareReply> replies(branches.size());
  std::vector<std::optional<wal::Lsn>> logged_at(branches.size());
  wal::Lsn last = 0;
  for (size_t i = 0; i < branches.size(); ++i) {
    const BranchRequest& branch = branches[i];
    replies[i] =
        StartPrepare(branch.txid, branch.statements, branch.one_phase, OnLocked::kAnswerRetry,
                     branch.waited, BudgetRequest{start, branch.requested_ms}, &logged_at[i]);
    if (logged_at[i]) last = std::max(last, *logged_at[i]);
  }
  // One sync makes every PREPARED record of the batch durable.
  const Status synced = last > 0 ? log_->Sync(last) : Status::Ok();
  const auto nanos = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(RealClock::now() - start).count());
  for (size_t i = 0; i < branches.size(); ++i) {
    if (logged_at[i]) replies[i] = FinishPrepare(branches[i].txid, synced, std::move(replies[i]));
    if (replies[i].retry) continue;
    metrics_.prepare_latency.Observe(nanos);
    CountVote(replies[i]);
  }
  return replies;
}

void Agent::CountVote(const PrepareReply& reply) {
  switch (reply.vote) {
    case Vote::kYes:
      metrics_.votes_yes.fetch_add(1, std::memory_order_relaxed);
      break;
    case Vote::kNo:
      metrics_.votes_no.fetch_add(1, std::memory_order_relaxed);
      break;
    case Vote::kReadOnly:
      metrics_.votes_read_only.fetch_add(1, std::memory_order_relaxed);
      break;
    case Vote::kCommitted:
      metrics_.votes_committed.fetch_add(1, std::memory_order_relaxed);
      break;
  }
}

PrepareReply Agent::PrepareBranch(int64_t txid, const std::vector<SqlStatement>& statements,
                                  bool one_phase, int64_t requested_ms) {
  std::optional<wal::Lsn> logged_at;
  PrepareReply reply =
      StartPrepare(txid, statements, one_phase, OnLocked::kWait, std::chrono::milliseconds(0),
                   // Real time: SQLite's progress handler interrupts on real time.
                   BudgetRequest{RealClock::now(), requested_ms}, &logged_at);
  if (!logged_at) return reply;
  return FinishPrepare(txid, log_->Sync(*logged_at), std::move(reply));
}

PrepareReply Agent::Retry(int64_t txid, int64_t holder) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    TxnState state;
    if (table_.Find(txid, &state) && state == TxnState::kAborted) {
      table_.OnAborted(txid);
      PrepareReply refused;
      refused.reason = TxidText(txid) + " was aborted while it was being prepared";
      return refused;
    }
    // Not prepared and nothing held: the resent prepare starts afresh.
    table_.Forget(txid);
  }
  PrepareReply reply;
  reply.retry = true;
  reply.held_by = holder;
  reply.reason = "a row is held by prepared " + TxidText(holder);
  return reply;
}

PrepareReply Agent::StartPrepare(int64_t txid, const std::vector<SqlStatement>& statements,
                                 bool one_phase, OnLocked on_locked,
                                 std::chrono::milliseconds waited,
                                 const BudgetRequest& budget_request,
                                 std::optional<wal::Lsn>* logged_at) {
  PrepareReply reply;
  // Registered from the moment the branch is known here until it is done, so
  // that an abort of txid arriving at any point in between stops it.
  const BranchLimit limit = BranchLimitFor(budget_request.requested_ms, options_.max_statement);
  StatementBudget budget(budget_request.received, limit.limit, limit.name);
  struct Registration {
    Agent* agent;
    int64_t txid;
    const StatementBudget* budget;
    bool registered = false;
    ~Registration() {
      if (!registered) return;
      std::lock_guard<std::mutex> lock(agent->mu_);
      auto entry = agent->running_.find(txid);
      if (entry != agent->running_.end() && entry->second == budget) agent->running_.erase(entry);
    }
  } registration{this, txid, &budget};
  {
    std::lock_guard<std::mutex> lock(mu_);
    switch (table_.OnPrepareRequest(txid)) {
      case TransactionTable::PrepareAction::kExecute:
        running_[txid] = &budget;
        registration.registered = true;
        break;
      case TransactionTable::PrepareAction::kAlreadyPrepared:
        reply.vote = Vote::kYes;
        return reply;
      case TransactionTable::PrepareAction::kAlreadyCommitted:
        reply.vote = one_phase ? Vote::kCommitted : Vote::kYes;
        return reply;
      case TransactionTable::PrepareAction::kRefuseAborted:
        reply.reason = TxidText(txid) + " was already aborted here";
        return reply;
      case TransactionTable::PrepareAction::kRefuseBusy:
        reply.reason = TxidText(txid) + " is being prepared or committed already";
        return reply;
    }
  }
  if (Status health = Healthy(); !health.ok()) {
    return Refuse(txid, "participant cannot log: " + health.ToString());
  }

  SqliteStore::BranchRun run;
  Status status;
  // Real time: the lock wait blocks a real thread on a condition variable.
  const RealClock::time_point deadline = RealClock::now() + options_.lock_wait;
  while (true) {
    std::optional<int64_t> conflict;
    status = RunOnce(txid, statements, one_phase, budget, &run, &conflict);
    if (!conflict) break;
    if (on_locked == OnLocked::kAnswerRetry) {
      if (waited == std::chrono::milliseconds(0)) {
        metrics_.lock_waits.fetch_add(1, std::memory_order_relaxed);
      }
      if (waited < options_.lock_wait) return Retry(txid, *conflict);
      metrics_.lock_wait_timeouts.fetch_add(1, std::memory_order_relaxed);
      return Refuse(txid, "lock conflict: a row is held by prepared " + TxidText(*conflict));
    }
    // Wait for the holder to finish, then run again on the new committed state.
    metrics_.lock_waits.fetch_add(1, std::memory_order_relaxed);
    std::unique_lock<std::mutex> lock(mu_);
    // An abort of txid wakes it too: the next run stops at once.
    const bool released = released_cv_.wait_until(lock, std::min(deadline, budget.deadline()), [&] {
      return !locks_.Holds(*conflict) || budget.cancelled();
    });
    if (!released) {
      lock.unlock();
      metrics_.lock_wait_timeouts.fetch_add(1, std::memory_order_relaxed);
      return Refuse(txid, "lock conflict: a row is held by prepared " + TxidText(*conflict));
    }
  }
  if (!status.ok()) return Refuse(txid, status.message());
  run.read_locks = MergeRowLocks(std::move(run.read_locks));  // a row read twice is logged once
  reply.changes = run.changes;
  reply.reads = std::move(run.reads);

  // Rows read FOR UPDATE / FOR SHARE stay locked until the decision, unless
  // the decision is now (one phase).
  if (run.changeset.empty() && (run.read_locks.empty() || one_phase)) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      locks_.ReleaseAll(txid);
      table_.Forget(txid);
    }
    if (!run.read_locks.empty()) released_cv_.notify_all();
    reply.vote = Vote::kReadOnly;
    return reply;
  }
  if (one_phase) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      locks_.ReleaseAll(txid);
      table_.OnCommitted(txid);
    }
    released_cv_.notify_all();
    reply.vote = Vote::kCommitted;
    return reply;
  }

  // The vote may leave only once PREPARED is on disk.
  TWOPC_FAIL_POINT("participant_before_prepared_sync");
  const int64_t prepared_at_ms = options_.clock->WallMillis();
  StatusOr<wal::Lsn> lsn = Status::Ok();
  {
    // Appended and remembered under the checkpoint lock, so that a checkpoint
    // either carries this PREPARED or keeps the segment holding it.
    std::shared_lock<std::shared_mutex> appending(checkpoint_mu_);
    lsn = log_->Append(TypeOf(RecordType::kPrepared),
                       EncodePrepared(PreparedRecord{txid, prepared_at_ms, options_.coordinator,
                                                     run.changeset, run.read_locks}));
    if (lsn.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      prepared_[txid] = Prepared{std::move(run.changeset), std::move(run.read_locks),
                                 options_.clock->Now(), prepared_at_ms, false};
    }
  }
  if (!lsn.ok()) return FinishPrepare(txid, lsn.status(), std::move(reply));
  *logged_at = *lsn;
  return reply;
}

PrepareReply Agent::FinishPrepare(int64_t txid, const Status& synced, PrepareReply reply) {
  if (!synced.ok()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      prepared_.erase(txid);
      if (log_error_.ok()) log_error_ = synced;
    }
    LOG(ERROR) << "cannot log PREPARED: " << synced.ToString();
    return Refuse(txid, "participant cannot log: " + synced.ToString());
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!table_.OnPrepared(txid)) {
      prepared_.erase(txid);
      reply.vote = Vote::kNo;
      reply.reason = TxidText(txid) + " was aborted while it was being prepared";
    } else {
      reply.vote = Vote::kYes;
    }
  }
  if (reply.vote == Vote::kNo) {
    ReleaseAfterAbortLogged(txid);
    return reply;
  }
  TWOPC_FAIL_POINT("participant_after_prepared_sync");
  return reply;
}

Status Agent::Commit(int64_t txid) { return CommitMany({txid}).front(); }

std::vector<Status> Agent::CommitMany(const std::vector<int64_t>& txids) {
  return CommitManyImpl(txids, nullptr);
}

std::vector<Status> Agent::CommitManyAround(const std::vector<int64_t>& txids,
                                            const std::function<void()>& meanwhile) {
  return CommitManyImpl(txids, &meanwhile);
}

std::vector<Status> Agent::CommitManyImpl(const std::vector<int64_t>& txids,
                                          const std::function<void()>* meanwhile) {
  std::vector<Status> statuses(txids.size());
  std::vector<size_t> to_apply;  // indexes into txids
  std::vector<size_t> to_await;  // being applied by another request
  std::vector<SqliteStore::Committed> items;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < txids.size(); ++i) {
      const int64_t txid = txids[i];
      if (auto h = heuristics_.find(txid);
          h != heuristics_.end() && h->second.outcome == HeuristicOutcome::kAbort) {
        statuses[i] = Status::Aborted(TxidText(txid) + " was forced to ABORT here by an operator");
        continue;
      }
      switch (table_.OnCommitRequest(txid)) {
        case TransactionTable::CommitAction::kAcknowledge:
          break;
        case TransactionTable::CommitAction::kRefuseAborted:
          statuses[i] = Status::Aborted(TxidText(txid) + " was aborted here; it cannot commit");
          break;
        case TransactionTable::CommitAction::kWait:
          to_await.push_back(i);
          break;
        case TransactionTable::CommitAction::kApply:
          to_apply.push_back(i);
          items.push_back(SqliteStore::Committed{txid, &prepared_.at(txid).changeset});
          break;
      }
    }
  }
  // Until its COMMITTED record is durable a transaction stays "committing"
  // (a repeated commit waits), though its rows are released as soon as the
  // changes are applied: any later record that becomes durable makes this one
  // durable too, and a restart applies again what the database lost.
  const bool defer_sync = meanwhile != nullptr;
  uint64_t durable_at = 0;
  if (!items.empty()) {
    TWOPC_FAIL_POINT("participant_before_apply");
    // Real time: a latency metric.
    const RealClock::time_point apply_start = RealClock::now();
    const std::vector<Status> applied = batcher_.ApplyMany(items, !defer_sync, &durable_at);
    const auto apply_nanos = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(RealClock::now() - apply_start)
            .count());
    for (const Status& status : applied) {
      if (!status.ok()) continue;
      metrics_.commits.fetch_add(1, std::memory_order_relaxed);
      metrics_.commit_latency.Observe(apply_nanos);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t k = 0; k < to_apply.size(); ++k) {
        const int64_t txid = txids[to_apply[k]];
        statuses[to_apply[k]] = applied[k];
        if (!applied[k].ok()) {
          table_.OnApplyFailed(txid);
          LOG(ERROR) << "applying " << TxidText(txid) << ": " << applied[k].ToString();
          continue;
        }
        locks_.ReleaseAll(txid);
        if (!defer_sync) {
          table_.OnCommitted(txid);
          prepared_.erase(txid);
        }
      }
    }
    released_cv_.notify_all();
  }
  std::exception_ptr failure;
  if (meanwhile != nullptr) {
    try {
      (*meanwhile)();
    } catch (...) {
      failure = std::current_exception();
    }
  }
  if (defer_sync && !items.empty()) {
    Status synced = durable_at > 0 ? log_->Sync(durable_at) : Status::Ok();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!synced.ok() && log_error_.ok()) log_error_ = synced;
      for (size_t k = 0; k < to_apply.size(); ++k) {
        const size_t i = to_apply[k];
        if (!statuses[i].ok()) continue;
        if (synced.ok()) {
          table_.OnCommitted(txids[i]);
          prepared_.erase(txids[i]);
        } else {
          table_.OnApplyFailed(txids[i]);
          statuses[i] = synced;
        }
      }
    }
    released_cv_.notify_all();
  }
  if (!to_await.empty()) {
    std::unique_lock<std::mutex> lock(mu_);
    for (size_t i : to_await) {
      TxnState state = TxnState::kCommitting;
      released_cv_.wait(lock, [&] {
        return table_.Find(txids[i], &state) ? state != TxnState::kCommitting : true;
      });
      if (state != TxnState::kCommitted) {
        statuses[i] = Status::IoError("applying " + TxidText(txids[i]) + " failed; retry");
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  return statuses;
}

Status Agent::Abort(int64_t txid) {
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    TxnState state;
    known = table_.Find(txid, &state);
  }
  if (!known) {
    // Unknown here may mean committed in one phase before this agent
    // restarted: the bookkeeping table remembers it, and a coordinator that
    // lost the vote asks with this abort (an acknowledgement would tell it
    // the transaction aborted).
    StatusOr<bool> applied = store_->IsApplied(txid);
    if (!applied.ok()) return applied.status();
    if (*applied) {
      return Status::Aborted(TxidText(txid) + " is already committed here; it cannot abort");
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto h = heuristics_.find(txid);
        h != heuristics_.end() && h->second.outcome == HeuristicOutcome::kCommit) {
      return Status::Aborted(TxidText(txid) + " was forced to COMMIT here by an operator");
    }
    switch (table_.OnAbortRequest(txid)) {
      case TransactionTable::AbortAction::kRelease:
        prepared_.erase(txid);
        metrics_.aborts.fetch_add(1, std::memory_order_relaxed);
        break;
      case TransactionTable::AbortAction::kAbortWhileRunning:
        // Its SQL stops at the next check; it votes NO.
        if (auto running = running_.find(txid); running != running_.end()) {
          running->second->Cancel();
        }
        released_cv_.notify_all();  // if it waits for a locked row
        return Status::Ok();
      case TransactionTable::AbortAction::kAcknowledge:
        return Status::Ok();
      case TransactionTable::AbortAction::kRefuseCommitted:
        return Status::Aborted(TxidText(txid) + " is already committed here; it cannot abort");
    }
  }
  ReleaseAfterAbortLogged(txid);
  return Status::Ok();
}

void Agent::ReleaseAfterAbortLogged(int64_t txid) {
  // In this order: a branch that takes the rows next syncs its PREPARED
  // after this ABORTED, so a restart never finds both prepared on one row.
  (void)LogOutcome(TypeOf(RecordType::kAborted), {txid}, /*sync=*/false);
  {
    std::lock_guard<std::mutex> lock(mu_);
    locks_.ReleaseAll(txid);
  }
  released_cv_.notify_all();
}

std::optional<HeuristicOutcome> Agent::HeuristicOutcomeOf(int64_t txid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = heuristics_.find(txid);
  if (it == heuristics_.end()) return std::nullopt;
  return it->second.outcome;
}

std::vector<HeuristicRecord> Agent::UncheckedHeuristics() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HeuristicRecord> out;
  for (const auto& [txid, heuristic] : heuristics_) {
    if (!heuristics_checked_.count(txid)) out.push_back(heuristic);
  }
  return out;
}

void Agent::MarkHeuristicChecked(int64_t txid, bool agreed) {
  HeuristicRecord heuristic;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = heuristics_.find(txid);
    if (it == heuristics_.end() || heuristics_checked_.count(txid)) return;
    heuristic = it->second;
    // Kept in memory: a commit the coordinator still delivers is answered
    // HEURISTIC_MISMATCH rather than acknowledged.
    heuristics_checked_.insert(txid);
    if (!agreed) mismatches_[txid] = heuristic;
  }
  if (!agreed) {
    std::shared_lock<std::shared_mutex> appending(checkpoint_mu_);
    StatusOr<wal::Lsn> lsn =
        log_->Append(TypeOf(RecordType::kHeuristicMismatch), EncodeHeuristic(heuristic));
    if (!lsn.ok()) LOG(ERROR) << "logging a heuristic mismatch: " << lsn.status().ToString();
  }
  (void)LogOutcome(TypeOf(RecordType::kHeuristicChecked), {txid}, /*sync=*/false);
}

std::vector<HeuristicRecord> Agent::Mismatches() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HeuristicRecord> out;
  for (const auto& [txid, mismatch] : mismatches_) out.push_back(mismatch);
  return out;
}

std::vector<int64_t> Agent::ListPrepared() {
  std::lock_guard<std::mutex> lock(mu_);
  return table_.Prepared();
}

Agent::LockedRows Agent::Locked() {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t shared = locks_.SharedOnlyRows();
  return LockedRows{locks_.locked_keys() - shared, shared};
}

std::vector<Agent::PreparedInfo> Agent::PreparedTransactions() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PreparedInfo> out;
  const Clock::TimePoint now = options_.clock->Now();
  for (const auto& [txid, prepared] : prepared_) {
    out.push_back(
        PreparedInfo{txid, now - prepared.since, prepared.prepared_at_ms, prepared.recovered});
  }
  return out;
}

}  // namespace twopc::participant
