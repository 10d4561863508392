// The coordinator's decision-log records. COMMIT is synced before any commit
// is sent (the commit point); END is not forced; EPOCH is synced at start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wal/base/status.h"

namespace twopc::coordinator {

enum class RecordType : uint8_t {
  kEpoch = 1,   // a coordinator start: txids of this epoch are new
  kCommit = 2,  // txid and the participants that must apply it
  kEnd = 3,     // every participant acknowledged txid's commit
  // First record of a segment after truncation: the epoch and every COMMIT
  // without END at that moment, so older segments can be deleted.
  kCheckpoint = 4,
  // A participant reported that an operator forced the other outcome there.
  kHeuristicMismatch = 5,
};

struct MismatchRecord {
  int64_t txid = 0;
  std::string participant;
  bool forced_commit = false;  // what the operator forced (COMMIT or ABORT)
  int64_t reported_at_ms = 0;
};

std::string EncodeMismatch(const MismatchRecord& record);
StatusOr<MismatchRecord> DecodeMismatch(std::string_view payload);

struct CommitRecord {
  int64_t txid = 0;
  int64_t committed_at_ms = 0;  // wall clock, for the age txrecover shows
  std::vector<std::string> participants;
};

std::string EncodeEpoch(uint64_t epoch);
StatusOr<uint64_t> DecodeEpoch(std::string_view payload);

std::string EncodeCommit(const CommitRecord& record);
StatusOr<CommitRecord> DecodeCommit(std::string_view payload);

struct CheckpointRecord {
  uint64_t epoch = 0;
  std::vector<CommitRecord> undelivered;
  std::vector<MismatchRecord> mismatches;  // kept until an operator clears the log
};

std::string EncodeCheckpoint(const CheckpointRecord& record);
StatusOr<CheckpointRecord> DecodeCheckpoint(std::string_view payload);

std::string EncodeEnd(int64_t txid);
StatusOr<int64_t> DecodeEnd(std::string_view payload);

}  // namespace twopc::coordinator
