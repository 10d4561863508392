#include "coordinator/coordinator.h"

#include <algorithm>
#include <set>

#include <glog/logging.h>
#include <thrift/Thrift.h>
#include <boost/asio/post.hpp>

#include "coordinator/client/wire.h"
#include "coordinator/overlapped_calls.h"
#include "wal/base/fail_point.h"

namespace twopc::coordinator {

using Clock = std::chrono::steady_clock;

namespace {

BranchVote FromThrift(rpc::Vote::type vote) {
  switch (vote) {
    case rpc::Vote::YES:
      return BranchVote::kYes;
    case rpc::Vote::READ_ONLY:
      return BranchVote::kReadOnly;
    case rpc::Vote::COMMITTED:
      return BranchVote::kCommitted;
    case rpc::Vote::NO:
      break;
  }
  return BranchVote::kNo;
}

int64_t WallClockMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t MillisUntil(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
}

// At most this many commit decisions ride on one prepare.
constexpr size_t kMaxCarriedCommits = 256;

}  // namespace

Coordinator::Coordinator(const CoordinatorOptions& options, DecisionLog* log,
                         std::map<std::string, std::unique_ptr<ParticipantPool>> participants,
                         uint64_t epoch, RecoveredDecisions recovered)
    : options_(options),
      log_(log),
      participants_(std::move(participants)),
      txids_(epoch),
      pool_(options.fanout_threads),
      undelivered_(std::move(recovered.undelivered)),
      committed_at_ms_(std::move(recovered.committed_at_ms)),
      mismatches_(std::move(recovered.mismatches)) {
  for (const auto& [name, pool] : participants_) known_names_.push_back(name);
  for (const auto& [txid, names] : undelivered_) {
    LOG(INFO) << "transaction " << txid << " committed before the restart; delivering it to "
              << names.size() << " participant(s) again";
  }
  for (const auto& [name, pool] : participants_) {
    couriers_[name] = std::make_unique<CommitCourier>(
        pool.get(), options_.commit_rpc_timeout.count(), options_.commit_linger);
    lines_[name] = std::make_unique<PrepareLine>();
  }
}

Coordinator::~Coordinator() {
  Stop();
  pool_.join();
}

void Coordinator::Start() {
  redelivery_ = std::thread([this] { RedeliveryLoop(); });
}

void Coordinator::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (redelivery_.joinable()) redelivery_.join();
  for (auto& [name, courier] : couriers_) courier->Stop();
}

std::map<std::string, std::string> Coordinator::participant_addresses() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, pool] : participants_) out[name] = pool->address().ToString();
  return out;
}

void Coordinator::CountAbort(const std::vector<VoteResult>& votes) {
  AbortCause cause = AbortCause::kUnreachable;
  for (const VoteResult& vote : votes) {
    if (vote.deadlocked) {
      cause = AbortCause::kDeadlock;
      break;
    }
    if (vote.vote == BranchVote::kNo) {
      cause = AbortCause::kVotedNo;
      break;
    }
    if (vote.timed_out) cause = AbortCause::kPrepareTimeout;
  }
  metrics_.CountAbort(cause);
}

size_t Coordinator::undelivered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return undelivered_.size();
}

namespace {

// How long a branch answered retry (its rows are held by a prepared
// transaction) waits before it is sent again: doubling from 100 us to 5 ms.
Clock::duration RetryBackoff(int attempt) {
  const int shift = std::min(attempt, 6);
  return std::min<Clock::duration>(std::chrono::microseconds(100L << shift),
                                   std::chrono::milliseconds(5));
}

}  // namespace

// One branch's prepare while its transaction waits for the votes.
struct Coordinator::PendingBranch {
  PrepareLine* line = nullptr;
  PrepareLine::ItemPtr item;
  // Answered try_again: queued again at resend_at.
  std::optional<Clock::time_point> resend_at;
  Clock::time_point busy_since;  // first try_again
  int attempts = 0;
  bool timed_out = false;
  bool deadlocked = false;
  bool waits = false;  // has a wait in the graph
};

