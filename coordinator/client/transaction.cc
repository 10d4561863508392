#include "twopc/transaction.h"

namespace twopc {

Statement& Transaction::NewStatement(std::string_view participant) {
  // Few branches (at most 64 are accepted): a linear search is the fastest.
  for (Branch& branch : branches_) {
    if (branch.participant == participant) return branch.statements.emplace_back();
  }
  Branch& branch = branches_.emplace_back();
  branch.participant.assign(participant);
  return branch.statements.emplace_back();
}

Transaction& Transaction::Add(std::string_view participant, std::string sql,
                              std::vector<Value> params) {
  Statement& statement = NewStatement(participant);
  statement.sql = std::move(sql);
  statement.params = std::move(params);
  return *this;
}

Transaction& Transaction::AddExpecting(std::string_view participant, int64_t expect_changes,
                                       std::string sql, std::vector<Value> params) {
  Statement& statement = NewStatement(participant);
  statement.sql = std::move(sql);
  statement.params = std::move(params);
  statement.expect_changes = expect_changes;
  return *this;
}

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kCommitted:
      return "COMMITTED";
    case Outcome::kAborted:
      return "ABORTED";
    case Outcome::kInProgress:
      return "IN_PROGRESS";
    case Outcome::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

}  // namespace twopc
