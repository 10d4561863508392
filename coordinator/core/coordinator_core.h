// The coordinator's protocol, without I/O: two-phase commit under presumed
// abort for every transaction at once. Events come in (a request, a call's
// answer, a record made durable, time passing); what must be sent, logged and
// answered comes out as actions. It never blocks, never reads a clock other
// than the one it is given, and knows no sockets or Thrift, so unit tests and
// the deterministic simulation drive it exactly as the production driver
// (Coordinator) does.
//
// Per participant it keeps two lines: prepares leave in batches, one call in
// flight at a time (the queue leaves together when the call returns); commit
// decisions wait up to `commit_linger` to ride on the next prepare to that
// participant, else leave in one commit_many. Commits not acknowledged are
// sent again every `redelivery_interval`.
//
// Not thread-safe: the driver serialises calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "coordinator/core/coordinator_metrics.h"
#include "coordinator/core/coordinator_records.h"
#include "coordinator/core/decision_log.h"
#include "coordinator/core/participant_channel.h"
#include "coordinator/core/recent_outcomes.h"
#include "coordinator/core/txid_allocator.h"
#include "coordinator/core/wait_for_graph.h"
#include "twopc/transaction.h"
#include "wal/base/clock.h"
#include "wal/base/status.h"

namespace twopc::coordinator {

struct CoreOptions {
  std::chrono::milliseconds default_prepare_timeout{5000};
  std::chrono::milliseconds max_prepare_timeout{60000};
  std::chrono::milliseconds redelivery_interval{500};
  // How long a commit decision waits for a prepare to the same participant to
  // carry it before it is sent on its own.
  std::chrono::microseconds commit_linger{2000};
  // Transactions between execute and the end of their delivery; one more is
  // refused (back-pressure instead of a queue).
  size_t max_in_flight = 1024;
  // A prepare call takes at most this many branches and, past the first,
  // about this many bytes of SQL and parameters.
  size_t max_prepare_items = 64;
  size_t max_prepare_bytes = 4 << 20;
  // Commit decisions per call (carried on a prepare, or in a commit_many).
  size_t max_commits_per_call = 256;
};

// The answer to a participant that asks about a transaction it holds prepared.
enum class Decision { kCommit, kAbort, kInProgress };

// Actions, in the order the driver should start them (they are independent).
struct PrepareCall {
  uint64_t call_id = 0;
  std::string participant;
  std::vector<PrepareItem> items;
  std::vector<int64_t> commits;  // decisions carried, applied before the items
  Clock::TimePoint deadline;     // the earliest of its transactions' deadlines
};
struct CommitCall {
  uint64_t call_id = 0;
  std::string participant;
  std::vector<int64_t> txids;
};
struct AbortCall {
  std::string participant;
  int64_t txid = 0;
  // A one-phase transaction's only branch did not answer: this abort tells
  // the outcome (refused: it committed) and a client waits for it. Otherwise
  // a courtesy that frees locks early (presumed abort).
  bool learns_outcome = false;
};
struct LogAppend {
  enum class Kind {
    kCommit,    // the commit point: reported back with OnCommitLogged
    kEnd,       // every participant applied it (not forced)
    kMismatch,  // a heuristic mismatch (not forced)
  };
  Kind kind = Kind::kCommit;
  int64_t txid = 0;
  std::vector<std::string> participants;  // kCommit
  MismatchRecord mismatch;                // kMismatch
};
struct Reply {
  uint64_t request_id = 0;
  ExecuteResult result;
};
struct CoreActions {
  std::vector<PrepareCall> prepares;
  std::vector<CommitCall> commits;
  std::vector<AbortCall> aborts;
  std::vector<LogAppend> appends;
  std::vector<Reply> replies;