std::vector<Coordinator::VoteResult> Coordinator::PrepareAll(int64_t txid,
                                                             const std::vector<Branch>& request,
                                                             bool one_phase,
                                                             Clock::time_point deadline) {
  const size_t n = request.size();
  const int64_t timeout_ms = MillisUntil(deadline);
  auto waiter = std::make_shared<PrepareLine::Waiter>();
  std::vector<PendingBranch> branches(n);
  for (size_t i = 0; i < n; ++i) {
    PendingBranch& branch = branches[i];
    branch.line = lines_.at(request[i].participant).get();
    branch.item = std::make_shared<PrepareLine::Item>();
    branch.item->request.txid = txid;
    const std::vector<Statement>& statements = request[i].statements;
    branch.item->request.statements.resize(statements.size());
    for (size_t j = 0; j < statements.size(); ++j) {
      client_internal::ToWire(statements[j], &branch.item->request.statements[j]);
    }
    branch.item->request.__set_one_phase(one_phase);
    branch.item->waiter = waiter;
    branch.item->deadline = deadline;
    branch.line->Enqueue(branch.item);
  }
  // Only a transaction that waited is in the graph (a deadlock victim too):
  // the others do not take its lock at all.
  struct WaitsGuard {
    Coordinator* coordinator;
    int64_t txid;
    bool waited = false;
    ~WaitsGuard() {
      if (waited) coordinator->ForgetWaits(txid);
    }
  } waits_guard{this, txid};
  std::optional<std::string> deadlock;
  while (true) {
    // Send what is queued on every free line this transaction waits for.
    std::vector<Claim> claims;
    for (size_t i = 0; i < n; ++i) {
      const PendingBranch& branch = branches[i];
      if (branch.resend_at || branch.item->done.load(std::memory_order_acquire)) continue;
      std::vector<PrepareLine::ItemPtr> batch = branch.line->Claim();
      if (!batch.empty()) {
        claims.push_back(Claim{request[i].participant, std::move(batch)});
      }
    }
    if (!claims.empty()) SendPrepares(claims);

    const Clock::time_point now = Clock::now();
    bool waiting = false;
    bool requeued = false;
    Clock::time_point wake_at = deadline;
    for (size_t i = 0; i < n; ++i) {
      PendingBranch& branch = branches[i];
      const BranchStep step = Step(branch, now, deadline);
      waiting = waiting || step != BranchStep::kAnswered;
      requeued = requeued || step == BranchStep::kQueuedAgain;
      if (branch.resend_at) wake_at = std::min(wake_at, *branch.resend_at);
      if (step == BranchStep::kBackingOff && branch.item->result.held_by > 0 && !deadlock) {
        branch.waits = true;
        waits_guard.waited = true;
        deadlock = NoteWait(txid, i, request[i].participant, branch.item->result.held_by, waiter);
      } else if (step == BranchStep::kAnswered && branch.waits) {
        branch.waits = false;
        NoteWaitEnded(txid, i);
      }
    }
    if (!deadlock && pending_victims_.load(std::memory_order_acquire) > 0) {
      deadlock = TakeDeadlockVictim(txid);
    }
    // Out of time, or chosen to break a deadlock: what is still queued is
    // withdrawn; what is in flight answers to nobody (an abort follows it).
    auto give_up = [&branches](bool PendingBranch::*why) {
      for (PendingBranch& branch : branches) {
        if (!branch.resend_at && branch.item->done.load(std::memory_order_acquire)) continue;
        if (!branch.resend_at) branch.line->Cancel(branch.item);
        branch.*why = true;
      }
    };
    if (deadlock) {
      give_up(&PendingBranch::deadlocked);
      break;
    }
    if (!waiting) break;
    if (requeued) continue;  // claim it at once if its line is free
    if (!waiter->WaitUntil(wake_at) && Clock::now() >= deadline) {
      give_up(&PendingBranch::timed_out);
      break;
    }
  }
  std::vector<VoteResult> votes(n);
  for (size_t i = 0; i < n; ++i) {
    if (branches[i].deadlocked) {
      votes[i].vote = BranchVote::kFailed;
      votes[i].deadlocked = true;
      votes[i].reason = *deadlock;
      continue;
    }
    if (branches[i].timed_out) {
      votes[i].vote = BranchVote::kFailed;
      votes[i].timed_out = true;
      votes[i].reason =
          "no vote within the prepare timeout (" + std::to_string(timeout_ms) + " ms)";
      continue;
    }
    votes[i] = VoteOf(*branches[i].item, deadline, timeout_ms);
  }
  return votes;
}

