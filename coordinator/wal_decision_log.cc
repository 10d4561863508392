#include "coordinator/wal_decision_log.h"

#include <algorithm>
#include <chrono>

#include <glog/logging.h>

#include "coordinator/core/coordinator_records.h"
#include "coordinator/core/txid_allocator.h"

namespace twopc::coordinator {
namespace {

wal::RecordType TypeOf(RecordType type) { return static_cast<wal::RecordType>(type); }

}  // namespace

Status ReplayDecisions(const wal::LogRecord& record, RecoveredDecisions* recovered) {
  switch (static_cast<RecordType>(record.type)) {
    case RecordType::kEpoch: {
      StatusOr<uint64_t> epoch = DecodeEpoch(record.payload);
      if (!epoch.ok()) return epoch.status();
      if (*epoch > recovered->last_epoch) recovered->last_epoch = *epoch;
      return Status::Ok();
    }
    case RecordType::kCommit: {
      StatusOr<CommitRecord> commit = DecodeCommit(record.payload);
      if (!commit.ok()) return commit.status();
      recovered->committed_at_ms[commit->txid] = commit->committed_at_ms;
      recovered->undelivered[commit->txid] = std::move(commit->participants);
      return Status::Ok();
    }
    case RecordType::kEnd: {
      StatusOr<int64_t> txid = DecodeEnd(record.payload);
      if (!txid.ok()) return txid.status();
      recovered->undelivered.erase(*txid);
      recovered->committed_at_ms.erase(*txid);
      return Status::Ok();
    }
    case RecordType::kHeuristicMismatch: {
      StatusOr<MismatchRecord> mismatch = DecodeMismatch(record.payload);
      if (!mismatch.ok()) return mismatch.status();
      recovered->mismatches.push_back(std::move(*mismatch));
      return Status::Ok();
    }
    case RecordType::kCheckpoint: {
      StatusOr<CheckpointRecord> checkpoint = DecodeCheckpoint(record.payload);
      if (!checkpoint.ok()) return checkpoint.status();
      recovered->mismatches = checkpoint->mismatches;
      recovered->last_epoch = std::max(recovered->last_epoch, checkpoint->epoch);
      recovered->undelivered.clear();
      recovered->committed_at_ms.clear();
      for (CommitRecord& commit : checkpoint->undelivered) {
        recovered->committed_at_ms[commit.txid] = commit.committed_at_ms;
        recovered->undelivered[commit.txid] = std::move(commit.participants);
      }
      return Status::Ok();
    }
  }
  return Status::Corruption("unknown coordinator record type " + std::to_string(record.type));
}

WalDecisionLog::WalDecisionLog(std::unique_ptr<wal::Log> log, const RecoveredDecisions& recovered,
                               uint64_t checkpoint_bytes)
    : log_(std::move(log)), checkpoint_bytes_(checkpoint_bytes), last_epoch_(recovered.last_epoch) {
  mismatches_ = recovered.mismatches;
  for (const auto& [txid, participants] : recovered.undelivered) {
    auto at = recovered.committed_at_ms.find(txid);
    open_[txid] =
        CommitRecord{txid, at == recovered.committed_at_ms.end() ? 0 : at->second, participants};
  }
}

Status WalDecisionLog::Open(const wal::LogOptions& options, RecoveredDecisions* recovered,
                            std::unique_ptr<WalDecisionLog>* out, uint64_t checkpoint_bytes) {
  std::unique_ptr<wal::Log> log;
  TWOPC_RETURN_IF_ERROR(wal::Log::Open(
      options,
      [recovered](const wal::LogRecord& record) { return ReplayDecisions(record, recovered); },
      &log));
  out->reset(new WalDecisionLog(std::move(log), *recovered, checkpoint_bytes));
  // Start from a checkpoint, so that what the restart replayed is not replayed again.
  return (*out)->Checkpoint();
}

StatusOr<uint64_t> WalDecisionLog::BeginEpoch() {
  std::shared_lock<std::shared_mutex> appending(checkpoint_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  // 2025-01-01T00:00:00Z in minutes since the Unix epoch.
  constexpr int64_t k2025Minutes = 1735689600 / 60;
  const int64_t minutes = std::chrono::duration_cast<std::chrono::minutes>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() -
                          k2025Minutes;
  const uint64_t epoch = std::max<uint64_t>(last_epoch_ + 1, minutes > 0 ? minutes : 0);
  if (epoch > TxidAllocator::kMaxEpoch) return Status::InvalidArgument("txid epochs exhausted");
  StatusOr<wal::Lsn> lsn = log_->AppendAndSync(TypeOf(RecordType::kEpoch), EncodeEpoch(epoch));
  if (!lsn.ok()) return lsn.status();
  last_epoch_ = epoch;
  return epoch;
}

Status WalDecisionLog::LogCommit(int64_t txid, const std::vector<std::string>& participants) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  CommitRecord record{txid, now_ms, participants};
  StatusOr<wal::Lsn> lsn = Status::Ok();
  {
    std::shared_lock<std::shared_mutex> appending(checkpoint_mu_);
    lsn = log_->Append(TypeOf(RecordType::kCommit), EncodeCommit(record));
    if (!lsn.ok()) return lsn.status();
    std::lock_guard<std::mutex> lock(mu_);
    open_[txid] = std::move(record);
  }
  // Outside the checkpoint lock: concurrent commits share this sync.
  TWOPC_RETURN_IF_ERROR(log_->Sync(*lsn));
  MaybeCheckpoint();
  return Status::Ok();
}

Status WalDecisionLog::LogEnd(int64_t txid) {
  {
    std::shared_lock<std::shared_mutex> appending(checkpoint_mu_);
    StatusOr<wal::Lsn> lsn = log_->Append(TypeOf(RecordType::kEnd), EncodeEnd(txid));
    if (!lsn.ok()) return lsn.status();
    std::lock_guard<std::mutex> lock(mu_);
    open_.erase(txid);
  }
  MaybeCheckpoint();
  return Status::Ok();
}

Status WalDecisionLog::LogMismatch(const MismatchRecord& mismatch) {
  {
    std::shared_lock<std::shared_mutex> appending(checkpoint_mu_);
    StatusOr<wal::Lsn> lsn =
        log_->Append(TypeOf(RecordType::kHeuristicMismatch), EncodeMismatch(mismatch));
    if (!lsn.ok()) return lsn.status();
    std::lock_guard<std::mutex> lock(mu_);
    mismatches_.push_back(mismatch);
  }
  MaybeCheckpoint();
  return Status::Ok();
}

void WalDecisionLog::MaybeCheckpoint() {
  if (log_->stats().bytes_written - bytes_at_checkpoint_.load() < checkpoint_bytes_) return;
  if (checkpointing_.exchange(true)) return;  // another thread is at it
  Status status = Checkpoint();
  if (!status.ok()) LOG(ERROR) << "decision log checkpoint failed: " << status.ToString();
  checkpointing_.store(false);
}

Status WalDecisionLog::Checkpoint() {
  StatusOr<uint64_t> segment = Status::Ok();
  StatusOr<wal::Lsn> lsn = Status::Ok();
  {
    std::unique_lock<std::shared_mutex> exclusive(checkpoint_mu_);
    segment = log_->Rotate();
    if (!segment.ok()) return segment.status();
    CheckpointRecord record;
    {
      std::lock_guard<std::mutex> lock(mu_);
      record.epoch = last_epoch_;
      for (const auto& [txid, commit] : open_) record.undelivered.push_back(commit);
      record.mismatches = mismatches_;
    }
    lsn = log_->Append(TypeOf(RecordType::kCheckpoint), EncodeCheckpoint(record));
    if (!lsn.ok()) return lsn.status();
    bytes_at_checkpoint_.store(log_->stats().bytes_written);
  }
  TWOPC_RETURN_IF_ERROR(log_->Sync(*lsn));
  TWOPC_RETURN_IF_ERROR(log_->RemoveSegmentsBefore(*segment));
  ++checkpoints_;
  return Status::Ok();
}

}  // namespace twopc::coordinator