  bool empty() const {
    return prepares.empty() && commits.empty() && aborts.empty() && appends.empty() &&
           replies.empty();
  }
};

class CoordinatorCore {
 public:
  // `participants`: the configured names. `recovered`: what the decision log
  // found at start (commits to deliver again, mismatches).
  CoordinatorCore(const CoreOptions& options, const Clock* clock,
                  std::vector<std::string> participants, uint64_t epoch,
                  RecoveredDecisions recovered, CoordinatorMetrics* metrics);

  // A client's transaction (checked at the edge: known participants, one
  // branch each, sizes). Its result comes later as a Reply with request_id.
  // Busy when --max_in_flight transactions are running, LimitExceeded when
  // this epoch's txids are used up; then nothing else happens.
  StatusOr<int64_t> Submit(uint64_t request_id, std::vector<Branch> branches,
                           const ExecuteOptions& options, CoreActions* out);
  // The answer to a PrepareCall: `failure` for the whole call, else `reply`.
  void OnPrepareDone(uint64_t call_id, const std::optional<CallFailure>& failure,
                     PrepareManyReply reply, CoreActions* out);
  // The answer to a CommitCall: `failure` for the whole call, else one ack per txid.
  void OnCommitDone(uint64_t call_id, const std::optional<CallFailure>& failure,
                    const CommitAcks& acks, CoreActions* out);
  void OnAbortDone(const AbortCall& call, const std::optional<CallFailure>& failure,
                   CoreActions* out);
  // A kCommit append is durable: the transaction committed.
  void OnCommitLogged(int64_t txid, CoreActions* out);
  // Time passed: deadlines, retries after a lock conflict, commits that
  // lingered, redelivery.
  void Tick(CoreActions* out);
  // When Tick has work next, if ever.
  std::optional<Clock::TimePoint> NextWake() const;

  Outcome StatusOf(int64_t txid) const;
  // The answer to a participant in doubt. Never kAbort while txid may commit.
  Decision Resolve(int64_t txid) const;
  // A participant found that an operator forced `forced_commit` (COMMIT, or
  // ABORT) on txid, against this coordinator's decision.
  void ReportHeuristicMismatch(int64_t txid, const std::string& participant, bool forced_commit,
                               CoreActions* out);
  // What the coordinator itself holds unresolved: undelivered commits, live
  // transactions, heuristic mismatches.
  std::vector<InDoubtTransaction> InDoubt() const;
  size_t undelivered() const { return undelivered_.size(); }
  size_t live() const { return live_.size(); }
  const std::vector<std::string>& participant_names() const { return names_; }

 private:
  enum class Phase {
    kPreparing,        // waiting for votes
    kProbingOnePhase,  // a one-phase branch did not answer: is it committed?
    kLoggingCommit,    // all voted yes; the COMMIT record is being made durable
    kCommitting,       // committed; delivering the decision
  };
  enum class Step { kQueued, kInFlight, kBackingOff, kAnswered };
  struct BranchState {
    std::string participant;
    std::shared_ptr<const std::vector<Statement>> statements;
    Step step = Step::kQueued;
    uint32_t attempt = 0;         // sends so far; a reply for an older one is stale
    Clock::TimePoint busy_since;  // first lock-conflict answer
    uint32_t conflicts = 0;
    bool waits = false;  // has a wait in the deadlock graph
    // Sent and not answered (or the answer was lost): it may be prepared
    // there, so an abort must reach it.
    bool may_be_prepared = false;
    BranchVote vote = BranchVote::kFailed;
    std::string reason;
    std::vector<int64_t> changes;
    std::vector<QueryResult> rows;
    bool timed_out = false;
    bool deadlocked = false;
  };
  struct Timer {
    enum class Kind { kDeadline, kResend };
    Kind kind;
    int64_t txid;
    size_t branch;
    uint32_t attempt;
  };
  using Timers = std::multimap<Clock::TimePoint, Timer>;
  struct Txn {
    int64_t txid = 0;
    uint64_t request_id = 0;
    bool replied = false;
    bool one_phase = false;
    bool wait_applied = false;
    Clock::TimePoint started;
    Clock::TimePoint deadline;  // of the prepare
    std::optional<Clock::TimePoint> transaction_deadline;
    int32_t deadline_ms = 0;
    int64_t timeout_ms = 0;  // the prepare timeout, for messages
    Phase phase = Phase::kPreparing;
    std::vector<BranchState> branches;
    size_t unanswered = 0;
    bool in_wait_graph = false;
    Timers::iterator deadline_timer;
    Clock::TimePoint decided_at;
    std::vector<std::string> yes_voters;
    ExecuteResult result;  // filled when the votes are in
  };
  struct QueuedPrepare {
    int64_t txid;
    size_t branch;
  };
  struct QueuedCommit {
    int64_t txid;
    Clock::TimePoint ready_at;  // when it stops waiting for a prepare to carry it
  };
  struct Line {
    bool prepare_in_flight = false;
    std::deque<QueuedPrepare> prepares;
    bool commit_in_flight = false;
    std::deque<QueuedCommit> commits;
  };
  struct PrepareInFlight {
    std::string participant;
    std::vector<std::pair<int64_t, size_t>> branches;  // txid, branch
    std::vector<uint32_t> attempts;
    std::vector<int64_t> commits;
  };
  struct CommitInFlight {
    std::string participant;
    std::vector<int64_t> txids;
  };
  // One round of sending a commit decision to the participants lacking it.
  struct Delivery {
    size_t waiting = 0;
    std::vector<std::string> still;  // not applied in this round
    size_t participants = 0;
    bool any_applied = false;
  };

