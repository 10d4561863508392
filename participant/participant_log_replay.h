// What a participant's WAL says, record by record: the transactions prepared
// without an outcome, and heuristic decisions not yet checked. Used by the
// agent at restart and by txrecover offline.
#pragma once

#include <cstdint>
#include <map>

#include "participant/participant_records.h"
#include "wal/base/status.h"
#include "wal/log_reader.h"

namespace twopc::participant {

struct ParticipantLogState {
  std::map<int64_t, PreparedRecord> unresolved;   // PREPARED without outcome
  std::map<int64_t, HeuristicRecord> heuristics;  // forced by an operator, not yet checked
  std::map<int64_t, HeuristicRecord> mismatches;  // checked: the coordinator decided otherwise
  // PREPARED and then COMMITTED: applied, but the database may have lost the
  // commit (it is synced only at checkpoints). Checked at restart.
  std::map<int64_t, std::string> committed;  // txid -> changeset
};

// After the last record: a transaction both committed and listed prepared
// (by a checkpoint taken while it committed) is committed.
void FinishReplay(ParticipantLogState* state);

// Applies one record to *state; Corruption for a record it cannot decode.
Status ReplayParticipantRecord(const wal::LogRecord& record, ParticipantLogState* state);

}  // namespace twopc::participant
