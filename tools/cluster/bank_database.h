// The bank schema of the standard workload, written straight into a SQLite
// file before its agent starts (agents refuse DDL inside transactions).
#pragma once

#include <cstdint>
#include <string>

#include "wal/base/status.h"

namespace twopc::tools {

constexpr int64_t kInitialBalance = 1000;

// Creates `db_path` with accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT
// NULL CHECK (balance >= 0)) holding ids 0..accounts-1, each `balance`, then
// runs `more_sql` (any number of statements; a test's own tables) on it.
// The file must not exist yet.
Status CreateBankDatabase(const std::string& db_path, int accounts,
                          int64_t balance = kInitialBalance, const std::string& more_sql = "");

}  // namespace twopc::tools
