#include "coordinator/core/coordinator_core.h"

#include <algorithm>
#include <set>

#include <glog/logging.h>

#include "coordinator/core/timeouts.h"
#include "wal/base/fail_point.h"

namespace twopc::coordinator {

namespace {

using TimePoint = Clock::TimePoint;

uint64_t NanosBetween(TimePoint from, TimePoint to) {
  return static_cast<uint64_t>(std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count()));
}

int64_t MillisBetween(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

// How long a branch answered retry (its rows are held by a prepared
// transaction) waits before it is sent again: doubling from 100 us to 5 ms.
Clock::Duration RetryBackoff(uint32_t conflicts) {
  const uint32_t shift = std::min<uint32_t>(conflicts, 6);
  return std::min<Clock::Duration>(std::chrono::microseconds(100L << shift),
                                   std::chrono::milliseconds(5));
}

// Roughly how many bytes a branch puts on the wire.
size_t PrepareBytes(const std::vector<Statement>& statements) {
  size_t bytes = 16;
  for (const Statement& statement : statements) {
    bytes += statement.sql.size() + 8;
    for (const Value& value : statement.params) {
      bytes += 16 + value.bytes().size();
    }
  }
  return bytes;
}

std::string PrepareTimeoutReason(int64_t timeout_ms) {
  return "no vote within the prepare timeout (" + std::to_string(timeout_ms) + " ms)";
}

}  // namespace

CoordinatorCore::CoordinatorCore(const CoreOptions& options, const Clock* clock,
                                 std::vector<std::string> participants, uint64_t epoch,
                                 RecoveredDecisions recovered, CoordinatorMetrics* metrics)
    : options_(options),
      clock_(clock),
      names_(std::move(participants)),
      metrics_(metrics),
      txids_(epoch),
      undelivered_(std::move(recovered.undelivered)),
      committed_at_ms_(std::move(recovered.committed_at_ms)),
      next_redelivery_(clock->Now()),
      mismatches_(std::move(recovered.mismatches)) {
  std::sort(names_.begin(), names_.end());
  for (const std::string& name : names_) lines_[name];
  for (const auto& [txid, names] : undelivered_) {
    LOG(INFO) << "transaction " << txid << " committed before the restart; delivering it to "
              << names.size() << " participant(s) again";
  }
}

CoordinatorCore::Txn* CoordinatorCore::FindLive(int64_t txid) {
  auto it = live_.find(txid);
  return it == live_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------- prepare

StatusOr<int64_t> CoordinatorCore::Submit(uint64_t request_id, std::vector<Branch> branches,
                                          const ExecuteOptions& options, CoreActions* out) {
  if (live_.size() >= options_.max_in_flight) {
    return Status::Busy("overloaded: " + std::to_string(live_.size()) +
                        " transactions in flight (--max_in_flight " +
                        std::to_string(options_.max_in_flight) + "); retry later");
  }
  const int64_t txid = txids_.Next();
  if (txid == 0) {
    return Status::LimitExceeded(
        "this coordinator start used up its transaction ids; restart it to begin a new epoch");
  }
  metrics_->begun.fetch_add(1, std::memory_order_relaxed);
  const TimePoint now = clock_->Now();
  // Registered before any prepare leaves, so an inquiry is never told ABORT
  // for a transaction that may still commit.
  Txn& txn = live_[txid];
  txn.txid = txid;
  txn.request_id = request_id;
  txn.one_phase = branches.size() == 1;
  txn.wait_applied = options.wait_applied;
  txn.started = now;
  const std::chrono::milliseconds timeout = EffectivePrepareTimeout(
      options.timeout_ms, options_.default_prepare_timeout, options_.max_prepare_timeout);
  txn.timeout_ms = timeout.count();
  txn.deadline = now + timeout;
  if (options.deadline_ms > 0) {
    txn.deadline_ms = options.deadline_ms;
    txn.transaction_deadline = now + std::chrono::milliseconds(options.deadline_ms);
    txn.deadline = std::min(txn.deadline, *txn.transaction_deadline);
    txn.timeout_ms = MillisBetween(now, txn.deadline);
  }
  txn.deadline_timer = timers_.emplace(txn.deadline, Timer{Timer::Kind::kDeadline, txid, 0, 0});
  txn.branches.resize(branches.size());
  txn.unanswered = branches.size();
  for (size_t i = 0; i < branches.size(); ++i) {
    BranchState& branch = txn.branches[i];
    branch.participant = std::move(branches[i].participant);
    branch.statements =
        std::make_shared<const std::vector<Statement>>(std::move(branches[i].statements));
    lines_.at(branch.participant).prepares.push_back(QueuedPrepare{txid, i});
  }
  for (size_t i = 0; i < txn.branches.size(); ++i) {
    SendPrepares(txn.branches[i].participant, out);
  }
  return txid;
}

void CoordinatorCore::SendPrepares(const std::string& participant, CoreActions* out) {
  Line& line = lines_.at(participant);
  if (line.prepare_in_flight) return;
  const TimePoint now = clock_->Now();
  PrepareCall call;
  PrepareInFlight flight;
  size_t bytes = 0;
  call.deadline = TimePoint::max();
  while (!line.prepares.empty() && call.items.size() < options_.max_prepare_items) {
    const QueuedPrepare next = line.prepares.front();
    Txn* txn = FindLive(next.txid);
    // Withdrawn: its transaction gave up while it waited in the queue.
    if (txn == nullptr || txn->branches[next.branch].step != Step::kQueued) {
      line.prepares.pop_front();
      continue;
    }
    BranchState& branch = txn->branches[next.branch];
    const size_t size = PrepareBytes(*branch.statements);
    if (!call.items.empty() && bytes + size > options_.max_prepare_bytes) break;
    bytes += size;
    line.prepares.pop_front();
    branch.step = Step::kInFlight;
    ++branch.attempt;
    PrepareItem& item = call.items.emplace_back();
    item.txid = next.txid;
    item.statements = branch.statements;
    item.one_phase = txn->one_phase;
    if (branch.conflicts > 0) {
      item.waited_ms = static_cast<int32_t>(MillisBetween(branch.busy_since, now));
    }
    item.deadline = txn->deadline;
    branch.may_be_prepared = true;
    call.deadline = std::min(call.deadline, txn->deadline);
    flight.branches.emplace_back(next.txid, next.branch);
    flight.attempts.push_back(branch.attempt);
  }
  if (call.items.empty()) return;
  // Commit decisions of earlier transactions waiting for this participant
  // ride on the call.
  while (!line.commits.empty() && call.commits.size() < options_.max_commits_per_call) {
    call.commits.push_back(line.commits.front().txid);
    line.commits.pop_front();
  }
  line.prepare_in_flight = true;
  call.call_id = next_call_id_++;
  call.participant = participant;
  flight.participant = participant;
  flight.commits = call.commits;
  prepare_calls_.emplace(call.call_id, std::move(flight));
  out->prepares.push_back(std::move(call));
}

void CoordinatorCore::OnPrepareDone(uint64_t call_id, const std::optional<CallFailure>& failure,
                                    PrepareManyReply reply, CoreActions* out) {
  auto it = prepare_calls_.find(call_id);
  if (it == prepare_calls_.end()) return;
  PrepareInFlight flight = std::move(it->second);
  prepare_calls_.erase(it);
  lines_.at(flight.participant).prepare_in_flight = false;

  std::optional<CallFailure> call_failure = failure;
  if (!call_failure && reply.results.size() != flight.branches.size()) {
    call_failure = CallFailure{CallFailure::Kind::kTransport,
                               "the participant answered " + std::to_string(reply.results.size()) +
                                   " of " + std::to_string(flight.branches.size()) + " prepares"};
  }
  for (size_t k = 0; k < flight.commits.size(); ++k) {
    std::optional<CallFailure> ack;
    if (call_failure) {
      // Whatever the call's own error, the commits it carried are not known
      // to be durable there: they are delivered again.
      ack = CallFailure{CallFailure::Kind::kTransport,
                        "the prepare carrying it failed: " + call_failure->message};
    } else if (k < reply.commit_acks.size()) {
      ack = reply.commit_acks[k];
    } else {
      ack = CallFailure{CallFailure::Kind::kTransport, "no acknowledgement in the reply"};
    }
    OnCommitAck(flight.commits[k], flight.participant, ack, out);
  }
  std::vector<int64_t> touched;
  for (size_t k = 0; k < flight.branches.size(); ++k) {
    const auto [txid, index] = flight.branches[k];
    PrepareReply* answer = call_failure ? nullptr : &reply.results[k];
    Txn* txn = FindLive(txid);
    if (txn == nullptr || txn->branches[index].step != Step::kInFlight ||
        txn->branches[index].attempt != flight.attempts[k]) {
      // It answers to nobody: its transaction gave up. A prepared branch
      // must not wait for an inquiry to be released.
      if (answer != nullptr && answer->vote == BranchVote::kYes &&
          recent_.Find(txid) != TxnOutcome::kCommitted && txn == nullptr) {
        out->aborts.push_back(AbortCall{flight.participant, txid, false});
      }
      // A one-phase branch being asked about answers after all.
      if (answer != nullptr && answer->vote == BranchVote::kCommitted && txn != nullptr &&
          txn->phase == Phase::kProbingOnePhase) {
        ReplyTo(*txn, Outcome::kCommitted, "", out);
        Finish(txid, TxnOutcome::kCommitted);
      }
      continue;
    }
    OnBranchAnswer(*txn, index, call_failure, answer, out);
    touched.push_back(txid);
  }
  SendPrepares(flight.participant, out);
  for (int64_t txid : touched) {
    Txn* txn = FindLive(txid);
    // Decided once every vote is in (a refusal does not cut the others
    // short: each branch then knows its own fate and reports it).
    if (txn == nullptr || txn->phase != Phase::kPreparing) continue;
    if (txn->unanswered == 0) Decide(*txn, out);
  }
}

void CoordinatorCore::OnBranchAnswer(Txn& txn, size_t index,
                                     const std::optional<CallFailure>& failure, PrepareReply* reply,
                                     CoreActions* out) {
  BranchState& branch = txn.branches[index];
  const TimePoint now = clock_->Now();
  if (reply != nullptr && reply->try_again && now < txn.deadline) {
    BackOff(txn, index, reply->held_by, out);
    return;
  }
  branch.step = Step::kAnswered;
  --txn.unanswered;
  // Only a lost answer leaves it possibly prepared.
  branch.may_be_prepared = failure && !failure->answered();
  if (branch.waits) {
    branch.waits = false;
    waits_.RemoveWait(txn.txid, index);
  }
  if (failure) {
    if (failure->answered()) {
      branch.vote = BranchVote::kNo;
      branch.reason = failure->message;
      return;
    }
    branch.vote = BranchVote::kFailed;
    branch.timed_out = now >= txn.deadline;
    branch.reason = branch.timed_out ? PrepareTimeoutReason(txn.timeout_ms)
                                     : "unreachable: " + failure->message;
    return;
  }
  if (reply->try_again) {
    // Still answered retry at the deadline.
    branch.vote = BranchVote::kNo;
    branch.reason = "lock conflict: " + reply->reason;
    return;
  }
  branch.vote = reply->vote == BranchVote::kFailed ? BranchVote::kNo : reply->vote;
  branch.reason = std::move(reply->reason);
  branch.changes = std::move(reply->changes);
  branch.rows = std::move(reply->rows);
}

void CoordinatorCore::BackOff(Txn& txn, size_t index, int64_t held_by, CoreActions* out) {
  BranchState& branch = txn.branches[index];
  const TimePoint now = clock_->Now();
  branch.may_be_prepared = false;  // it kept nothing
  if (branch.conflicts++ == 0) branch.busy_since = now;
  branch.step = Step::kBackingOff;
  timers_.emplace(now + RetryBackoff(branch.conflicts - 1),
                  Timer{Timer::Kind::kResend, txn.txid, index, branch.attempt});
  if (held_by <= 0) return;
  branch.waits = true;
  txn.in_wait_graph = true;
  const std::optional<WaitForGraph::Deadlock> found =
      waits_.AddWait(txn.txid, index, branch.participant, held_by);
  if (!found) return;
  const std::string reason = "deadlock: " + WaitForGraph::Describe(*found) + "; " +
                             std::to_string(found->victim) + ", the youngest, was aborted";
  LOG(INFO) << reason;
  // The victim's waits end now: no second cycle is found through them.
  waits_.Forget(found->victim);
  Txn* victim = FindLive(found->victim);
  if (victim != nullptr) GiveUp(*victim, /*deadlocked=*/true, reason, out);
}

void CoordinatorCore::GiveUp(Txn& txn, bool deadlocked, const std::string& reason,
                             CoreActions* out) {
  if (txn.phase != Phase::kPreparing) return;
  // What is still queued is withdrawn; what is in flight answers to nobody
  // (an abort follows it).
  for (BranchState& branch : txn.branches) {
    if (branch.step == Step::kAnswered) continue;
    branch.step = Step::kAnswered;
    branch.vote = BranchVote::kFailed;
    branch.reason = reason;
    branch.timed_out = !deadlocked;
    branch.deadlocked = deadlocked;
  }
  txn.unanswered = 0;
  Decide(txn, out);
}

void CoordinatorCore::ForgetWaits(Txn& txn) {
  if (!txn.in_wait_graph) return;
  waits_.Forget(txn.txid);
  txn.in_wait_graph = false;
}

void CoordinatorCore::Decide(Txn& txn, CoreActions* out) {
  const TimePoint now = clock_->Now();
  metrics_->prepare_latency.Observe(NanosBetween(txn.started, now));
  ForgetWaits(txn);
  if (txn.deadline_timer != timers_.end()) {
    timers_.erase(txn.deadline_timer);
    txn.deadline_timer = timers_.end();
  }
  for (BranchState& branch : txn.branches) {
    BranchResult& result = txn.result.branches.emplace_back();
    result.participant = branch.participant;
    result.changes = std::move(branch.changes);
    result.rows = std::move(branch.rows);
  }
  if (txn.one_phase && txn.branches[0].vote == BranchVote::kFailed) {
    // A single branch commits by itself: without its answer the outcome is
    // unknown until an abort is acknowledged (the agent refuses to abort a
    // branch it committed).
    txn.phase = Phase::kProbingOnePhase;
    out->aborts.push_back(AbortCall{txn.branches[0].participant, txn.txid, true});
    return;
  }
  DecideOnVotes(txn, out);
}

void CoordinatorCore::DecideOnVotes(Txn& txn, CoreActions* out) {
  const TimePoint now = clock_->Now();
  // Past its deadline a transaction aborts unless a branch already committed
  // it (one phase): the decision is taken now, or not at all. A branch that
  // voted NO keeps its own reason (a retry would fail the same way).
  const bool committed_or_refused =
      std::any_of(txn.branches.begin(), txn.branches.end(), [](const BranchState& b) {
        return b.vote == BranchVote::kCommitted || b.vote == BranchVote::kNo;
      });
  if (txn.transaction_deadline && now >= *txn.transaction_deadline && !committed_or_refused) {
    Abort(txn,
          "deadline: the transaction did not reach its commit point within its deadline of " +
              std::to_string(txn.deadline_ms) + " ms",
          AbortCause::kDeadline, out);
    return;
  }
  const BranchState* deadlocked = nullptr;
  const BranchState* refused = nullptr;
  bool any_timed_out = false;
  bool any_no = false;
  for (const BranchState& branch : txn.branches) {
    if (branch.step != Step::kAnswered) continue;  // still preparing: it hears the abort
    if (branch.deadlocked) {
      if (deadlocked == nullptr) deadlocked = &branch;  // no vote: its prepare may still land
      continue;
    }
    any_timed_out = any_timed_out || branch.timed_out;
    any_no = any_no || branch.vote == BranchVote::kNo;
    if (refused == nullptr &&
        (branch.vote == BranchVote::kNo || branch.vote == BranchVote::kFailed)) {
      refused = &branch;
    }
  }
  if (refused != nullptr || deadlocked != nullptr) {
    const AbortCause cause = deadlocked != nullptr ? AbortCause::kDeadlock
                             : any_no              ? AbortCause::kVotedNo
                             : any_timed_out       ? AbortCause::kPrepareTimeout
                                                   : AbortCause::kUnreachable;
    const std::string reason = refused != nullptr
                                   ? "participant " + refused->participant + ": " + refused->reason
                                   : deadlocked->reason;
    Abort(txn, reason, cause, out);
    return;
  }
  // Every branch voted YES, READ_ONLY or (one-phase) COMMITTED.
  for (const BranchState& branch : txn.branches) {
    if (branch.vote == BranchVote::kYes) txn.yes_voters.push_back(branch.participant);
  }
  if (txn.yes_voters.empty()) {
    const int64_t txid = txn.txid;
    ReplyTo(txn, Outcome::kCommitted, "", out);
    Finish(txid, TxnOutcome::kCommitted);
    return;
  }
  // Phase 2: the commit point is the durable COMMIT record.
  txn.phase = Phase::kLoggingCommit;
  txn.decided_at = now;
  LogAppend& append = out->appends.emplace_back();
  append.kind = LogAppend::Kind::kCommit;
  append.txid = txn.txid;
  append.participants = txn.yes_voters;
}

void CoordinatorCore::Abort(Txn& txn, const std::string& reason, AbortCause cause,
                            CoreActions* out) {
  // Everyone that may hold a prepared branch hears the abort: the YES voters,
  // and those sent a prepare whose answer did not come (it may still land).
  // Not a branch never sent or answered NO or retry: it holds nothing. Under
  // presumed abort this is a courtesy that frees locks early; an inquiry
  // would get ABORT anyway.
  for (const BranchState& branch : txn.branches) {
    if (branch.vote == BranchVote::kYes || branch.may_be_prepared) {
      out->aborts.push_back(AbortCall{branch.participant, txn.txid, false});
    }
  }
  metrics_->CountAbort(cause);
  const int64_t txid = txn.txid;
  ReplyTo(txn, Outcome::kAborted, reason, out);
  Finish(txid, TxnOutcome::kAborted);
}

void CoordinatorCore::ReplyTo(Txn& txn, Outcome outcome, std::string reason, CoreActions* out) {
  if (txn.replied) return;
  txn.replied = true;
  const uint64_t nanos = NanosBetween(txn.started, clock_->Now());
  RecentTransactions::Outcome shown = RecentTransactions::kAborted;
  if (outcome == Outcome::kCommitted) {
    shown = RecentTransactions::kCommitted;
    metrics_->committed.fetch_add(1, std::memory_order_relaxed);
    metrics_->transaction_latency.Observe(nanos);
  } else if (outcome == Outcome::kUnknown) {
    shown = RecentTransactions::kUnknown;
    metrics_->unknown.fetch_add(1, std::memory_order_relaxed);
  }
  metrics_->recent.Add(txn.txid, shown, static_cast<int64_t>(nanos / 1000));
  Reply& reply = out->replies.emplace_back();
  reply.request_id = txn.request_id;
  reply.result = std::move(txn.result);
  reply.result.txid = txn.txid;
  reply.result.outcome = outcome;
  reply.result.reason = std::move(reason);
}

void CoordinatorCore::Finish(int64_t txid, std::optional<TxnOutcome> outcome) {
  auto it = live_.find(txid);
  if (it != live_.end()) {
    ForgetWaits(it->second);
    if (it->second.deadline_timer != timers_.end()) timers_.erase(it->second.deadline_timer);
    live_.erase(it);
  }
  if (outcome) recent_.Remember(txid, *outcome);
}

void CoordinatorCore::OnAbortDone(const AbortCall& call, const std::optional<CallFailure>& failure,
                                  CoreActions* out) {
  Txn* txn = FindLive(call.txid);
  if (txn == nullptr || txn->phase != Phase::kProbingOnePhase) return;
  const BranchState& branch = txn->branches[0];
  if (!failure) {
    DecideOnVotes(*txn, out);  // aborted there: an abort like any other
    return;
  }
  const int64_t txid = txn->txid;
  if (failure->kind == CallFailure::Kind::kRefused ||
      failure->kind == CallFailure::Kind::kHeuristicMismatch) {
    // The agent refuses to abort what it committed. A refusal of the call
    // itself (a token mismatch) or a failure there says nothing of the branch.
    LOG(INFO) << "one-phase transaction " << txid << " committed at " << branch.participant << ": "
              << failure->message;
    ReplyTo(*txn, Outcome::kCommitted, "", out);
    Finish(txid, TxnOutcome::kCommitted);
    return;
  }
  LOG(WARNING) << "one-phase transaction " << txid << " at " << branch.participant
               << ": outcome unknown: " << failure->message;
  ReplyTo(*txn, Outcome::kUnknown,
          "participant " + branch.participant + ": " + branch.reason +
              "; the outcome of this one-phase transaction is unknown",
          out);
  Finish(txid, std::nullopt);
}

// ---------------------------------------------------------------- commit

void CoordinatorCore::OnCommitLogged(int64_t txid, CoreActions* out) {
  Txn* txn = FindLive(txid);
  if (txn == nullptr || txn->phase != Phase::kLoggingCommit) return;
  txn->phase = Phase::kCommitting;
  undelivered_[txid] = txn->yes_voters;
  committed_at_ms_[txid] = clock_->WallMillis();
  if (!txn->wait_applied) {
    // Answered at the commit point; the decision reaches the participants
    // right after (and again after a crash, from the log).
    ReplyTo(*txn, Outcome::kCommitted, "", out);
  }
  // A client that waits for the participants to apply it: sent at once.
  StartDelivery(txid, txn->yes_voters, /*at_once=*/txn->wait_applied, out);
}

void CoordinatorCore::StartDelivery(int64_t txid, const std::vector<std::string>& names,
                                    bool at_once, CoreActions* out) {
  const TimePoint now = clock_->Now();
  const TimePoint ready_at =
      at_once ? now : now + std::chrono::duration_cast<Clock::Duration>(options_.commit_linger);
  Delivery& delivery = deliveries_[txid];
  delivery = Delivery{};
  delivery.participants = names.size();
  std::vector<const std::string*> sent;
  for (const std::string& name : names) {
    auto line = lines_.find(name);
    if (line == lines_.end()) {
      LOG_EVERY_N(ERROR, 100) << "transaction " << txid << " must be committed at participant '"
                              << name << "', which is not configured (--participant)";
      delivery.still.push_back(name);
      continue;
    }
    line->second.commits.push_back(QueuedCommit{txid, ready_at});
    ++delivery.waiting;
    sent.push_back(&name);
  }
  if (delivery.waiting == 0) {
    OnCommitAck(txid, "", std::nullopt, out);  // ends the round at once
    return;
  }
  if (!at_once) return;  // a prepare may carry it, or Tick sends it
  for (const std::string* name : sent) SendCommits(*name, /*any_ready=*/true, out);
}

void CoordinatorCore::SendCommits(const std::string& participant, bool any_ready,
                                  CoreActions* out) {
  Line& line = lines_.at(participant);
  if (line.commit_in_flight || line.commits.empty()) return;
  if (!any_ready) {
    const TimePoint now = clock_->Now();
    const bool ready = std::any_of(line.commits.begin(), line.commits.end(),
                                   [now](const QueuedCommit& c) { return c.ready_at <= now; });
    if (!ready) return;
  }
  CommitCall call;
  while (!line.commits.empty() && call.txids.size() < options_.max_commits_per_call) {
    call.txids.push_back(line.commits.front().txid);
    line.commits.pop_front();
  }
  line.commit_in_flight = true;
  call.call_id = next_call_id_++;
  call.participant = participant;
  commit_calls_.emplace(call.call_id, CommitInFlight{participant, call.txids});
  out->commits.push_back(std::move(call));
}

void CoordinatorCore::OnCommitDone(uint64_t call_id, const std::optional<CallFailure>& failure,
                                   const CommitAcks& acks, CoreActions* out) {
  auto it = commit_calls_.find(call_id);
  if (it == commit_calls_.end()) return;
  CommitInFlight flight = std::move(it->second);
  commit_calls_.erase(it);
  lines_.at(flight.participant).commit_in_flight = false;
  for (size_t k = 0; k < flight.txids.size(); ++k) {
    std::optional<CallFailure> ack = failure;
    if (!failure) {
      if (k < acks.size()) {
        ack = acks[k];
      } else {
        ack = CallFailure{CallFailure::Kind::kTransport, "no acknowledgement in the reply"};
      }
    }
    OnCommitAck(flight.txids[k], flight.participant, ack, out);
  }
  SendCommits(flight.participant, /*any_ready=*/false, out);
}

void CoordinatorCore::OnCommitAck(int64_t txid, const std::string& participant,
                                  const std::optional<CallFailure>& failure, CoreActions* out) {
  auto it = deliveries_.find(txid);
  if (it == deliveries_.end()) return;
  Delivery& delivery = it->second;
  if (!participant.empty()) {
    bool applied = !failure;
    if (failure && failure->kind == CallFailure::Kind::kHeuristicMismatch) {
      // Nothing more can be delivered: the mismatch is reported instead.
      ReportHeuristicMismatch(txid, participant, /*forced_commit=*/false, out);
      applied = true;
    } else if (failure && failure->answered()) {
      LOG(ERROR) << "participant " << participant << " refused to commit transaction " << txid
                 << ": " << failure->message;
    } else if (failure) {
      VLOG(1) << "commit of " << txid << " to " << participant << " failed: " << failure->message;
    }
    if (applied) {
      // Crash point 5: the decision reached some participants, maybe not all.
      if (!delivery.any_applied && delivery.participants > 1) {
        TWOPC_FAIL_POINT("coordinator_after_first_commit_delivered");
      }
      delivery.any_applied = true;
    } else {
      delivery.still.push_back(participant);
    }
    if (--delivery.waiting > 0) return;
  }
  std::vector<std::string> still = std::move(delivery.still);
  deliveries_.erase(it);
  const bool applied = still.empty();
  if (applied) {
    undelivered_.erase(txid);
    committed_at_ms_.erase(txid);
    LogAppend& append = out->appends.emplace_back();
    append.kind = LogAppend::Kind::kEnd;
    append.txid = txid;
  } else {
    undelivered_[txid] = std::move(still);
  }
  Txn* txn = FindLive(txid);
  if (txn == nullptr) {
    if (applied) LOG(INFO) << "transaction " << txid << " delivered everywhere";
    return;
  }
  if (applied) metrics_->commit_latency.Observe(NanosBetween(txn->decided_at, clock_->Now()));
  ReplyTo(*txn, Outcome::kCommitted,
          applied ? "" : "committed; some participants have not applied it yet (retrying)", out);
  Finish(txid, TxnOutcome::kCommitted);
}

void CoordinatorCore::Redeliver(CoreActions* out) {
  std::vector<std::pair<int64_t, std::vector<std::string>>> work;
  for (const auto& [txid, names] : undelivered_) {
    if (!deliveries_.count(txid)) work.emplace_back(txid, names);
  }
  std::set<std::string> to;
  for (const auto& [txid, names] : work) {
    metrics_->delivery_retries.fetch_add(names.size(), std::memory_order_relaxed);
    StartDelivery(txid, names, /*at_once=*/false, out);
    to.insert(names.begin(), names.end());
  }
  // Sent now, batched per participant, without lingering.
  for (const std::string& name : to) {
    if (lines_.count(name)) SendCommits(name, /*any_ready=*/true, out);
  }
}

// ---------------------------------------------------------------- time

void CoordinatorCore::Tick(CoreActions* out) {
  const TimePoint now = clock_->Now();
  std::vector<std::string> resend_to;
  while (!timers_.empty() && timers_.begin()->first <= now) {
    const Timer timer = timers_.begin()->second;
    timers_.erase(timers_.begin());
    Txn* txn = FindLive(timer.txid);
    if (txn == nullptr) continue;
    if (timer.kind == Timer::Kind::kDeadline) {
      txn->deadline_timer = timers_.end();
      GiveUp(*txn, /*deadlocked=*/false, PrepareTimeoutReason(txn->timeout_ms), out);
      continue;
    }
    BranchState& branch = txn->branches[timer.branch];
    if (branch.step != Step::kBackingOff || branch.attempt != timer.attempt) continue;
    // Sent again, with how long it has waited.
    branch.step = Step::kQueued;
    lines_.at(branch.participant).prepares.push_back(QueuedPrepare{timer.txid, timer.branch});
    resend_to.push_back(branch.participant);
  }
  for (const std::string& name : resend_to) SendPrepares(name, out);
  for (auto& [name, line] : lines_) SendCommits(name, /*any_ready=*/false, out);
  if (!undelivered_.empty() && now >= next_redelivery_) {
    next_redelivery_ = now + options_.redelivery_interval;
    Redeliver(out);
  }
}

std::optional<Clock::TimePoint> CoordinatorCore::NextWake() const {
  std::optional<TimePoint> wake;
  auto consider = [&wake](TimePoint at) {
    if (!wake || at < *wake) wake = at;
  };
  if (!timers_.empty()) consider(timers_.begin()->first);
  for (const auto& [name, line] : lines_) {
    if (line.commit_in_flight) continue;
    for (const QueuedCommit& commit : line.commits) consider(commit.ready_at);
  }
  // Rounds under way are for undelivered transactions only: more of those
  // than rounds means some wait for the next redelivery.
  if (undelivered_.size() > deliveries_.size()) consider(next_redelivery_);
  return wake;
}

// ---------------------------------------------------------------- queries

Outcome CoordinatorCore::StatusOf(int64_t txid) const {
  if (undelivered_.count(txid)) return Outcome::kCommitted;
  auto live = live_.find(txid);
  if (live != live_.end()) {
    return live->second.phase == Phase::kCommitting ? Outcome::kCommitted : Outcome::kInProgress;
  }
  if (auto outcome = recent_.Find(txid)) {
    return *outcome == TxnOutcome::kCommitted ? Outcome::kCommitted : Outcome::kAborted;
  }
  return Outcome::kUnknown;
}

Decision CoordinatorCore::Resolve(int64_t txid) const {
  switch (StatusOf(txid)) {
    case Outcome::kCommitted:
      return Decision::kCommit;
    case Outcome::kInProgress:
      return Decision::kInProgress;
    case Outcome::kAborted:
    case Outcome::kUnknown:
      break;
  }
  // Presumed abort: no COMMIT record and not live means it never committed.
  return Decision::kAbort;
}

void CoordinatorCore::ReportHeuristicMismatch(int64_t txid, const std::string& participant,
                                              bool forced_commit, CoreActions* out) {
  LOG(ERROR) << "HEURISTIC MISMATCH: transaction " << txid << " was forced to "
             << (forced_commit ? "COMMIT" : "ABORT") << " at participant " << participant
             << ", which disagrees with the coordinator's decision";
  for (const MismatchRecord& m : mismatches_) {
    if (m.txid == txid && m.participant == participant) return;
  }
  mismatches_.push_back(MismatchRecord{txid, participant, forced_commit, clock_->WallMillis()});
  LogAppend& append = out->appends.emplace_back();
  append.kind = LogAppend::Kind::kMismatch;
  append.txid = txid;
  append.mismatch = mismatches_.back();
}

std::vector<InDoubtTransaction> CoordinatorCore::InDoubt() const {
  std::vector<InDoubtTransaction> out;
  const int64_t now_ms = clock_->WallMillis();
  const TimePoint now = clock_->Now();
  for (const auto& [txid, names] : undelivered_) {
    InDoubtTransaction& t = out.emplace_back();
    t.txid = txid;
    t.state = "UNDELIVERED_COMMIT";
    auto at = committed_at_ms_.find(txid);
    t.age_ms = at == committed_at_ms_.end() || at->second == 0 ? 0 : now_ms - at->second;
    t.participants = names;
    t.detail = "committed; waiting for these participants to apply it";
  }
  for (const auto& [txid, txn] : live_) {
    if (undelivered_.count(txid)) continue;
    InDoubtTransaction& t = out.emplace_back();
    t.txid = txid;
    t.state = "IN_PROGRESS";
    t.age_ms = MillisBetween(txn.started, now);
    for (const BranchState& branch : txn.branches) t.participants.push_back(branch.participant);
  }
  for (const MismatchRecord& m : mismatches_) {
    InDoubtTransaction& t = out.emplace_back();
    t.txid = m.txid;
    t.state = "HEURISTIC_MISMATCH";
    t.age_ms = now_ms - m.reported_at_ms;
    t.participants = {m.participant};
    t.detail = (std::string("an operator forced ") + (m.forced_commit ? "COMMIT" : "ABORT") +
                " at this participant; the coordinator decided otherwise");
  }
  return out;
}

}  // namespace twopc::coordinator
