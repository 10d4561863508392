// Small helpers for the participant unit tests: a temp directory per test and
// a bank database made outside the agent (the agent refuses DDL).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "participant/agent.h"
#include "participant/sql_value.h"
#include "participant/sqlite_session.h"
#include "participant/sqlite_store.h"
#include "tests/temp_dir.h"

namespace twopc::participant::test {

using TempDir = ::twopc::test::TempDir;

// Runs schema SQL on the file at path with a plain connection.
inline void ExecRaw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK) << path;
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "") << " in: " << sql;
  sqlite3_free(error);
  sqlite3_close(db);
}

inline constexpr char kBankSchema[] =
    "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));"
    "INSERT INTO accounts VALUES (1, 100), (2, 50), (3, 10);";

inline std::unique_ptr<SqliteStore> OpenStore(const std::string& path) {
  std::unique_ptr<SqliteStore> store;
  Status status = SqliteStore::Open({path, /*create_if_missing=*/false}, &store);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return store;
}

// The balance of account id, read through the store's committed view; -1 if absent.
inline int64_t Balance(SqliteStore* store, int64_t id) {
  StatusOr<QueryRows> rows = store->Query("SELECT balance FROM accounts WHERE id = ?", {id});
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  if (!rows.ok() || rows->rows.size() != 1) return -1;
  return std::get<int64_t>(rows->rows[0][0]);
}

// Takes amount from account id; refused unless exactly one row changed.
inline SqlStatement Debit(int64_t id, int64_t amount) {
  return SqlStatement{"UPDATE accounts SET balance = balance - ? WHERE id = ?", {amount, id}, 1};
}

// Opens an agent on store with its WAL in wal_dir (env nullptr: the real files).
inline Status OpenAgent(SqliteStore* store, const std::string& wal_dir,
                        std::chrono::milliseconds lock_wait, wal::Env* env,
                        std::unique_ptr<Agent>* out) {
  AgentOptions options;
  options.name = "test";
  options.coordinator = "coordinator.test:9090";
  options.lock_wait = lock_wait;
  wal::LogOptions log_options;
  log_options.dir = wal_dir;
  log_options.env = env;
  return Agent::Open(options, store, log_options, out);
}

}  // namespace twopc::participant::test
