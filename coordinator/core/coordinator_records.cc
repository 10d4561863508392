#include "coordinator/core/coordinator_records.h"

#include "wal/coding.h"

namespace twopc::coordinator {

std::string EncodeEpoch(uint64_t epoch) {
  std::string out;
  wal::PutFixed64(&out, epoch);
  return out;
}

StatusOr<uint64_t> DecodeEpoch(std::string_view payload) {
  wal::Decoder decoder(payload);
  uint64_t epoch = 0;
  if (!decoder.GetFixed64(&epoch) || !decoder.done()) {
    return Status::Corruption("malformed EPOCH record");
  }
  return epoch;
}

std::string EncodeCommit(const CommitRecord& record) {
  std::string out;
  wal::PutFixed64(&out, static_cast<uint64_t>(record.txid));
  wal::PutFixed64(&out, static_cast<uint64_t>(record.committed_at_ms));
  wal::PutVarint64(&out, record.participants.size());
  for (const std::string& name : record.participants) wal::PutLengthPrefixed(&out, name);
  return out;
}

StatusOr<CommitRecord> DecodeCommit(std::string_view payload) {
  wal::Decoder decoder(payload);
  CommitRecord record;
  uint64_t txid = 0;
  uint64_t committed_at_ms = 0;
  uint64_t count = 0;
  if (!decoder.GetFixed64(&txid) || !decoder.GetFixed64(&committed_at_ms) ||
      !decoder.GetVarint64(&count) || count > payload.size()) {
    return Status::Corruption("malformed COMMIT record");
  }
  record.txid = static_cast<int64_t>(txid);
  record.committed_at_ms = static_cast<int64_t>(committed_at_ms);
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view name;
    if (!decoder.GetLengthPrefixed(&name)) return Status::Corruption("malformed COMMIT record");
    record.participants.emplace_back(name);
  }
  if (!decoder.done()) return Status::Corruption("malformed COMMIT record");
  return record;
}

std::string EncodeMismatch(const MismatchRecord& record) {
  std::string out;
  wal::PutFixed64(&out, static_cast<uint64_t>(record.txid));
  wal::PutLengthPrefixed(&out, record.participant);
  wal::PutVarint64(&out, record.forced_commit ? 1 : 0);
  wal::PutFixed64(&out, static_cast<uint64_t>(record.reported_at_ms));
  return out;
}

StatusOr<MismatchRecord> DecodeMismatch(std::string_view payload) {
  wal::Decoder decoder(payload);
  uint64_t txid = 0;
  std::string_view participant;
  uint64_t forced_commit = 0;
  uint64_t at = 0;
  if (!decoder.GetFixed64(&txid) || !decoder.GetLengthPrefixed(&participant) ||
      !decoder.GetVarint64(&forced_commit) || forced_commit > 1 || !decoder.GetFixed64(&at) ||
      !decoder.done()) {
    return Status::Corruption("malformed HEURISTIC_MISMATCH record");
  }
  return MismatchRecord{static_cast<int64_t>(txid), std::string(participant), forced_commit == 1,
                        static_cast<int64_t>(at)};
}

std::string EncodeCheckpoint(const CheckpointRecord& record) {
  std::string out;
  wal::PutFixed64(&out, record.epoch);
  wal::PutVarint64(&out, record.undelivered.size());
  for (const CommitRecord& commit : record.undelivered) {
    wal::PutLengthPrefixed(&out, EncodeCommit(commit));
  }
  wal::PutVarint64(&out, record.mismatches.size());
  for (const MismatchRecord& mismatch : record.mismatches) {
    wal::PutLengthPrefixed(&out, EncodeMismatch(mismatch));
  }
  return out;
}

StatusOr<CheckpointRecord> DecodeCheckpoint(std::string_view payload) {
  wal::Decoder decoder(payload);
  CheckpointRecord record;
  uint64_t count = 0;
  if (!decoder.GetFixed64(&record.epoch) || !decoder.GetVarint64(&count) ||
      count > payload.size()) {
    return Status::Corruption("malformed CHECKPOINT record");
  }
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view encoded;
    if (!decoder.GetLengthPrefixed(&encoded))
      return Status::Corruption("malformed CHECKPOINT record");
    StatusOr<CommitRecord> commit = DecodeCommit(encoded);
    if (!commit.ok()) return commit.status();
    record.undelivered.push_back(std::move(*commit));
  }
  if (!decoder.GetVarint64(&count) || count > payload.size()) {
    return Status::Corruption("malformed CHECKPOINT record");
  }
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view encoded;
    if (!decoder.GetLengthPrefixed(&encoded)) {
      return Status::Corruption("malformed CHECKPOINT record");
    }
    StatusOr<MismatchRecord> mismatch = DecodeMismatch(encoded);
    if (!mismatch.ok()) return mismatch.status();
    record.mismatches.push_back(std::move(*mismatch));
  }
  if (!decoder.done()) return Status::Corruption("malformed CHECKPOINT record");
  return record;
}

std::string EncodeEnd(int64_t txid) {
  std::string out;
  wal::PutFixed64(&out, static_cast<uint64_t>(txid));
  return out;
}

StatusOr<int64_t> DecodeEnd(std::string_view payload) {
  wal::Decoder decoder(payload);
  uint64_t txid = 0;
  if (!decoder.GetFixed64(&txid) || !decoder.done()) {
    return Status::Corruption("malformed END record");
  }
  return static_cast<int64_t>(txid);
}

}  // namespace twopc::coordinator