Coordinator::BranchStep Coordinator::Step(PendingBranch& branch, Clock::time_point now,
                                          Clock::time_point deadline) {
  if (branch.resend_at) {
    if (now < *branch.resend_at) return BranchStep::kWaiting;
    // Sent again with everything as before, and how long it has waited.
    auto again = std::make_shared<PrepareLine::Item>();
    again->request = branch.item->request;
    again->request.__set_waited_ms(static_cast<int32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now - branch.busy_since).count()));
    again->waiter = branch.item->waiter;
    again->deadline = deadline;
    branch.item = std::move(again);
    branch.resend_at.reset();
    branch.line->Enqueue(branch.item);
    return BranchStep::kQueuedAgain;
  }
  const PrepareLine::Item& item = *branch.item;
  if (!item.done.load(std::memory_order_acquire)) return BranchStep::kWaiting;
  if (item.failure || !item.result.try_again || now >= deadline) return BranchStep::kAnswered;
  // A row it writes is held by a prepared transaction: back off, then resend.
  if (branch.attempts++ == 0) branch.busy_since = now;
  branch.resend_at = now + RetryBackoff(branch.attempts - 1);
  return BranchStep::kBackingOff;
}

std::optional<std::string> Coordinator::NoteWait(
    int64_t txid, size_t branch, const std::string& participant, int64_t holder,
    const std::shared_ptr<PrepareLine::Waiter>& waiter) {
  std::shared_ptr<PrepareLine::Waiter> victim_waiter;
  std::string reason;
  {
    std::lock_guard<std::mutex> lock(waits_mu_);
    waiting_[txid] = waiter;
    const std::optional<WaitForGraph::Deadlock> found =
        waits_.AddWait(txid, branch, participant, holder);
    if (!found) return std::nullopt;
    reason = "deadlock: " + WaitForGraph::Describe(*found) + "; " + std::to_string(found->victim) +
             ", the youngest, was aborted";
    LOG(INFO) << reason;
    // The victim's waits end now: no second cycle is found through them.
    waits_.Forget(found->victim);
    if (found->victim == txid) return reason;
    auto it = waiting_.find(found->victim);
    if (it != waiting_.end()) victim_waiter = it->second;
    deadlock_victims_[found->victim] = reason;
    pending_victims_.store(deadlock_victims_.size(), std::memory_order_release);
  }
  if (victim_waiter) victim_waiter->Wake();
  return std::nullopt;
}

void Coordinator::NoteWaitEnded(int64_t txid, size_t branch) {
  std::lock_guard<std::mutex> lock(waits_mu_);
  waits_.RemoveWait(txid, branch);
}

std::optional<std::string> Coordinator::TakeDeadlockVictim(int64_t txid) {
  std::lock_guard<std::mutex> lock(waits_mu_);
  auto it = deadlock_victims_.find(txid);
  if (it == deadlock_victims_.end()) return std::nullopt;
  std::string reason = std::move(it->second);
  deadlock_victims_.erase(it);
  pending_victims_.store(deadlock_victims_.size(), std::memory_order_release);
  return reason;
}

void Coordinator::ForgetWaits(int64_t txid) {
  std::lock_guard<std::mutex> lock(waits_mu_);
  waits_.Forget(txid);
  waiting_.erase(txid);
  if (deadlock_victims_.erase(txid) > 0) {
    pending_victims_.store(deadlock_victims_.size(), std::memory_order_release);
  }
}

Coordinator::VoteResult Coordinator::VoteOf(const PrepareLine::Item& item,
                                            Clock::time_point deadline, int64_t timeout_ms) const {
  VoteResult vote;
  if (item.failure) {
    if (item.failure->refused) {
      vote.vote = BranchVote::kNo;
      vote.reason = item.failure->message;
      return vote;
    }
    vote.vote = BranchVote::kFailed;
    vote.timed_out = MillisUntil(deadline) <= 0;
    vote.reason = vote.timed_out
                      ? "no vote within the prepare timeout (" + std::to_string(timeout_ms) + " ms)"
                      : "unreachable: " + item.failure->message;
    return vote;
  }
  if (item.result.try_again) {
    // Still answered retry at the deadline.
    vote.vote = BranchVote::kNo;
    vote.reason = "lock conflict: " + item.result.reason;
    return vote;
  }
  vote.vote = FromThrift(item.result.vote);
  vote.reason = item.result.reason;
  vote.changes = item.result.changes;
  vote.rows = item.result.rows;
  return vote;
}

