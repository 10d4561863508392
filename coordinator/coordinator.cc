#include "coordinator/coordinator.h"

#include <algorithm>
#include <set>

#include <glog/logging.h>

#include "wal/base/fail_point.h"

namespace twopc::coordinator {

namespace {

CoreOptions CoreOptionsOf(const CoordinatorOptions& options) {
  CoreOptions core;
  core.default_prepare_timeout = options.default_prepare_timeout;
  core.max_prepare_timeout = options.max_prepare_timeout;
  core.redelivery_interval = options.redelivery_interval;
  core.commit_linger = options.commit_linger;
  core.max_in_flight = options.max_in_flight;
  return core;
}

template <typename Map>
std::vector<std::string> NamesOf(const Map& channels) {
  std::vector<std::string> names;
  for (const auto& [name, channel] : channels) names.push_back(name);
  return names;  // sorted: a std::map's keys
}

int64_t MillisUntil(const Clock* clock, Clock::TimePoint deadline) {
  return std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock->Now()).count());
}

}  // namespace

Coordinator::Coordinator(const CoordinatorOptions& options, DecisionLog* log,
                         std::map<std::string, std::unique_ptr<ParticipantChannel>> participants,
                         uint64_t epoch, RecoveredDecisions recovered, const Clock* clock)
    : options_(options),
      log_(log),
      clock_(clock),
      channels_(std::move(participants)),
      names_(NamesOf(channels_)),
      core_(CoreOptionsOf(options), clock, names_, epoch, std::move(recovered), &metrics_),
      workers_(options.fanout_threads),
      abort_workers_(std::max<size_t>(1, options.fanout_threads / 4)) {}

Coordinator::~Coordinator() { Stop(); }

void Coordinator::Start() {
  timer_ = std::thread([this] { TimerLoop(); });
}

void Coordinator::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  // Calls still queued are dropped: the log delivers committed decisions
  // again after a restart, and presumed abort covers the rest.
  workers_.Stop();
  abort_workers_.Stop();
  // Whoever still waits will not hear more from this process.
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [request_id, waiting] : waiting_) {
    std::lock_guard<std::mutex> answer(waiting->mu);
    waiting->result.txid = waiting->txid;
    if (core_.StatusOf(waiting->txid) == Outcome::kCommitted) {
      waiting->result.outcome = Outcome::kCommitted;
      waiting->result.reason =
          "committed; some participants have not applied it yet (the coordinator is stopping; "
          "it delivers the decision again when it restarts)";
    } else {
      waiting->result.outcome = Outcome::kUnknown;
      waiting->result.reason =
          "the coordinator is stopping; ask for the transaction's status later";
    }
    waiting->done = true;
    waiting->cv.notify_one();
  }
  waiting_.clear();
  waiting_by_txid_.clear();
}

std::map<std::string, std::string> Coordinator::participant_addresses() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, channel] : channels_) out[name] = channel->address();
  return out;
}

size_t Coordinator::undelivered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return core_.undelivered();
}

template <typename Event>
CoreActions Coordinator::Step(const Event& event) {
  CoreActions actions;
  std::vector<std::pair<Waiting*, ExecuteResult>> answered;
  std::vector<std::pair<Waiting*, LogAppend>> handed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    event(&actions);
    for (Reply& reply : actions.replies) {
      auto it = waiting_.find(reply.request_id);
      if (it == waiting_.end()) continue;
      waiting_by_txid_.erase(it->second->txid);
      answered.emplace_back(it->second, std::move(reply.result));
      waiting_.erase(it);
    }
    // A COMMIT record is synced by the thread of the client waiting for it:
    // it wakes once, for the sync, and is answered on its own thread.
    for (auto it = actions.appends.begin(); it != actions.appends.end();) {
      auto waiting = waiting_by_txid_.find(it->txid);
      if (it->kind != LogAppend::Kind::kCommit || waiting == waiting_by_txid_.end()) {
        ++it;
        continue;
      }
      handed.emplace_back(waiting->second, std::move(*it));
      it = actions.appends.erase(it);
    }
    const std::optional<Clock::TimePoint> wake = core_.NextWake();
    if (wake && *wake < timer_wake_) {
      timer_wake_ = *wake;
      timer_cv_.notify_one();
    }
  }
  // Notified under their locks: a waiter cannot return (and destroy its
  // Waiting) before this thread is done with it.
  for (auto& [waiting, append] : handed) {
    std::lock_guard<std::mutex> lock(waiting->mu);
    waiting->appends.push_back(std::move(append));
    waiting->cv.notify_one();
  }
  for (auto& [waiting, result] : answered) {
    std::lock_guard<std::mutex> lock(waiting->mu);
    waiting->result = std::move(result);
    waiting->done = true;
    waiting->cv.notify_one();
  }
  return actions;
}

