#include "participant/resolver.h"

#include <algorithm>

#include <glog/logging.h>

namespace twopc::participant {

void Resolver::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Resolver::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int Resolver::RunOnce(bool* unreachable) {
  *unreachable = false;
  int finished = 0;
  for (const Agent::PreparedInfo& info : agent_->PreparedTransactions()) {
    if (!info.recovered && info.age < options_.in_doubt_after) continue;
    StatusOr<Decision> decision = source_->Resolve(info.txid);
    if (!decision.ok()) {
      LOG_EVERY_N(WARNING, 20) << "cannot ask the coordinator about transaction " << info.txid
                               << ": " << decision.status().ToString();
      *unreachable = true;
      return finished;
    }
    Status status;
    switch (*decision) {
      case Decision::kCommit:
        status = agent_->Commit(info.txid);
        break;
      case Decision::kAbort:
        status = agent_->Abort(info.txid);
        break;
      case Decision::kInProgress:
        continue;
    }
    if (status.ok()) {
      LOG(INFO) << "transaction " << info.txid
                << " resolved: " << (*decision == Decision::kCommit ? "COMMIT" : "ABORT");
      ++finished;
    } else {
      LOG(ERROR) << "transaction " << info.txid << ": " << status.ToString();
    }
  }
  return finished;
}

int Resolver::CheckHeuristics(bool* unreachable) {
  int checked = 0;
  for (const HeuristicRecord& heuristic : agent_->UncheckedHeuristics()) {
    StatusOr<Decision> decision = source_->Resolve(heuristic.txid);
    if (!decision.ok()) {
      *unreachable = true;
      return checked;
    }
    if (*decision == Decision::kInProgress) continue;
    const Decision forced =
        heuristic.outcome == HeuristicOutcome::kCommit ? Decision::kCommit : Decision::kAbort;
    if (forced != *decision) {
      LOG(ERROR) << "HEURISTIC MISMATCH: transaction " << heuristic.txid << " was forced to "
                 << (forced == Decision::kCommit ? "COMMIT" : "ABORT")
                 << " here, but the coordinator decided "
                 << (*decision == Decision::kCommit ? "COMMIT" : "ABORT");
      if (!source_->ReportMismatch(heuristic.txid, forced).ok()) {
        *unreachable = true;
        return checked;
      }
    } else {
      LOG(INFO) << "transaction " << heuristic.txid
                << ": the heuristic decision agrees with the coordinator's";
    }
    agent_->MarkHeuristicChecked(heuristic.txid, /*agreed=*/forced == *decision);
    ++checked;
  }
  return checked;
}

void Resolver::Loop() {
  std::chrono::milliseconds wait = options_.interval;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    bool unreachable = false;
    RunOnce(&unreachable);
    if (!unreachable) CheckHeuristics(&unreachable);
    lock.lock();
    // Back off while the coordinator is down; ask promptly once it answers.
    wait = unreachable ? std::min(wait * 2, options_.max_backoff) : options_.interval;
    stop_cv_.wait_for(lock, wait, [this] { return stopping_; });
  }
}

}  // namespace twopc::participant
