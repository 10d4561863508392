// The bank schema of the standard workload, written straight into a SQLite
// file before its agent starts (agents refuse DDL inside transactions).
#pragma once

#include <cstdint>
#include <string>

namespace twopc::txbench {

constexpr int64_t kInitialBalance = 1000;

// Creates `db_path` with accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT
// NULL CHECK (balance >= 0)) holding ids 0..accounts-1, each `balance`.
// The file must not exist yet. On failure returns false and says why.
bool CreateBankDatabase(const std::string& db_path, int accounts, std::string* error,
                        int64_t balance = kInitialBalance);

}  // namespace twopc::txbench
