#include "participant/participant_records.h"

#include "participant/changeset_format.h"
#include "wal/coding.h"

namespace twopc::participant {

std::string EncodePrepared(const PreparedRecord& record) {
  std::string out;
  out.reserve(record.changeset.size() + record.coordinator.size() + 24);
  wal::PutFixed64(&out, static_cast<uint64_t>(record.txid));
  wal::PutFixed64(&out, static_cast<uint64_t>(record.prepared_at_ms));
  wal::PutLengthPrefixed(&out, record.coordinator);
  wal::PutLengthPrefixed(&out, record.changeset);
  if (record.read_locks.empty()) return out;
  wal::PutVarint64(&out, record.read_locks.size());
  for (const RowLock& lock : record.read_locks) {
    out.push_back(static_cast<char>(lock.mode));
    wal::PutLengthPrefixed(&out, lock.key);
  }
  return out;
}

StatusOr<PreparedRecord> DecodePrepared(std::string_view payload) {
  wal::Decoder decoder(payload);
  PreparedRecord record;
  uint64_t txid = 0;
  uint64_t prepared_at_ms = 0;
  std::string_view coordinator;
  std::string_view changeset;
  const Status bad = Status::Corruption("malformed PREPARED record");
  if (!decoder.GetFixed64(&txid) || !decoder.GetFixed64(&prepared_at_ms) ||
      !decoder.GetLengthPrefixed(&coordinator) || !decoder.GetLengthPrefixed(&changeset)) {
    return bad;
  }
  if (!decoder.done()) {
    uint64_t count = 0;
    if (!decoder.GetVarint64(&count) || count == 0 || count > payload.size()) return bad;
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view rest = decoder.remaining();
      if (rest.empty()) return bad;
      const auto mode = static_cast<uint8_t>(rest[0]);
      if (mode != static_cast<uint8_t>(LockMode::kShared) &&
          mode != static_cast<uint8_t>(LockMode::kExclusive)) {
        return bad;
      }
      wal::Decoder key_decoder(rest.substr(1));
      std::string_view key;
      if (!key_decoder.GetLengthPrefixed(&key)) return bad;
      record.read_locks.push_back(RowLock{std::string(key), static_cast<LockMode>(mode)});
      decoder = key_decoder;
    }
    if (!decoder.done()) return bad;
  }
  // Checked here, once, for every changeset read back from the log: SQLite may
  // hang on a malformed one (see changeset_format.h).
  Status valid = ValidateChangeset(changeset);
  if (!valid.ok()) return Status::Corruption("malformed PREPARED record: " + valid.message());
  record.txid = static_cast<int64_t>(txid);
  record.prepared_at_ms = static_cast<int64_t>(prepared_at_ms);
  record.coordinator.assign(coordinator);
  record.changeset.assign(changeset);
  return record;
}

std::string EncodeHeuristic(const HeuristicRecord& record) {
  std::string out;
  wal::PutFixed64(&out, static_cast<uint64_t>(record.txid));
  out.push_back(static_cast<char>(record.outcome));
  wal::PutFixed64(&out, static_cast<uint64_t>(record.decided_at_ms));
  return out;
}

StatusOr<HeuristicRecord> DecodeHeuristic(std::string_view payload) {
  if (payload.size() != 17) return Status::Corruption("malformed HEURISTIC record");
  const uint8_t outcome = static_cast<uint8_t>(payload[8]);
  if (outcome != static_cast<uint8_t>(HeuristicOutcome::kCommit) &&
      outcome != static_cast<uint8_t>(HeuristicOutcome::kAbort)) {
    return Status::Corruption("malformed HEURISTIC record");
  }
  return HeuristicRecord{static_cast<int64_t>(wal::DecodeFixed64(payload.data())),
                         static_cast<HeuristicOutcome>(outcome),
                         static_cast<int64_t>(wal::DecodeFixed64(payload.data() + 9))};
}

std::string EncodeCheckpoint(const CheckpointRecord& record) {
  std::string out;
  wal::PutVarint64(&out, record.prepared.size());
  for (const PreparedRecord& p : record.prepared) wal::PutLengthPrefixed(&out, EncodePrepared(p));
  for (const std::vector<HeuristicRecord>* list : {&record.heuristics, &record.mismatches}) {
    wal::PutVarint64(&out, list->size());
    for (const HeuristicRecord& h : *list) wal::PutLengthPrefixed(&out, EncodeHeuristic(h));
  }
  return out;
}

StatusOr<CheckpointRecord> DecodeCheckpoint(std::string_view payload) {
  const Status bad = Status::Corruption("malformed CHECKPOINT record");
  wal::Decoder decoder(payload);
  CheckpointRecord out;
  uint64_t count = 0;
  if (!decoder.GetVarint64(&count) || count > payload.size()) return bad;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view encoded;
    if (!decoder.GetLengthPrefixed(&encoded)) return bad;
    StatusOr<PreparedRecord> record = DecodePrepared(encoded);
    if (!record.ok()) return record.status();
    out.prepared.push_back(std::move(*record));
  }
  for (std::vector<HeuristicRecord>* list : {&out.heuristics, &out.mismatches}) {
    if (!decoder.GetVarint64(&count) || count > payload.size()) return bad;
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view encoded;
      if (!decoder.GetLengthPrefixed(&encoded)) return bad;
      StatusOr<HeuristicRecord> record = DecodeHeuristic(encoded);
      if (!record.ok()) return record.status();
      list->push_back(*record);
    }
  }
  if (!decoder.done()) return bad;
  return out;
}

std::string EncodeTxids(const std::vector<int64_t>& txids) {
  std::string out;
  wal::PutVarint64(&out, txids.size());
  for (int64_t txid : txids) wal::PutFixed64(&out, static_cast<uint64_t>(txid));
  return out;
}

StatusOr<std::vector<int64_t>> DecodeTxids(std::string_view payload) {
  wal::Decoder decoder(payload);
  uint64_t count = 0;
  if (!decoder.GetVarint64(&count) || count > payload.size() / 8) {
    return Status::Corruption("malformed txid list record");
  }
  std::vector<int64_t> txids;
  txids.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t txid = 0;
    if (!decoder.GetFixed64(&txid)) return Status::Corruption("malformed txid list record");
    txids.push_back(static_cast<int64_t>(txid));
  }
  if (!decoder.done()) return Status::Corruption("malformed txid list record");
  return txids;
}

}  // namespace twopc::participant