void Coordinator::SendPrepares(std::vector<Claim>& claims) {
  const size_t n = claims.size();
  std::vector<ParticipantPool*> pools(n);
  std::vector<std::vector<CommitCourier::Pending>> carried(n);
  std::vector<rpc::PrepareManyResult> replies(n);
  // The call must not outlast any transaction in it: the earliest deadline
  // bounds it (a participant that slow fails the later ones too).
  Clock::time_point deadline = Clock::time_point::max();
  for (size_t k = 0; k < n; ++k) {
    pools[k] = participants_.at(claims[k].participant).get();
    // Commit decisions of earlier transactions waiting for this participant
    // ride on the call.
    carried[k] = couriers_.at(claims[k].participant)->Take(kMaxCarriedCommits);
    for (const PrepareLine::ItemPtr& item : claims[k].batch) {
      deadline = std::min(deadline, item->deadline);
    }
  }
  auto remaining = [deadline] { return std::max<int64_t>(1, MillisUntil(deadline)); };
  auto send = [&](size_t k, ParticipantPool::Client& client) {
    std::vector<PrepareLine::ItemPtr>& batch = claims[k].batch;
    // The requests are lent to the call, not copied (their statements may be
    // large), and given back to their items once written: a branch answered
    // try_again is sent again from its item.
    std::vector<rpc::PrepareRequest> requests;
    requests.reserve(batch.size());
    for (const PrepareLine::ItemPtr& item : batch) {
      // The participant stops the branch's SQL before this transaction stops waiting.
      item->request.__set_timeout_ms(rpc::BranchTimeoutMs(MillisUntil(item->deadline)));
      requests.push_back(std::move(item->request));
    }
    struct GiveBack {
      std::vector<rpc::PrepareRequest>& requests;
      std::vector<PrepareLine::ItemPtr>& batch;
      ~GiveBack() {
        for (size_t i = 0; i < batch.size(); ++i) batch[i]->request = std::move(requests[i]);
      }
    } give_back{requests, batch};
    std::vector<int64_t> commits;
    commits.reserve(carried[k].size());
    for (const CommitCourier::Pending& pending : carried[k]) commits.push_back(pending.txid);
    client->send_prepare_many(requests, commits);
  };
  auto receive = [&](size_t k, ParticipantPool::Client& client) {
    client->recv_prepare_many(replies[k]);
  };
  const std::vector<std::optional<CallFailure>> failures =
      OverlapCalls(pools, remaining, send, receive);
  for (size_t k = 0; k < n; ++k) {
    std::optional<CallFailure> failure = failures[k];
    std::vector<PrepareLine::ItemPtr>& batch = claims[k].batch;
    if (!failure && replies[k].results.size() != batch.size()) {
      failure =
          CallFailure{false, rpc::ErrorCode::INTERNAL,
                      "the participant answered " + std::to_string(replies[k].results.size()) +
                          " of " + std::to_string(batch.size()) + " prepares"};
    }
    if (!carried[k].empty()) {
      std::optional<CallFailure> carried_failure;
      if (failure) {
        // Whatever the call's own error, the commits it carried are not
        // known to be durable there: they are delivered again.
        carried_failure = CallFailure{false, rpc::ErrorCode::INTERNAL,
                                      "the prepare carrying it failed: " + failure->message};
      }
      CommitCourier::Complete(carried[k], replies[k].commit_acks, carried_failure);
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (failure) {
        batch[i]->failure = failure;
      } else {
        batch[i]->result = std::move(replies[k].results[i]);
      }
    }
    lines_.at(claims[k].participant)->Finish(batch);
  }
}

void Coordinator::SendAbortsInBackground(int64_t txid, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    boost::asio::post(pool_, [this, txid, name] {
      try {
        participants_.at(name)->With(static_cast<int>(options_.commit_rpc_timeout.count()),
                                     [&](ParticipantPool::Client& client) { client->abort(txid); });
      } catch (const std::exception& e) {
        // Presumed abort: the participant will ask and be told ABORT.
        VLOG(1) << "abort of " << txid << " to " << name << " failed: " << e.what();
      }
    });
  }
}

std::optional<bool> Coordinator::AbortOnePhase(int64_t txid, const std::string& participant) {
  try {
    participants_.at(participant)
        ->With(static_cast<int>(options_.commit_rpc_timeout.count()),
               [&](ParticipantPool::Client& client) { client->abort(txid); });
    return true;
  } catch (const rpc::TxError& e) {
    // The agent refuses to abort what it committed; a refusal of the call
    // itself (a token mismatch) says nothing about the branch.
    if (e.code != rpc::ErrorCode::UNAUTHENTICATED) {
      LOG(INFO) << "one-phase transaction " << txid << " committed at " << participant << ": "
                << e.message;
      return false;
    }
    LOG(WARNING) << "one-phase transaction " << txid << " at " << participant
                 << ": outcome unknown: " << e.message;
    return std::nullopt;
  } catch (const apache::thrift::TException& e) {
    LOG(WARNING) << "one-phase transaction " << txid << " at " << participant
                 << ": outcome unknown: " << e.what();
    return std::nullopt;
  }
}

