// The participant's WAL records. PREPARED is synced before a YES vote; the
// outcome records are not forced (the bookkeeping table in the database is the
// authority for "committed", and presumed abort covers a lost ABORTED).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "participant/lock_table.h"
#include "wal/base/status.h"

namespace twopc::participant {

enum class RecordType : uint8_t {
  kPrepared = 1,   // txid, time, coordinator address, changeset[, rows locked by reads]
  kCommitted = 2,  // txids whose changes are in the database
  kAborted = 3,    // txid released without applying
  // First record of a segment after truncation: every transaction prepared at
  // that moment and every heuristic decision not yet checked against the
  // coordinator, so older segments can be deleted.
  kCheckpoint = 4,
  // An operator forced txid's outcome with txrecover (the coordinator's log was lost).
  kHeuristic = 5,
  // The heuristic decision was checked against the coordinator's (and reported if they differ).
  kHeuristicChecked = 6,
  // The check found that the coordinator decided the other outcome (a
  // HEURISTIC payload). Kept across checkpoints, for operators.
  kHeuristicMismatch = 7,
};

enum class HeuristicOutcome : uint8_t { kCommit = 1, kAbort = 2 };

struct HeuristicRecord {
  int64_t txid = 0;
  HeuristicOutcome outcome = HeuristicOutcome::kAbort;
  int64_t decided_at_ms = 0;
};

struct PreparedRecord {
  int64_t txid = 0;
  int64_t prepared_at_ms = 0;  // wall clock, for the age txrecover shows
  std::string coordinator;
  std::string changeset;
  // Rows its SELECT ... FOR UPDATE / FOR SHARE locked (the rows it writes are
  // in the changeset). Encoded only when there are some, so a record without
  // them reads the same as before locking reads existed.
  std::vector<RowLock> read_locks;
};

struct CheckpointRecord {
  std::vector<PreparedRecord> prepared;
  std::vector<HeuristicRecord> heuristics;  // not yet checked
  std::vector<HeuristicRecord> mismatches;  // checked, and the coordinator disagreed
};

std::string EncodePrepared(const PreparedRecord& record);
StatusOr<PreparedRecord> DecodePrepared(std::string_view payload);

std::string EncodeCheckpoint(const CheckpointRecord& record);
StatusOr<CheckpointRecord> DecodeCheckpoint(std::string_view payload);

std::string EncodeHeuristic(const HeuristicRecord& record);
StatusOr<HeuristicRecord> DecodeHeuristic(std::string_view payload);

std::string EncodeTxids(const std::vector<int64_t>& txids);
StatusOr<std::vector<int64_t>> DecodeTxids(std::string_view payload);

}  // namespace twopc::participant
