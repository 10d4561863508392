// What a decision key in the HA register holds: "COMMIT p0,p1" (the yes
// voters, who must all acknowledge before the key may be deleted) or
// "ABORT p1" (who wrote it: a coordinator's epoch "epoch:E" or a
// participant's name).
#pragma once

#include <string>
#include <vector>

#include "wal/base/status.h"

namespace twopc::coordinator {

struct DecisionValue {
  enum class Kind { kCommit, kAbort };
  Kind kind = Kind::kAbort;
  std::vector<std::string> names;  // COMMIT: the yes voters; ABORT: who wrote it
};

std::string EncodeDecision(const DecisionValue& decision);
// Corruption when `text` is neither "COMMIT ..." nor "ABORT ...".
StatusOr<DecisionValue> DecodeDecision(const std::string& text);

}  // namespace twopc::coordinator