void Coordinator::Start(CoreActions actions) {
  for (LogAppend& append : actions.appends) {
    if (append.kind != LogAppend::Kind::kCommit) {
      // Not forced, and maybe a checkpoint: here, outside the core's lock.
      Append(append);
      continue;
    }
    workers_.Post([this, append = std::move(append)] { Append(append); });
  }
  for (PrepareCall& call : actions.prepares) {
    workers_.Post([this, call = std::move(call)]() mutable {
      RunPrepares(std::move(call), /*keep_line=*/true);
    });
  }
  for (CommitCall& call : actions.commits) {
    workers_.Post([this, call = std::move(call)] {
      CommitAcks acks;
      const std::optional<CallFailure> failure =
          channels_.at(call.participant)
              ->CommitMany(call.txids, options_.commit_rpc_timeout.count(), &acks);
      Start(Step([&](CoreActions* out) { core_.OnCommitDone(call.call_id, failure, acks, out); }));
    });
  }
  for (AbortCall& call : actions.aborts) {
    WorkerPool& pool = call.learns_outcome ? workers_ : abort_workers_;
    pool.Post([this, call = std::move(call)] {
      const std::optional<CallFailure> failure =
          channels_.at(call.participant)->Abort(call.txid, options_.commit_rpc_timeout.count());
      // Presumed abort: a participant that missed it will ask and be told ABORT.
      if (failure)
        VLOG(1) << "abort of " << call.txid << " to " << call.participant << ": "
                << failure->message;
      Start(Step([&](CoreActions* out) { core_.OnAbortDone(call, failure, out); }));
    });
  }
}

void Coordinator::RunPrepares(PrepareCall call, bool keep_line) {
  while (true) {
    ParticipantChannel* channel = channels_.at(call.participant).get();
    PrepareManyReply reply;
    const std::optional<CallFailure> failure =
        channel->PrepareMany(call.items, call.commits, MillisUntil(clock_, call.deadline), &reply);
    CoreActions next = Step([&](CoreActions* out) {
      core_.OnPrepareDone(call.call_id, failure, std::move(reply), out);
    });
    // The line's next call stays on this thread: no wake-up between calls.
    std::optional<PrepareCall> again;
    if (keep_line) {
      for (auto it = next.prepares.begin(); it != next.prepares.end(); ++it) {
        if (it->participant != call.participant) continue;
        again = std::move(*it);
        next.prepares.erase(it);
        break;
      }
    }
    Start(std::move(next));
    if (!again) return;
    call = std::move(*again);
  }
}

void Coordinator::Append(const LogAppend& append) {
  switch (append.kind) {
    case LogAppend::Kind::kCommit: {
      TWOPC_FAIL_POINT("coordinator_before_commit_logged");
      const Status logged = log_->LogCommit(append.txid, append.participants);
      if (!logged.ok()) {
        // Whether the record reached the disk is unknown: neither outcome may
        // be announced. Stop; the restart reads the log and finishes it.
        LOG(FATAL) << "decision log failed for transaction " << append.txid << ": "
                   << logged.ToString();
      }
      TWOPC_FAIL_POINT("coordinator_after_commit_logged");
      Start(Step([&](CoreActions* out) { core_.OnCommitLogged(append.txid, out); }));
      return;
    }
    case LogAppend::Kind::kEnd: {
      const Status status = log_->LogEnd(append.txid);
      if (!status.ok()) LOG(ERROR) << "logging END of " << append.txid << ": " << status.ToString();
      return;
    }
    case LogAppend::Kind::kMismatch: {
      const Status status = log_->LogMismatch(append.mismatch);
      if (!status.ok()) LOG(ERROR) << "logging the mismatch: " << status.ToString();
      return;
    }
  }
}

