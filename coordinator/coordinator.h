// The protocol driver: runs each transaction's TransactionMachine against the
// participants (parallel prepare and commit over pooled connections), makes
// the decision durable in the DecisionLog, redelivers commits until every
// participant acknowledged, and answers status and inquiries.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "coordinator/commit_courier.h"
#include "coordinator/coordinator_metrics.h"
#include "coordinator/decision_log.h"
#include "coordinator/participant_pool.h"
#include "coordinator/prepare_line.h"
#include "coordinator/recent_outcomes.h"
#include "coordinator/transaction_machine.h"
#include "coordinator/txid_allocator.h"
#include "coordinator/wait_for_graph.h"
#include "gen-cpp/twopc_types.h"
#include "thrift/rpc/request_limits.h"
#include "twopc/transaction.h"
#include "wal/base/status.h"

namespace twopc::coordinator {

struct CoordinatorOptions {
  std::chrono::milliseconds default_prepare_timeout{5000};
  std::chrono::milliseconds max_prepare_timeout{60000};
  std::chrono::milliseconds commit_rpc_timeout{5000};
  std::chrono::milliseconds redelivery_interval{500};
  // How long a commit decision waits for a prepare to the same participant to
  // carry it before it is sent on its own.
  std::chrono::microseconds commit_linger{2000};
  size_t fanout_threads = 64;
  rpc::RequestLimits limits;
  // Transactions between execute and the end of their delivery; one more is
  // refused with OVERLOADED (back-pressure instead of a queue).
  size_t max_in_flight = 1024;
};

// The answer to a participant that asks about a transaction it holds prepared.
enum class Decision { kCommit, kAbort, kInProgress };

// The protocol speaks the shared request/result types (twopc/transaction.h);
// Thrift is converted at the edge (CoordinatorService). What is left of
// Thrift below (prepare lines, participant pools) goes behind a participant
// channel next (coordinator/CORE_PLAN.md).
class Coordinator {
 public:
  Coordinator(const CoordinatorOptions& options, DecisionLog* log,
              std::map<std::string, std::unique_ptr<ParticipantPool>> participants, uint64_t epoch,
              RecoveredDecisions recovered);
  ~Coordinator();

  // Starts redelivering the commits found in the log and those that fail later.
  void Start();
  void Stop();

  // Runs one transaction to its outcome (an abort is an outcome). The
  // request must have passed the edge's checks (rpc::CheckExecuteRequest
  // with limits() and participant_names(): known participants, one branch
  // each, sizes). Busy ("overloaded: ...") when --max_in_flight transactions
  // are running; LimitExceeded when this start used up its txids.
  StatusOr<ExecuteResult> Execute(const std::vector<Branch>& branches,
                                  const ExecuteOptions& options);
  Outcome StatusOf(int64_t txid);
  // The answer to a participant in doubt. Never kAbort while txid may commit.
  Decision Resolve(int64_t txid, const std::string& participant);

  // Everything unresolved now: undelivered commits, live transactions, what
  // each participant holds prepared, and reported heuristic mismatches.
  std::vector<InDoubtTransaction> InDoubt();
  // A participant found that an operator forced `forced_commit` (COMMIT, or
  // ABORT) on txid, against this coordinator's decision.
  void ReportHeuristicMismatch(int64_t txid, const std::string& participant, bool forced_commit);

  const rpc::RequestLimits& limits() const { return options_.limits; }
  // Sorted.
  const std::vector<std::string>& participant_names() const { return known_names_; }
  // NAME -> HOST:PORT of every configured participant.
  std::map<std::string, std::string> participant_addresses() const;
  size_t undelivered() const;
  const CoordinatorMetrics& metrics() const { return metrics_; }

 private:
  struct Live {
    explicit Live(std::vector<std::string> names) : machine(std::move(names)) {}
    TransactionMachine machine;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  };
  struct VoteResult {
    BranchVote vote = BranchVote::kFailed;
    std::string reason;
    std::vector<int64_t> changes;
    std::vector<rpc::QueryResult> rows;  // per statement, what it read
    bool timed_out = false;              // kFailed because the prepare deadline passed
    bool deadlocked = false;  // kFailed: unanswered when txid was chosen a deadlock victim
  };

