// SELECT ... FOR UPDATE and SELECT ... FOR SHARE in a branch: the suffix SQLite
// does not know, and the rows such a SELECT locks. A locking read locks the
// rows it returns, by table and primary key as a write does, so its result
// must say which row each one is: one table, no aggregate, the key columns
// among the result's columns. Anything else is refused with a reason rather
// than locking the wrong rows.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "participant/lock_table.h"
#include "wal/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace twopc::participant {

struct LockingSuffix {
  std::optional<LockMode> lock;  // FOR UPDATE: exclusive; FOR SHARE: shared
  size_t length = 0;             // of the statement without the suffix
};

// Pure: takes a trailing "FOR UPDATE" or "FOR SHARE" (any case, any spacing,
// then optional semicolons) off the SQL text.
LockingSuffix SplitLockingSuffix(const std::string& sql);

// Where the rows of a compiled SELECT come from: their table, and the result
// columns holding its primary key, in the table's column order (the order
// ChangesetKeys encodes them in).
struct RowKeyColumns {
  std::string table;
  std::vector<int> columns;
};

// Aborted with the reason when `stmt` (compiled on db) is not a SELECT whose
// rows can be told apart by table and key.
StatusOr<RowKeyColumns> FindRowKeyColumns(sqlite3* db, sqlite3_stmt* stmt);

// The lock key of the row `stmt` is on; Aborted when its key is NULL.
StatusOr<std::string> RowKeyOf(sqlite3_stmt* stmt, const RowKeyColumns& key);

}  // namespace twopc::participant
