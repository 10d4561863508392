// The coordinator's driver: runs the protocol core (CoordinatorCore) against
// real participants, a real decision log and the system clock. Requests come
// from RPC threads; calls and log appends run on a pool of workers; a timer
// thread gives the core its ticks. The core is guarded by one mutex and never
// blocks under it: every network call and disk sync happens outside.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "coordinator/core/coordinator_core.h"
#include "coordinator/core/coordinator_metrics.h"
#include "coordinator/core/decision_log.h"
#include "coordinator/core/participant_channel.h"
#include "thrift/rpc/limits.h"
#include "twopc/transaction.h"
#include "wal/base/clock.h"
#include "wal/base/status.h"
#include "wal/base/worker_pool.h"

namespace twopc::coordinator {

struct CoordinatorOptions {
  std::chrono::milliseconds default_prepare_timeout{5000};
  std::chrono::milliseconds max_prepare_timeout{60000};
  std::chrono::milliseconds commit_rpc_timeout{5000};
  std::chrono::milliseconds redelivery_interval{500};
  // How long a commit decision waits for a prepare to the same participant to
  // carry it before it is sent on its own.
  std::chrono::microseconds commit_linger{2000};
  // Workers for participant calls and log appends (and a quarter as many
  // more for courtesy aborts).
  size_t fanout_threads = 64;
  rpc::RequestLimits limits;
  // Transactions between execute and the end of their delivery; one more is
  // refused with OVERLOADED (back-pressure instead of a queue).
  size_t max_in_flight = 1024;
};

class Coordinator {
 public:
  Coordinator(const CoordinatorOptions& options, DecisionLog* log,
              std::map<std::string, std::unique_ptr<ParticipantChannel>> participants,
              uint64_t epoch, RecoveredDecisions recovered,
              const Clock* clock = SystemClock::Get());
  ~Coordinator();

  // Starts the timer: deadlines, lingering commits, redelivery of the
  // commits found in the log and of those that fail later.
  void Start();
  void Stop();

  // Runs one transaction to its outcome (an abort is an outcome). The
  // request must have passed the edge's checks (rpc::CheckExecuteRequest
  // with limits() and participant_names(): known participants, one branch
  // each, sizes). Busy ("overloaded: ...") when --max_in_flight transactions
  // are running; LimitExceeded when this start used up its txids.
  StatusOr<ExecuteResult> Execute(std::vector<Branch> branches, const ExecuteOptions& options);
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
  const std::vector<std::string>& participant_names() const { return names_; }
  // NAME -> HOST:PORT of every configured participant.
  std::map<std::string, std::string> participant_addresses() const;
  size_t undelivered() const;
  const CoordinatorMetrics& metrics() const { return metrics_; }

 private:
  // A client's request waiting for its Reply.
  struct Waiting {
    int64_t txid = 0;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    ExecuteResult result;
    std::deque<LogAppend> appends;  // its COMMIT record, for this thread to sync
  };

  // Feeds one event to the core (under mu_), hands replies and COMMIT
  // records to their waiting threads, and returns the other actions.
  template <typename Event>
  CoreActions Step(const Event& event);
  // Starts the actions on workers.
  void Start(CoreActions actions);
  // Makes a prepare call and feeds its answer to the core; with keep_line,
  // then makes the next call to the same participant too, and so on.
  void RunPrepares(PrepareCall call, bool keep_line);
  void Append(const LogAppend& append);
  void TimerLoop();

  const CoordinatorOptions options_;
  DecisionLog* const log_;
  const Clock* const clock_;
  std::map<std::string, std::unique_ptr<ParticipantChannel>> channels_;
  std::vector<std::string> names_;  // sorted
  CoordinatorMetrics metrics_;

  mutable std::mutex mu_;  // guards the core, the waiting requests and the timer's plan
  CoordinatorCore core_;
  uint64_t next_request_ = 1;
  std::unordered_map<uint64_t, Waiting*> waiting_;         // by request id
  std::unordered_map<int64_t, Waiting*> waiting_by_txid_;  // the same, by txid
  std::condition_variable timer_cv_;
  Clock::TimePoint timer_wake_ = Clock::TimePoint::max();
  bool stopping_ = false;
  std::thread timer_;
  // Last: stopped first, as their jobs use everything above.
  WorkerPool workers_;
  // Courtesy aborts apart, so that aborts stuck on an unreachable
  // participant never delay prepares and COMMIT syncs for the others.
  WorkerPool abort_workers_;
};

}  // namespace twopc::coordinator
