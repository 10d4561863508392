// Applies committed changesets with statements compiled once per table and
// change shape. sqlite3changeset_apply compiles its statements (and reads the
// table's schema) again on every call, which made it the largest CPU cost of
// a commit.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "participant/statement_cache.h"
#include "wal/base/status.h"

namespace twopc::participant {

class ChangesetApplier {
 public:
  explicit ChangesetApplier(sqlite3* db) : db_(db), statements_(db, 256) {}

  // Applies `changeset` (already validated) inside the caller's transaction.
  // The decision is final, so a committed change must land. With the agent's
  // lock table nobody else writes these rows between prepare and commit; if
  // somebody did behind the agent's back, the committed values win (an insert
  // replaces the row with its key), and a row to update or delete that is
  // gone is skipped with a warning. A change that breaks a constraint, or a
  // table whose shape no longer fits the changeset, fails the apply.
  Status Apply(int64_t txid, const std::string& changeset);

  // Whether every table `changeset` touches still has the shape it was
  // captured with (the same columns, the same key). When it does not (columns
  // added since, hidden columns), the caller uses sqlite3changeset_apply,
  // which handles those cases.
  StatusOr<bool> Fits(const std::string& changeset);

  // One change as SQLite's changeset iterator presents it.
  struct Change {
    const char* table = nullptr;
    int columns = 0;
    int op = 0;
    unsigned char* pk_flags = nullptr;
  };

 private:
  struct TableShape {
    std::vector<std::string> columns;  // quoted, in table order
    std::vector<bool> primary_key;
  };
  StatusOr<const TableShape*> ShapeOf(const std::string& table);
  static bool Matches(const TableShape& table, const Change& change);
  // The compiled statement for `sql`, or an error naming the txid.
  StatusOr<sqlite3_stmt*> Statement(int64_t txid, const std::string& sql);

  sqlite3* const db_;
  StatementCache statements_;
  std::map<std::string, TableShape> shapes_;
};

}  // namespace twopc::participant
