// What a client asks the coordinator to run atomically: one branch of SQL
// statements per participant, and what comes back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "twopc/value.h"

namespace twopc {

// One SQL statement with positional parameters (?, ?NNN, :name bind in order).
struct Statement {
  std::string sql;
  std::vector<Value> params;
  // When set, the branch votes NO unless the statement changed exactly this
  // many rows (a write), or returned exactly this many (a read: SELECT).
  std::optional<int64_t> expect_changes;
};

// The statements a transaction runs on one participant, in order.
struct Branch {
  std::string participant;
  std::vector<Statement> statements;
};

class Transaction {
 public:
  // Appends a statement to `participant`'s branch. A participant's first
  // mention starts its branch; branches keep the order of first mention.
  Transaction& Add(std::string_view participant, std::string sql, std::vector<Value> params = {});
  // Same, but the branch votes NO (the transaction aborts) unless the
  // statement changes exactly `expect_changes` rows (or, a SELECT, returns
  // exactly that many).
  Transaction& AddExpecting(std::string_view participant, int64_t expect_changes, std::string sql,
                            std::vector<Value> params = {});

  const std::vector<Branch>& branches() const { return branches_; }
  // For callers that rebuild one transaction in place to avoid allocations
  // (two branches for one participant are refused by the coordinator).
  std::vector<Branch>& mutable_branches() { return branches_; }
  bool empty() const { return branches_.empty(); }
  void Clear() { branches_.clear(); }

 private:
  Statement& NewStatement(std::string_view participant);

  std::vector<Branch> branches_;
};

struct ExecuteOptions {
  // Prepare timeout in milliseconds; 0: the coordinator's default.
  int timeout_ms = 0;
  // false: the reply comes at the commit point (the decision is durable) and
  // participants apply it right after; true: the reply waits until every
  // participant applied it, so a read that follows sees it.
  bool wait_applied = false;
  // Deadline of the whole transaction in milliseconds; 0: none. Past it the
  // coordinator aborts the transaction unless it reached its commit point
  // (reason "deadline: ...").
  int deadline_ms = 0;
};

enum class Outcome { kCommitted, kAborted, kInProgress, kUnknown };

// "COMMITTED", "ABORTED", "IN_PROGRESS" or "UNKNOWN".
const char* OutcomeName(Outcome outcome);

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

struct BranchResult {
  std::string participant;
  std::vector<int64_t> changes;  // rows changed by each statement
  // One per statement when any statement read: the rows it read at prepare
  // time, as the branch saw them (with its own writes); empty for a write.
  // Empty altogether for a branch that only writes.
  std::vector<QueryResult> rows;
};

struct ExecuteResult {
  int64_t txid = 0;
  // kCommitted, kAborted, or kUnknown (a one-branch transaction whose
  // participant did not answer: ask Client::Status later).
  Outcome outcome = Outcome::kUnknown;
  std::string reason;  // why it aborted
  std::vector<BranchResult> branches;

  bool committed() const { return outcome == Outcome::kCommitted; }
};

struct HealthInfo {
  std::string role;  // "coordinator" or "participant"
  std::string name;
  std::map<std::string, std::string> details;
};

// A transaction that is not finished everywhere (see txctl in-doubt).
struct InDoubtTransaction {
  int64_t txid = 0;
  std::string state;  // IN_PROGRESS, PREPARED, UNDELIVERED_COMMIT, HEURISTIC_MISMATCH, ...
  int64_t age_ms = 0;
  std::vector<std::string> participants;
  std::string detail;
};

}  // namespace twopc
