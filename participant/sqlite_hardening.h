// What SQLite itself enforces on a connection that runs client SQL, after
// SQLite's "Defense Against the Dark Arts": lowered limits, defensive mode,
// no trust in functions named by the schema, no FTS3 tokenizer pointers, no
// extension loading; and a process-wide heap limit, so that an allocation
// bomb fails its statement with "out of memory" instead of the process.
#pragma once

#include <cstdint>

#include "wal/base/status.h"

struct sqlite3;

namespace twopc::participant {

struct SqlLimits {
  // Longest string or BLOB (and table row) SQLite builds: SQLITE_LIMIT_LENGTH.
  int64_t max_value_bytes = 16 << 20;
  // Longest SQL text: SQLITE_LIMIT_SQL_LENGTH.
  int64_t max_sql_bytes = 1 << 20;
};

// The fixed limits, lowered from SQLite's defaults (in brackets).
inline constexpr int kMaxExprDepth = 100;          // [1000]
inline constexpr int kMaxCompoundSelect = 50;      // [500]
inline constexpr int kMaxFunctionArgs = 64;        // [127]
inline constexpr int kMaxTriggerDepth = 16;        // [1000]
inline constexpr int kMaxLikePatternBytes = 1000;  // [50000]

// The safe configuration, for the life of the connection: defensive mode on,
// the FTS3 tokenizer and extension loading off, and unless `trust_schema`
// the schema not trusted (a function or virtual table a view, trigger, CHECK,
// DEFAULT or generated column uses must be one SQLite marks innocuous).
Status HardenConnection(sqlite3* db, bool trust_schema = false);

// Loads the schema of `db` now, under SQLite's default limits: parsed later
// inside ClientLimits, a view or trigger beyond them would fail to load.
Status LoadSchema(sqlite3* db);

// The limits, lowered while it lives (while client SQL runs), restored after:
// the agent's own work (applying committed changes, recovery, its
// bookkeeping) is never refused by them.
class ClientLimits {
 public:
  ClientLimits(sqlite3* db, const SqlLimits& limits);
  ~ClientLimits();
  ClientLimits(const ClientLimits&) = delete;
  ClientLimits& operator=(const ClientLimits&) = delete;

 private:
  static constexpr int kCount = 8;
  sqlite3* const db_;
  int saved_[kCount];
};

// sqlite3_hard_heap_limit64 for the whole process (0: none).
void SetSqliteHeapLimit(int64_t bytes);

}  // namespace twopc::participant