bool Coordinator::DeliverAndFinish(int64_t txid, const std::vector<std::string>& names) {
  const bool all_applied = Deliver(txid, names);
  {
    std::lock_guard<std::mutex> lock(mu_);
    delivering_.erase(txid);
  }
  Finish(txid, TxnOutcome::kCommitted);
  return all_applied;
}

void Coordinator::DeliverInBackground(int64_t txid, const std::vector<std::string>& names,
                                      Clock::time_point decided_at) {
  struct Delivery {
    std::mutex mu;
    std::vector<std::string> names;
    std::vector<char> delivered;
    size_t waiting = 0;
    bool any_delivered = false;
  };
  auto delivery = std::make_shared<Delivery>();
  delivery->names = names;
  delivery->delivered.assign(names.size(), 0);
  delivery->waiting = names.size();
  for (size_t i = 0; i < names.size(); ++i) {
    couriers_.at(names[i])->Send(
        txid, [this, txid, delivery, i, decided_at](const std::optional<CallFailure>& failure) {
          const bool delivered = Delivered(txid, delivery->names[i], failure);
          bool first = false;
          bool last = false;
          {
            std::lock_guard<std::mutex> lock(delivery->mu);
            delivery->delivered[i] = delivered;
            first = delivered && !delivery->any_delivered;
            delivery->any_delivered = delivery->any_delivered || delivered;
            last = --delivery->waiting == 0;
          }
          // Crash point 5: the decision reached some participants, maybe not all.
          if (first && delivery->names.size() > 1)
            TWOPC_FAIL_POINT("coordinator_after_first_commit_delivered");
          if (!last) return;
          std::vector<std::string> still;
          for (size_t k = 0; k < delivery->names.size(); ++k) {
            if (!delivery->delivered[k]) still.push_back(delivery->names[k]);
          }
          if (RecordDelivery(txid, std::move(still))) {
            metrics_.commit_latency.Observe(NanosSince(decided_at));
          }
          {
            std::lock_guard<std::mutex> lock(mu_);
            delivering_.erase(txid);
          }
          Finish(txid, TxnOutcome::kCommitted);
        });
  }
}

void Coordinator::Finish(int64_t txid, TxnOutcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(txid);
  recent_.Remember(txid, outcome);
}

bool Coordinator::Deliver(int64_t txid, std::vector<std::string> remaining) {
  std::vector<ParticipantPool*> pools;
  std::vector<std::string> unknown;  // named in the log, not configured now
  for (auto it = remaining.begin(); it != remaining.end();) {
    auto pool = participants_.find(*it);
    if (pool == participants_.end()) {
      LOG_EVERY_N(ERROR, 100) << "transaction " << txid << " must be committed at participant '"
                              << *it << "', which is not configured (--participant)";
      unknown.push_back(*it);
      it = remaining.erase(it);
      continue;
    }
    pools.push_back(pool->second.get());
    ++it;
  }
  const int64_t timeout_ms = options_.commit_rpc_timeout.count();
  bool first_ack = true;
  const std::vector<std::optional<CallFailure>> failures = OverlapCalls(
      pools, [timeout_ms] { return timeout_ms; },
      [txid](size_t, ParticipantPool::Client& client) { client->send_commit(txid); },
      [&](size_t, ParticipantPool::Client& client) {
        client->recv_commit();
        // Crash point 5: the decision reached some participants, maybe not all.
        if (first_ack && remaining.size() > 1)
          TWOPC_FAIL_POINT("coordinator_after_first_commit_delivered");
        first_ack = false;
      });
  std::vector<std::string> still;
  for (size_t i = 0; i < remaining.size(); ++i) {
    if (!Delivered(txid, remaining[i], failures[i])) still.push_back(remaining[i]);
  }
  still.insert(still.end(), unknown.begin(), unknown.end());
  return RecordDelivery(txid, std::move(still));
}

