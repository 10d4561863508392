#include "coordinator/register/decision_value.h"

namespace twopc::coordinator {

std::string EncodeDecision(const DecisionValue& decision) {
  std::string out = decision.kind == DecisionValue::Kind::kCommit ? "COMMIT" : "ABORT";
  for (size_t i = 0; i < decision.names.size(); ++i) {
    out += (i == 0 ? " " : ",") + decision.names[i];
  }
  return out;
}

StatusOr<DecisionValue> DecodeDecision(const std::string& text) {
  DecisionValue decision;
  const size_t space = text.find(' ');
  const std::string word = text.substr(0, space);
  if (word == "COMMIT") {
    decision.kind = DecisionValue::Kind::kCommit;
  } else if (word == "ABORT") {
    decision.kind = DecisionValue::Kind::kAbort;
  } else {
    return Status::Corruption("a decision key holds '" + text + "', neither COMMIT nor ABORT");
  }
  if (space == std::string::npos) return decision;
  size_t start = space + 1;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma == start)
      return Status::Corruption("a decision key holds an empty name: '" + text + "'");
    decision.names.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return decision;
}

}  // namespace twopc::coordinator
