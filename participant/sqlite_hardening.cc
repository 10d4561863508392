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

Status HardenConnection(sqlite3* db, bool trust_schema) {
  TWOPC_RETURN_IF_ERROR(Configure(db, SQLITE_DBCONFIG_DEFENSIVE, 1, "SQLITE_DBCONFIG_DEFENSIVE"));
  TWOPC_RETURN_IF_ERROR(Configure(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, trust_schema ? 1 : 0,
                                  "SQLITE_DBCONFIG_TRUSTED_SCHEMA"));
  TWOPC_RETURN_IF_ERROR(Configure(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0,
                                  "SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER"));
  TWOPC_RETURN_IF_ERROR(Configure(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0,
                                  "SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION"));
  sqlite3_enable_load_extension(db, 0);
  return Status::Ok();
}

Status LoadSchema(sqlite3* db) {
  // Naming a table makes SQLite read the whole schema.
  char* error = nullptr;
  if (sqlite3_exec(db, "SELECT 1 FROM sqlite_schema LIMIT 0", nullptr, nullptr, &error) !=
      SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db);
    sqlite3_free(error);
    return Status::IoError("reading the schema: " + message);
  }
  return Status::Ok();
}

namespace {

// The limits ClientLimits lowers, in the order of its values.
constexpr int kLimitIds[] = {SQLITE_LIMIT_LENGTH,        SQLITE_LIMIT_SQL_LENGTH,
                             SQLITE_LIMIT_EXPR_DEPTH,    SQLITE_LIMIT_COMPOUND_SELECT,
                             SQLITE_LIMIT_FUNCTION_ARG,  SQLITE_LIMIT_ATTACHED,
                             SQLITE_LIMIT_TRIGGER_DEPTH, SQLITE_LIMIT_LIKE_PATTERN_LENGTH};

}  // namespace

ClientLimits::ClientLimits(sqlite3* db, const SqlLimits& limits) : db_(db) {
  static_assert(sizeof(kLimitIds) / sizeof(kLimitIds[0]) == kCount);
  const int values[kCount] = {Clamp(limits.max_value_bytes),
                              Clamp(limits.max_sql_bytes),
                              kMaxExprDepth,
                              kMaxCompoundSelect,
                              kMaxFunctionArgs,
                              0,
                              kMaxTriggerDepth,
                              kMaxLikePatternBytes};
  for (int i = 0; i < kCount; ++i) saved_[i] = sqlite3_limit(db_, kLimitIds[i], values[i]);
}

ClientLimits::~ClientLimits() {
  for (int i = 0; i < kCount; ++i) sqlite3_limit(db_, kLimitIds[i], saved_[i]);
}

void SetSqliteHeapLimit(int64_t bytes) { sqlite3_hard_heap_limit64(std::max<int64_t>(0, bytes)); }

}  // namespace twopc::participant
