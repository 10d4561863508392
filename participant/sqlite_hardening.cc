#include "participant/sqlite_hardening.h"

#include <algorithm>
#include <climits>
#include <string>

#include <sqlite3.h>

namespace twopc::participant {
namespace {

int Clamp(int64_t value) { return static_cast<int>(std::clamp<int64_t>(value, 1, INT_MAX)); }

Status Configure(sqlite3* db, int option, int value, const char* name) {
  int now = -1;
  if (sqlite3_db_config(db, option, value, &now) != SQLITE_OK || now != value) {
    return Status::IoError(std::string("cannot set ") + name + " on the database connection");
  }
  return Status::Ok();
}

}  // namespace

Status HardenConnection(sqlite3* db, const SqlLimits& limits) {
  TWOPC_RETURN_IF_ERROR(Configure(db, SQLITE_DBCONFIG_DEFENSIVE, 1, "SQLITE_DBCONFIG_DEFENSIVE"));
  TWOPC_RETURN_IF_ERROR(
      Configure(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, "SQLITE_DBCONFIG_TRUSTED_SCHEMA"));
  TWOPC_RETURN_IF_ERROR(Configure(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0,
                                  "SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER"));
  TWOPC_RETURN_IF_ERROR(Configure(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0,
                                  "SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION"));
  sqlite3_enable_load_extension(db, 0);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, Clamp(limits.max_value_bytes));
  sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, Clamp(limits.max_sql_bytes));
  sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, kMaxExprDepth);
  sqlite3_limit(db, SQLITE_LIMIT_COMPOUND_SELECT, kMaxCompoundSelect);
  sqlite3_limit(db, SQLITE_LIMIT_FUNCTION_ARG, kMaxFunctionArgs);
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_limit(db, SQLITE_LIMIT_TRIGGER_DEPTH, kMaxTriggerDepth);
  sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, kMaxLikePatternBytes);
  return Status::Ok();
}

void SetSqliteHeapLimit(int64_t bytes) { sqlite3_hard_heap_limit64(std::max<int64_t>(0, bytes)); }

}  // namespace twopc::participant
