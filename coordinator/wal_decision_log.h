// The decision log on the local write-ahead log (group commit shares the
// COMMIT syncs of concurrent transactions).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "coordinator/core/coordinator_records.h"
#include "coordinator/core/decision_log.h"
#include "wal/log.h"

namespace twopc::coordinator {

class WalDecisionLog : public DecisionLog {
 public:
  // Replays the log in dir into *recovered. Once checkpoint_bytes were
  // appended since the last checkpoint, the next record triggers one: the open
  // COMMITs are written to a new segment and the older segments deleted.
  static Status Open(const wal::LogOptions& options, RecoveredDecisions* recovered,
                     std::unique_ptr<WalDecisionLog>* out, uint64_t checkpoint_bytes = 4 << 20);

  StatusOr<uint64_t> BeginEpoch() override;
  Status LogCommit(int64_t txid, const std::vector<std::string>& participants) override;
  Status LogEnd(int64_t txid) override;
  Status LogMismatch(const MismatchRecord& mismatch) override;

  // Writes a checkpoint now and deletes the segments before it.
  Status Checkpoint();

  wal::Log::Stats stats() const { return log_->stats(); }
  const wal::Log& log() const { return *log_; }
  uint64_t checkpoints() const { return checkpoints_; }

 private:
  WalDecisionLog(std::unique_ptr<wal::Log> log, const RecoveredDecisions& recovered,
                 uint64_t checkpoint_bytes);
  void MaybeCheckpoint();

  std::unique_ptr<wal::Log> log_;
  const uint64_t checkpoint_bytes_;
  // Appends hold it shared; a checkpoint holds it exclusively, so that its
  // snapshot of open_ and the segment boundary agree.
  std::shared_mutex checkpoint_mu_;
  std::mutex mu_;                         // guards open_ and last_epoch_
  std::map<int64_t, CommitRecord> open_;  // COMMIT without END
  std::vector<MismatchRecord> mismatches_;
  uint64_t last_epoch_;
  std::atomic<uint64_t> bytes_at_checkpoint_{0};
  std::atomic<bool> checkpointing_{false};
  std::atomic<uint64_t> checkpoints_{0};
};

// Reads a decision log without changing it (for recovery and txrecover).
Status ReplayDecisions(const wal::LogRecord& record, RecoveredDecisions* recovered);

}  // namespace twopc::coordinator
