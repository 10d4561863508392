// Fuzzes every participant WAL record decoder. Input: record type u8, then
// the payload. Each payload also goes through the replay (what recovery and
// txrecover run), and a decoded PREPARED's changeset through the changeset
// parser. Checked: a decoded record re-encodes to bytes that decode again to
// the same encoding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "participant/changeset_keys.h"
#include "participant/participant_log_replay.h"
#include "participant/participant_records.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace p = twopc::participant;

void Check(bool condition, const char* what) {
  twopc::fuzz::Check(condition, "participant_records_fuzzer", what);
}

// Decode, Encode, Decode again, Encode again: both encodings are equal.
template <typename Decode, typename Encode>
void RoundTrip(std::string_view payload, Decode decode, Encode encode) {
  auto first = decode(payload);
  if (!first.ok()) {
    Check(first.status().IsCorruption(), "decoders fail only with Corruption");
    return;
  }
  const std::string encoded = encode(*first);
  auto second = decode(encoded);
  Check(second.ok(), "a re-encoded record decodes");
  Check(encode(*second) == encoded, "re-encoding is stable");
}

void ParseChangeset(const std::string& changeset) {
  auto keys = p::ChangesetKeys(changeset);
  auto size = p::ChangesetSize(changeset);
  Check(keys.ok() == size.ok(), "keys and size agree on a changeset's validity");
  if (keys.ok()) Check(keys->size() <= *size, "no more keys than changes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t type = data[0];
  const std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);

  switch (static_cast<p::RecordType>(type)) {
    case p::RecordType::kPrepared:
      RoundTrip(payload, p::DecodePrepared, p::EncodePrepared);
      if (auto prepared = p::DecodePrepared(payload); prepared.ok()) {
        ParseChangeset(prepared->changeset);
      }
      break;
    case p::RecordType::kCheckpoint:
      RoundTrip(payload, p::DecodeCheckpoint, p::EncodeCheckpoint);
      if (auto checkpoint = p::DecodeCheckpoint(payload); checkpoint.ok()) {
        for (const p::PreparedRecord& prepared : checkpoint->prepared) {
          ParseChangeset(prepared.changeset);
        }
      }
      break;
    case p::RecordType::kHeuristic:
    case p::RecordType::kHeuristicMismatch:
      RoundTrip(payload, p::DecodeHeuristic, p::EncodeHeuristic);
      break;
    case p::RecordType::kCommitted:
    case p::RecordType::kAborted:
    case p::RecordType::kHeuristicChecked:
      RoundTrip(payload, p::DecodeTxids, p::EncodeTxids);
      break;
    default:
      break;
  }

  twopc::wal::LogRecord record;
  record.type = type;
  record.payload.assign(payload);
  p::ParticipantLogState state;
  (void)p::ReplayParticipantRecord(record, &state);
  (void)p::ReplayParticipantRecord(record, &state);  // the same record twice
  p::FinishReplay(&state);
  return 0;
}