void Coordinator::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const std::optional<Clock::TimePoint> wake = core_.NextWake();
    timer_wake_ = wake.value_or(Clock::TimePoint::max());
    if (wake && clock_->Now() >= *wake) {
      lock.unlock();
      Start(Step([this](CoreActions* out) { core_.Tick(out); }));
      lock.lock();
      continue;
    }
    // Woken early when an event brings the next tick closer.
    if (wake) {
      timer_cv_.wait_until(lock, *wake);
    } else {
      timer_cv_.wait(lock);
    }
  }
}

StatusOr<ExecuteResult> Coordinator::Execute(std::vector<Branch> branches,
                                             const ExecuteOptions& options) {
  Waiting waiting;
  Status refused;
  CoreActions actions = Step([&](CoreActions* out) {
    if (stopping_) {
      refused = Status::Aborted("the coordinator is stopping");
      return;
    }
    const uint64_t request_id = next_request_++;
    StatusOr<int64_t> txid = core_.Submit(request_id, std::move(branches), options, out);
    if (!txid.ok()) {
      refused = txid.status();
      return;
    }
    waiting.txid = *txid;
    waiting_[request_id] = &waiting;
    waiting_by_txid_[*txid] = &waiting;
  });
  if (!refused.ok()) return refused;
  // One prepare call leaves on this thread (the others on workers), as a
  // lone transaction's would with no driver at all.
  std::optional<PrepareCall> mine;
  if (!actions.prepares.empty()) {
    mine = std::move(actions.prepares.front());
    actions.prepares.erase(actions.prepares.begin());
  }
  Start(std::move(actions));
  if (mine) RunPrepares(std::move(*mine), /*keep_line=*/false);
  std::unique_lock<std::mutex> lock(waiting.mu);
  while (true) {
    waiting.cv.wait(lock, [&waiting] { return waiting.done || !waiting.appends.empty(); });
    if (waiting.appends.empty()) break;  // done
    const LogAppend append = std::move(waiting.appends.front());
    waiting.appends.pop_front();
    lock.unlock();
    Append(append);
    lock.lock();
  }
  return std::move(waiting.result);
}

Outcome Coordinator::StatusOf(int64_t txid) {
  std::lock_guard<std::mutex> lock(mu_);
  return core_.StatusOf(txid);
}

Decision Coordinator::Resolve(int64_t txid, const std::string& participant) {
  Decision decision;
  {
    std::lock_guard<std::mutex> lock(mu_);
    decision = core_.Resolve(txid);
  }
  VLOG(1) << "participant " << participant << " asks about " << txid << ": "
          << (decision == Decision::kCommit  ? "COMMIT"
              : decision == Decision::kAbort ? "ABORT"
                                             : "IN_PROGRESS");
  return decision;
}

void Coordinator::ReportHeuristicMismatch(int64_t txid, const std::string& participant,
                                          bool forced_commit) {
  Start(Step([&](CoreActions* out) {
    core_.ReportHeuristicMismatch(txid, participant, forced_commit, out);
  }));
}

std::vector<InDoubtTransaction> Coordinator::InDoubt() {
  std::vector<InDoubtTransaction> own;
  {
    std::lock_guard<std::mutex> lock(mu_);
    own = core_.InDoubt();
  }
  std::map<int64_t, InDoubtTransaction> found;
  std::vector<InDoubtTransaction> mismatches;
  for (InDoubtTransaction& t : own) {
    if (t.state == "HEURISTIC_MISMATCH") {
      mismatches.push_back(std::move(t));
    } else {
      const int64_t txid = t.txid;
      found.emplace(txid, std::move(t));
    }
  }
  std::vector<InDoubtTransaction> out;
  for (const auto& [name, channel] : channels_) {
    std::vector<PreparedBranch> prepared;
    if (std::optional<CallFailure> failure = channel->ListInDoubt(2000, &prepared)) {
      InDoubtTransaction& t = out.emplace_back();
      t.txid = 0;
      t.state = "PARTICIPANT_UNREACHABLE";
      t.age_ms = 0;
      t.participants = {name};
      t.detail = failure->message;
      continue;
    }
    for (const PreparedBranch& p : prepared) {
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
  for (InDoubtTransaction& t : mismatches) out.push_back(std::move(t));
  for (auto& [txid, t] : found) out.push_back(std::move(t));
  return out;
}

}  // namespace twopc::coordinator
