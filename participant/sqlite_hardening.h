// What SQLite itself enforces on a connection that runs client SQL, after
// SQLite's "Defense Against the Dark Arts": lowered limits, defensive mode,
// no trust in functions named by the schema, no FTS3 tokenizer pointers, no
// extension loading; and a process-wide heap limit, so that an allocation
// bomb fails its statement with "out of memory" instead of the process.
#pragma once

#include <cstdint>

#include "wal/status.h"

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

// Applies the limits and the safe configuration to `db`.
Status HardenConnection(sqlite3* db, const SqlLimits& limits);

// sqlite3_hard_heap_limit64 for the whole process (0: none).
void SetSqliteHeapLimit(int64_t bytes);

}  // namespace twopc::participant
