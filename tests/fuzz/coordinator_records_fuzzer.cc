// Fuzzes every coordinator decision-log record decoder. Input: record type
// u8, then the payload; each payload also goes through the replay. Checked: a
// decoded record re-encodes to bytes that decode again to the same encoding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coordinator/core/coordinator_records.h"
#include "coordinator/wal_decision_log.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace c = twopc::coordinator;

void Check(bool condition, const char* what) {
  twopc::fuzz::Check(condition, "coordinator_records_fuzzer", what);
}

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t type = data[0];
  const std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);

  switch (static_cast<c::RecordType>(type)) {
    case c::RecordType::kEpoch:
      RoundTrip(payload, c::DecodeEpoch, c::EncodeEpoch);
      break;
    case c::RecordType::kCommit:
      RoundTrip(payload, c::DecodeCommit, c::EncodeCommit);
      break;
    case c::RecordType::kEnd:
      RoundTrip(payload, c::DecodeEnd, c::EncodeEnd);
      break;
    case c::RecordType::kCheckpoint:
      RoundTrip(payload, c::DecodeCheckpoint, c::EncodeCheckpoint);
      break;
    case c::RecordType::kHeuristicMismatch:
      RoundTrip(payload, c::DecodeMismatch, c::EncodeMismatch);
      break;
    default:
      break;
  }

  twopc::wal::LogRecord record;
  record.type = type;
  record.payload.assign(payload);
  c::RecoveredDecisions recovered;
  (void)c::ReplayDecisions(record, &recovered);
  (void)c::ReplayDecisions(record, &recovered);
  return 0;
}
