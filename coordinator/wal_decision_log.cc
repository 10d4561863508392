#include "coordinator/wal_decision_log.h"

#include <chrono>

#include "coordinator/coordinator_records.h"
#include "coordinator/txid_allocator.h"

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
      recovered->undelivered[commit->txid] = std::move(commit->participants);
      return Status::Ok();
    }
    case RecordType::kEnd: {
      StatusOr<int64_t> txid = DecodeEnd(record.payload);
      if (!txid.ok()) return txid.status();
      recovered->undelivered.erase(*txid);
      return Status::Ok();
    }
  }
  return Status::Corruption("unknown coordinator record type " + std::to_string(record.type));
}

Status WalDecisionLog::Open(const wal::LogOptions& options, RecoveredDecisions* recovered,
                            std::unique_ptr<WalDecisionLog>* out) {
  std::unique_ptr<wal::Log> log;
  TWOPC_RETURN_IF_ERROR(wal::Log::Open(
      options,
      [recovered](const wal::LogRecord& record) { return ReplayDecisions(record, recovered); },
      &log));
  out->reset(new WalDecisionLog(std::move(log), recovered->last_epoch));
  return Status::Ok();
}

StatusOr<uint64_t> WalDecisionLog::BeginEpoch() {
  const uint64_t epoch = last_epoch_ + 1;
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
  StatusOr<wal::Lsn> lsn = log_->AppendAndSync(
      TypeOf(RecordType::kCommit), EncodeCommit(CommitRecord{txid, now_ms, participants}));
  return lsn.ok() ? Status::Ok() : lsn.status();
}

Status WalDecisionLog::LogEnd(int64_t txid) {
  StatusOr<wal::Lsn> lsn = log_->Append(TypeOf(RecordType::kEnd), EncodeEnd(txid));
  return lsn.ok() ? Status::Ok() : lsn.status();
}

}  // namespace twopc::coordinator
