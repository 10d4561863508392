// Where the coordinator's decisions are made durable. The local WAL is the
// embedded default; a replicated store can implement the same interface so
// that losing the coordinator's machine never blocks participants. Nothing
// above this interface assumes a local file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "coordinator/core/coordinator_records.h"
#include "wal/base/status.h"

namespace twopc::coordinator {

// What a restart finds: the commits not yet known to be delivered everywhere.
struct RecoveredDecisions {
  uint64_t last_epoch = 0;
  std::map<int64_t, std::vector<std::string>> undelivered;  // txid -> participants
  std::map<int64_t, int64_t> committed_at_ms;               // txid -> wall clock of COMMIT
  std::vector<MismatchRecord> mismatches;                   // heuristic mismatches reported
};

class DecisionLog {
 public:
  virtual ~DecisionLog() = default;
  // Durably starts an epoch greater than every earlier one and returns it.
  virtual StatusOr<uint64_t> BeginEpoch() = 0;
  // Returns once the decision is durable: this is the commit point.
  virtual Status LogCommit(int64_t txid, const std::vector<std::string>& participants) = 0;
  // Every participant applied txid. Not forced: a lost END only means one
  // more (idempotent) delivery after a restart.
  virtual Status LogEnd(int64_t txid) = 0;
  // A heuristic mismatch a participant reported, kept so that operators see
  // it after restarts too. Not forced: the participant reports it again.
  virtual Status LogMismatch(const MismatchRecord& mismatch) = 0;
};

}  // namespace twopc::coordinator
