// Finishes transactions left in doubt: a branch prepared here whose decision
// did not arrive (the coordinator crashed, or this agent restarted) is asked
// about with Coordinator.resolve until the answer is COMMIT or ABORT.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "participant/agent.h"
#include "wal/base/status.h"

namespace twopc::participant {

enum class Decision { kCommit, kAbort, kInProgress };

// Where outcomes come from (the coordinator over RPC; a fake in tests).
class OutcomeSource {
 public:
  virtual ~OutcomeSource() = default;
  virtual StatusOr<Decision> Resolve(int64_t txid) = 0;
  // Tells the coordinator that an operator forced the other outcome here.
  virtual Status ReportMismatch(int64_t /*txid*/, Decision /*heuristic*/) { return Status::Ok(); }
};

struct ResolverOptions {
  // A live branch is asked about once it has waited this long for a decision;
  // a branch recovered from the log is asked about at once.
  std::chrono::milliseconds in_doubt_after{2000};
  std::chrono::milliseconds interval{250};
  std::chrono::milliseconds max_backoff{5000};
};

class Resolver {
 public:
  Resolver(Agent* agent, OutcomeSource* source, const ResolverOptions& options)
      : agent_(agent), source_(source), options_(options) {}
  ~Resolver() { Stop(); }

  void Start();
  void Stop();
  // One pass over the prepared transactions. Returns how many were finished;
  // sets *unreachable when the coordinator could not be asked.
  int RunOnce(bool* unreachable);
  // Checks each heuristic decision against the coordinator's; returns how many were checked.
  int CheckHeuristics(bool* unreachable);

 private:
  void Loop();

  Agent* agent_;
  OutcomeSource* source_;
  const ResolverOptions options_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace twopc::participant
