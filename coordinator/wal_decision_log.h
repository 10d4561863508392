// The decision log on the local write-ahead log (group commit shares the
// COMMIT syncs of concurrent transactions).
#pragma once

#include <memory>
#include <string>

#include "coordinator/decision_log.h"
#include "wal/log.h"

namespace twopc::coordinator {

class WalDecisionLog : public DecisionLog {
 public:
  // Replays the log in dir into *recovered.
  static Status Open(const wal::LogOptions& options, RecoveredDecisions* recovered,
                     std::unique_ptr<WalDecisionLog>* out);

  StatusOr<uint64_t> BeginEpoch() override;
  Status LogCommit(int64_t txid, const std::vector<std::string>& participants) override;
  Status LogEnd(int64_t txid) override;

  wal::Log::Stats stats() const { return log_->stats(); }

 private:
  WalDecisionLog(std::unique_ptr<wal::Log> log, uint64_t last_epoch)
      : log_(std::move(log)), last_epoch_(last_epoch) {}

  std::unique_ptr<wal::Log> log_;
  uint64_t last_epoch_;
};

// Reads a decision log without changing it (for recovery and txrecover).
Status ReplayDecisions(const wal::LogRecord& record, RecoveredDecisions* recovered);

}  // namespace twopc::coordinator