bool Coordinator::Delivered(int64_t txid, const std::string& participant,
                            const std::optional<CallFailure>& failure) {
  if (!failure) return true;
  if (failure->refused && failure->code == rpc::ErrorCode::HEURISTIC_MISMATCH) {
    // Nothing more can be delivered: the mismatch is reported instead.
    ReportHeuristicMismatch(txid, participant, /*forced_commit=*/false);
    return true;
  }
  if (failure->refused) {
    LOG(ERROR) << "participant " << participant << " refused to commit transaction " << txid << ": "
               << failure->message;
  } else {
    VLOG(1) << "commit of " << txid << " to " << participant << " failed: " << failure->message;
  }
  return false;
}

bool Coordinator::RecordDelivery(int64_t txid, std::vector<std::string> still) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!still.empty()) {
      undelivered_[txid] = std::move(still);
      return false;
    }
    undelivered_.erase(txid);
    committed_at_ms_.erase(txid);
  }
  // Outside mu_: an END may trigger a log checkpoint (syncs), which must not
  // stall every execute, status and resolve behind it.
  Status status = log_->LogEnd(txid);
  if (!status.ok()) LOG(ERROR) << "logging END of " << txid << ": " << status.ToString();
  return true;
}

StatusOr<ExecuteResult> Coordinator::Execute(const std::vector<Branch>& request,
                                             const ExecuteOptions& options) {
  const Clock::time_point started = Clock::now();
  const int64_t txid = txids_.Next();
  if (txid == 0) {
    return Status::LimitExceeded(
        "this coordinator start used up its transaction ids; restart it to begin a new epoch");
  }
  metrics_.begun.fetch_add(1, std::memory_order_relaxed);
  auto finished = [&](RecentTransactions::Outcome outcome) {
    const uint64_t nanos = NanosSince(started);
    if (outcome == RecentTransactions::kCommitted) {
      metrics_.committed.fetch_add(1, std::memory_order_relaxed);
      metrics_.transaction_latency.Observe(nanos);
    } else if (outcome == RecentTransactions::kUnknown) {
      metrics_.unknown.fetch_add(1, std::memory_order_relaxed);
    }
    metrics_.recent.Add(txid, outcome, static_cast<int64_t>(nanos / 1000));
  };
  std::vector<std::string> names;
  for (const Branch& branch : request) names.push_back(branch.participant);
  auto live = std::make_shared<Live>(names);
  Actions start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Back-pressure: refused at once rather than queued.
    if (auto refusal = rpc::CheckInFlight(live_.size(), options_.max_in_flight)) {
      return Status::Busy(refusal->message);
    }
    // Registered before any prepare leaves, so an inquiry is never told ABORT
    // for a transaction that may still commit.
    live_[txid] = live;
    start = live->machine.Start();
  }

  ExecuteResult result;
  result.txid = txid;
  // The prepare ends by its timeout, or by the transaction's deadline if that is earlier.
  std::optional<Clock::time_point> transaction_deadline;
  if (options.deadline_ms > 0) {
    transaction_deadline = started + std::chrono::milliseconds(options.deadline_ms);
  }
  const Clock::time_point deadline =
      std::min(Clock::now() + rpc::EffectivePrepareTimeout(options.timeout_ms,
                                                           options_.default_prepare_timeout,
                                                           options_.max_prepare_timeout),
               transaction_deadline.value_or(Clock::time_point::max()));

  // Phase 1: every branch prepares in parallel.
  std::vector<VoteResult> votes = PrepareAll(txid, request, start.one_phase, deadline);
  metrics_.prepare_latency.Observe(NanosSince(started));

  if (start.one_phase && votes[0].vote == BranchVote::kFailed) {
    // A single branch commits by itself: without its answer the outcome is
    // unknown until an abort is acknowledged (the agent refuses to abort a
    // branch it committed).
    const std::optional<bool> aborted = AbortOnePhase(txid, names[0]);
    if (!aborted) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        live_.erase(txid);
      }
      result.outcome = Outcome::kUnknown;
      result.reason = "participant " + names[0] + ": " + votes[0].reason +
                      "; the outcome of this one-phase transaction is unknown";
      finished(RecentTransactions::kUnknown);
      return result;
    }
    if (!*aborted) {
      Finish(txid, TxnOutcome::kCommitted);
      result.outcome = Outcome::kCommitted;
      finished(RecentTransactions::kCommitted);
      return result;
    }
  }

  // Past its deadline a transaction aborts unless a branch already committed
  // it (one phase): the decision is taken now, or not at all. A branch that
  // voted NO keeps its own reason (a retry would fail the same way).
  const bool committed_or_refused =
      std::any_of(votes.begin(), votes.end(), [](const VoteResult& v) {
        return v.vote == BranchVote::kCommitted || v.vote == BranchVote::kNo;
      });
  const bool past_deadline =
      transaction_deadline && Clock::now() >= *transaction_deadline && !committed_or_refused;
  Actions decided;
  if (past_deadline) {
    std::lock_guard<std::mutex> lock(mu_);
    decided = live->machine.GiveUp(
        "deadline: the transaction did not reach its commit point within "
        "its deadline of " +
        std::to_string(options.deadline_ms) + " ms");
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string* deadlock = nullptr;
    for (size_t i = 0; i < votes.size(); ++i) {
      if (votes[i].deadlocked) {
        deadlock = &votes[i].reason;  // no vote: its prepare may still land
        continue;
      }
      Actions actions = live->machine.OnVote(names[i], votes[i].vote, votes[i].reason);
      if (actions.reply || actions.log_commit) decided = actions;
      if (!actions.send_abort.empty() && !decided.reply) decided.send_abort = actions.send_abort;
    }
    if (deadlock != nullptr && !decided.reply) decided = live->machine.GiveUp(*deadlock);
  }
  for (size_t i = 0; i < votes.size(); ++i) {
    BranchResult& branch = result.branches.emplace_back();
    branch.participant = names[i];
    branch.changes = std::move(votes[i].changes);
    for (rpc::QueryResult& rows : votes[i].rows) {
      branch.rows.push_back(client_internal::FromWire(std::move(rows)));
    }
  }

  if (decided.reply == TxnOutcome::kAborted) {
    SendAbortsInBackground(txid, decided.send_abort);
    Finish(txid, TxnOutcome::kAborted);
    result.outcome = Outcome::kAborted;
    result.reason = decided.reason;
    if (past_deadline) {
      metrics_.CountAbort(AbortCause::kDeadline);
    } else {
      CountAbort(votes);
    }
    finished(RecentTransactions::kAborted);
    return result;
  }
  if (decided.reply == TxnOutcome::kCommitted) {  // read-only or one-phase
    Finish(txid, TxnOutcome::kCommitted);
    result.outcome = Outcome::kCommitted;
    finished(RecentTransactions::kCommitted);
    return result;
  }
  CHECK(decided.log_commit) << "transaction " << txid << " has neither outcome nor decision";

  // Phase 2: the commit point is the durable COMMIT record.
  std::vector<std::string> yes_voters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    yes_voters = live->machine.yes_voters();
  }
  TWOPC_FAIL_POINT("coordinator_before_commit_logged");
  const Clock::time_point decided_at = Clock::now();
  Status logged = log_->LogCommit(txid, yes_voters);
  if (!logged.ok()) {
    // Whether the record reached the disk is unknown: neither outcome may be
    // announced. Stop; the restart reads the log and finishes the transaction.
    LOG(FATAL) << "decision log failed for transaction " << txid << ": " << logged.ToString();
  }
  TWOPC_FAIL_POINT("coordinator_after_commit_logged");
  Actions commit;
  {
    std::lock_guard<std::mutex> lock(mu_);
    commit = live->machine.OnCommitLogged();
    undelivered_[txid] = commit.send_commit;
    committed_at_ms_[txid] = WallClockMillis();
    delivering_.insert(txid);
  }
  result.outcome = Outcome::kCommitted;
  if (!options.wait_applied) {
    // Answered at the commit point; the decision reaches the participants
    // right after (and again after a crash, from the log).
    DeliverInBackground(txid, commit.send_commit, decided_at);
    finished(RecentTransactions::kCommitted);
    return result;
  }
  const bool applied = DeliverAndFinish(txid, commit.send_commit);
  if (applied) metrics_.commit_latency.Observe(NanosSince(decided_at));
  finished(RecentTransactions::kCommitted);
  if (!applied) {
    result.reason = "committed; some participants have not applied it yet (retrying)";
  }
  return result;
}

