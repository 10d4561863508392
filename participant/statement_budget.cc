#include "participant/statement_budget.h"

namespace twopc::participant {

std::string StatementBudget::Reason() const {
  if (cancelled()) return "interrupted: its transaction was aborted";
  return "interrupted after " + std::to_string(limit_.count()) + " ms (" + limit_name_ + ")";
}

BranchLimit BranchLimitFor(int64_t requested_ms, std::chrono::milliseconds max_statement) {
  if (requested_ms > 0 && requested_ms < max_statement.count()) {
    return {std::chrono::milliseconds(requested_ms), "the transaction's prepare timeout"};
  }
  return {max_statement, "--max_statement_ms"};
}

}  // namespace twopc::participant
