// The SQLite schema the fuzz targets and their seed corpus share.
#pragma once

#include "participant/sqlite_session.h"

#include <string>

#include "tests/fuzz/fuzz_check.h"

namespace twopc::fuzz {

// Every value type and a composite primary key.
constexpr char kFuzzSchema[] =
    "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);"
    "CREATE TABLE kinds(a TEXT NOT NULL, b BLOB NOT NULL, r REAL, n, PRIMARY KEY (a, b));"
    "INSERT INTO accounts VALUES (1, 100), (2, 50), (3, 0);"
    "INSERT INTO kinds VALUES ('x', X'00ff', 1.5, NULL);";

// Creates the database file at path with `schema` (and data).
inline void CreateDatabase(const std::string& path, const char* schema) {
  sqlite3* db = nullptr;
  Check(sqlite3_open(path.c_str(), &db) == SQLITE_OK, "fuzz", "create the database");
  Check(sqlite3_exec(db, schema, nullptr, nullptr, nullptr) == SQLITE_OK, "fuzz",
        "create the schema");
  sqlite3_close(db);
}

}  // namespace twopc::fuzz