Outcome Coordinator::StatusOf(int64_t txid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (undelivered_.count(txid)) return Outcome::kCommitted;
  auto live = live_.find(txid);
  if (live != live_.end()) {
    const Phase phase = live->second->machine.phase();
    if (phase == Phase::kCommitting || phase == Phase::kCommitted) return Outcome::kCommitted;
    if (phase == Phase::kAborted) return Outcome::kAborted;
    return Outcome::kInProgress;
  }
  if (auto outcome = recent_.Find(txid)) {
    return *outcome == TxnOutcome::kCommitted ? Outcome::kCommitted : Outcome::kAborted;
  }
  return Outcome::kUnknown;
}

Decision Coordinator::Resolve(int64_t txid, const std::string& participant) {
  const Outcome outcome = StatusOf(txid);
  VLOG(1) << "participant " << participant << " asks about " << txid << ": "
          << OutcomeName(outcome);
  switch (outcome) {
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

std::vector<InDoubtTransaction> Coordinator::InDoubt() {
  std::map<int64_t, InDoubtTransaction> found;
  const int64_t now_ms = WallClockMillis();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [txid, names] : undelivered_) {
      InDoubtTransaction& t = found[txid];
      t.txid = txid;
      t.state = "UNDELIVERED_COMMIT";
      auto at = committed_at_ms_.find(txid);
      t.age_ms = at == committed_at_ms_.end() || at->second == 0 ? 0 : now_ms - at->second;
      t.participants = names;
      t.detail = "committed; waiting for these participants to apply it";
    }
    const auto now = Clock::now();
    for (const auto& [txid, live] : live_) {
      if (found.count(txid)) continue;
      InDoubtTransaction& t = found[txid];
      t.txid = txid;
      t.state = "IN_PROGRESS";
      t.age_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - live->started).count();
      t.participants = live->machine.participants();
    }
  }
  std::vector<InDoubtTransaction> out;
  for (const auto& [name, pool] : participants_) {
    std::vector<rpc::PreparedTransaction> prepared;
    try {
      pool->With(2000, [&](ParticipantPool::Client& client) { client->list_in_doubt(prepared); });
    } catch (const std::exception& e) {
      InDoubtTransaction t;
      t.txid = 0;
      t.state = "PARTICIPANT_UNREACHABLE";
      t.age_ms = 0;
      t.participants = {name};
      t.detail = e.what();
      out.push_back(std::move(t));
      continue;
    }
    for (const rpc::PreparedTransaction& p : prepared) {
      auto [it, inserted] = found.try_emplace(p.txid);
      InDoubtTransaction& t = it->second;
      if (inserted) {
        t.txid = p.txid;
        t.state = "PREPARED";
        t.age_ms = p.age_ms;
        t.detail = (p.recovered ? "recovered at restart; waiting for the outcome"
                                : "waiting for the outcome");
      }
      if (std::find(t.participants.begin(), t.participants.end(), name) == t.participants.end()) {
        if (t.state == "PREPARED") t.participants.push_back(name);
      }
      t.age_ms = std::max(t.age_ms, p.age_ms);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const MismatchRecord& m : mismatches_) {
      InDoubtTransaction t;
      t.txid = m.txid;
      t.state = "HEURISTIC_MISMATCH";
      t.age_ms = now_ms - m.reported_at_ms;
      t.participants = {m.participant};
      t.detail = (std::string("an operator forced ") + (m.forced_commit ? "COMMIT" : "ABORT") +
                  " at this participant; the coordinator decided otherwise");
      out.push_back(std::move(t));
    }
  }
  for (auto& [txid, t] : found) out.push_back(std::move(t));
  return out;
}