  // Prepares.
  void SendPrepares(const std::string& participant, CoreActions* out);
  void OnBranchAnswer(Txn& txn, size_t branch, const std::optional<CallFailure>& failure,
                      PrepareReply* reply, CoreActions* out);
  void BackOff(Txn& txn, size_t branch, int64_t held_by, CoreActions* out);
  void GiveUp(Txn& txn, bool deadlocked, const std::string& reason, CoreActions* out);
  // Every branch answered (or was given up): decide.
  void Decide(Txn& txn, CoreActions* out);
  void DecideOnVotes(Txn& txn, CoreActions* out);
  void Abort(Txn& txn, const std::string& reason, AbortCause cause, CoreActions* out);
  void ReplyTo(Txn& txn, Outcome outcome, std::string reason, CoreActions* out);
  // txid left memory with this outcome (nullopt: unknown).
  void Finish(int64_t txid, std::optional<TxnOutcome> outcome);
  void ForgetWaits(Txn& txn);

  // Commits.
  void StartDelivery(int64_t txid, const std::vector<std::string>& names, bool at_once,
                     CoreActions* out);
  void OnCommitAck(int64_t txid, const std::string& participant,
                   const std::optional<CallFailure>& failure, CoreActions* out);
  void SendCommits(const std::string& participant, bool any_ready, CoreActions* out);
  void Redeliver(CoreActions* out);

  Txn* FindLive(int64_t txid);

  const CoreOptions options_;
  const Clock* const clock_;
  std::vector<std::string> names_;  // sorted
  CoordinatorMetrics* const metrics_;
  TxidAllocator txids_;

  std::unordered_map<int64_t, Txn> live_;
  std::map<std::string, Line> lines_;
  Timers timers_;
  uint64_t next_call_id_ = 1;
  std::unordered_map<uint64_t, PrepareInFlight> prepare_calls_;
  std::unordered_map<uint64_t, CommitInFlight> commit_calls_;

  // Committed transactions not yet acknowledged by every participant.
  std::map<int64_t, std::vector<std::string>> undelivered_;
  std::map<int64_t, int64_t> committed_at_ms_;        // wall clock of each undelivered COMMIT
  std::unordered_map<int64_t, Delivery> deliveries_;  // rounds under way
  Clock::TimePoint next_redelivery_;
  std::vector<MismatchRecord> mismatches_;
  RecentOutcomes recent_{1 << 16};
  WaitForGraph waits_;
};

}  // namespace twopc::coordinator