  // Phase 1: every branch's prepare queued on its participant's line, sent
  // (by this thread or with another transaction's), every vote read.
  std::vector<VoteResult> PrepareAll(int64_t txid, const std::vector<Branch>& branches,
                                     bool one_phase,
                                     std::chrono::steady_clock::time_point deadline);
  struct PendingBranch;
  // kBackingOff: just answered try_again, waits before it is sent again.
  enum class BranchStep { kWaiting, kBackingOff, kQueuedAgain, kAnswered };
  // Moves one branch on: queues it again when its backoff is over, or starts
  // the backoff when it was answered try_again.
  static BranchStep Step(PendingBranch& branch, std::chrono::steady_clock::time_point now,
                         std::chrono::steady_clock::time_point deadline);
  // One batch claimed from a participant's line.
  struct Claim {
    std::string participant;
    std::vector<PrepareLine::ItemPtr> batch;
  };
  // Sends every claimed batch as one prepare_many (overlapped), carrying the
  // commit decisions queued for each participant, and finishes the batches.
  void SendPrepares(std::vector<Claim>& claims);
  VoteResult VoteOf(const PrepareLine::Item& item, std::chrono::steady_clock::time_point deadline,
                    int64_t timeout_ms) const;
  // Aborts an unanswered one-phase branch: true aborted, false it had
  // committed, nullopt unknown (unreachable).
  std::optional<bool> AbortOnePhase(int64_t txid, const std::string& participant);
  void SendAbortsInBackground(int64_t txid, const std::vector<std::string>& participants);
  // Delivers txid's commit to its remaining participants; true when all acknowledged.
  bool Deliver(int64_t txid, std::vector<std::string> remaining);
  // Delivers a fresh commit, then forgets the live transaction.
  bool DeliverAndFinish(int64_t txid, const std::vector<std::string>& names);
  // The same without waiting: through each participant's courier, batched
  // with other transactions' commits; finishes when the last one answers.
  void DeliverInBackground(int64_t txid, const std::vector<std::string>& names,
                           std::chrono::steady_clock::time_point decided_at);
  // Whether a commit attempt counts as delivered (a heuristic mismatch is
  // reported instead and counts: nothing more can be delivered there).
  bool Delivered(int64_t txid, const std::string& participant,
                 const std::optional<CallFailure>& failure);
  // After an attempt: remembers who still lacks the commit, or logs END when
  // nobody does. True when nobody does.
  bool RecordDelivery(int64_t txid, std::vector<std::string> still);
  void Finish(int64_t txid, TxnOutcome outcome);
  void RedeliveryLoop();
  // txid's branch waits for `holder` at `participant`. When that closes a
  // cycle of waits, the youngest transaction in it must abort: returns why if
  // that is txid; another one is told through TakeDeadlockVictim and woken.
  std::optional<std::string> NoteWait(int64_t txid, size_t branch, const std::string& participant,
                                      int64_t holder,
                                      const std::shared_ptr<PrepareLine::Waiter>& waiter);
  void NoteWaitEnded(int64_t txid, size_t branch);
  // Why txid was chosen to break a deadlock, if it was (asked once).
  std::optional<std::string> TakeDeadlockVictim(int64_t txid);
  // txid stopped preparing: its waits are gone.
  void ForgetWaits(int64_t txid);
  // Counts an abort under the cause its votes show.
  void CountAbort(const std::vector<VoteResult>& votes);

  const CoordinatorOptions options_;
  DecisionLog* log_;
  std::map<std::string, std::unique_ptr<ParticipantPool>> participants_;
  std::vector<std::string> known_names_;  // sorted
  TxidAllocator txids_;
  boost::asio::thread_pool pool_;  // aborts sent after the client was answered

  mutable std::mutex mu_;
  std::map<int64_t, std::shared_ptr<Live>> live_;
  // Committed transactions not yet acknowledged by every participant.
  std::map<int64_t, std::vector<std::string>> undelivered_;
  std::map<int64_t, int64_t> committed_at_ms_;  // wall clock of each undelivered COMMIT
  std::set<int64_t> delivering_;                // being delivered by an Execute right now
  std::vector<MismatchRecord> mismatches_;      // reported heuristic mismatches
  // Outcomes for status() of transactions that left memory. Bounded, so that
  // memory does not grow with history; older txids answer UNKNOWN.
  RecentOutcomes recent_{1 << 16};
  bool stopping_ = false;
  std::condition_variable stop_cv_;
  std::thread redelivery_;
  CoordinatorMetrics metrics_;
  std::map<std::string, std::unique_ptr<PrepareLine>> lines_;  // one per participant

  std::mutex waits_mu_;  // guards the three below
  WaitForGraph waits_;
  // Transactions with a wait in the graph, to wake a deadlock victim.
  std::map<int64_t, std::shared_ptr<PrepareLine::Waiter>> waiting_;
  std::map<int64_t, std::string> deadlock_victims_;  // txid -> why it must abort
  std::atomic<size_t> pending_victims_{0};           // deadlock_victims_.size(), read unlocked
  // Last: destroyed (stopped) first, as their callbacks use everything above.
  std::map<std::string, std::unique_ptr<CommitCourier>> couriers_;
};

}  // namespace twopc::coordinator
