#include "participant/participant_records.h"

#include "wal/coding.h"

namespace twopc::participant {

std::string EncodePrepared(const PreparedRecord& record) {
  std::string out;
  out.reserve(record.changeset.size() + record.coordinator.size() + 24);
  wal::PutFixed64(&out, static_cast<uint64_t>(record.txid));
  wal::PutFixed64(&out, static_cast<uint64_t>(record.prepared_at_ms));
  wal::PutLengthPrefixed(&out, record.coordinator);
  wal::PutLengthPrefixed(&out, record.changeset);
  return out;
}

StatusOr<PreparedRecord> DecodePrepared(std::string_view payload) {
  wal::Decoder decoder(payload);
  PreparedRecord record;
  uint64_t txid = 0;
  uint64_t prepared_at_ms = 0;
  std::string_view coordinator;
  std::string_view changeset;
  if (!decoder.GetFixed64(&txid) || !decoder.GetFixed64(&prepared_at_ms) ||
      !decoder.GetLengthPrefixed(&coordinator) ||
      !decoder.GetLengthPrefixed(&changeset) || !decoder.done()) {
    return Status::Corruption("malformed PREPARED record");
  }
  record.txid = static_cast<int64_t>(txid);
  record.prepared_at_ms = static_cast<int64_t>(prepared_at_ms);
  record.coordinator.assign(coordinator);
  record.changeset.assign(changeset);
  return record;
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