void Coordinator::ReportHeuristicMismatch(int64_t txid, const std::string& participant,
                                          bool forced_commit) {
  LOG(ERROR) << "HEURISTIC MISMATCH: transaction " << txid << " was forced to "
             << (forced_commit ? "COMMIT" : "ABORT") << " at participant " << participant
             << ", which disagrees with the coordinator's decision";
  MismatchRecord record{txid, participant, forced_commit, WallClockMillis()};
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const MismatchRecord& m : mismatches_) {
      if (m.txid == txid && m.participant == participant) return;
    }
    mismatches_.push_back(record);
  }
  Status logged = log_->LogMismatch(record);
  if (!logged.ok()) LOG(ERROR) << "logging the mismatch: " << logged.ToString();
}

void Coordinator::RedeliveryLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    std::map<int64_t, std::vector<std::string>> work;
    for (const auto& [txid, names] : undelivered_) {
      if (!delivering_.count(txid)) work.emplace(txid, names);
    }
    lock.unlock();
    for (auto& [txid, names] : work) {
      metrics_.delivery_retries.fetch_add(names.size(), std::memory_order_relaxed);
      if (Deliver(txid, names)) LOG(INFO) << "transaction " << txid << " delivered everywhere";
    }
    lock.lock();
    stop_cv_.wait_for(lock, options_.redelivery_interval, [this] { return stopping_; });
  }
}

}  // namespace twopc::coordinator
