#include "tools/txbench/bank_database.h"

#include <sqlite3.h>

namespace twopc::txbench {
namespace {

bool Exec(sqlite3* db, const char* sql, std::string* error) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
  *error = std::string(sql) + ": " + (message != nullptr ? message : sqlite3_errmsg(db));
  sqlite3_free(message);
  return false;
}

bool InsertAccounts(sqlite3* db, int accounts, int64_t balance, std::string* error) {
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT INTO accounts(id, balance) VALUES (?, ?)", -1, &insert,
                         nullptr) != SQLITE_OK) {
    *error = std::string("prepare insert: ") + sqlite3_errmsg(db);
    return false;
  }
  bool ok = true;
  for (int id = 0; id < accounts && ok; ++id) {
    sqlite3_bind_int64(insert, 1, id);
    sqlite3_bind_int64(insert, 2, balance);
    ok = sqlite3_step(insert) == SQLITE_DONE;
    if (!ok) *error = std::string("insert account: ") + sqlite3_errmsg(db);
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  return ok;
}

}  // namespace

bool CreateBankDatabase(const std::string& db_path, int accounts, std::string* error,
                        int64_t balance) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    *error = db_path + ": " + (db != nullptr ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return false;
  }
  const bool ok = Exec(db,
                       "CREATE TABLE accounts(id INTEGER PRIMARY KEY, "
                       "balance INTEGER NOT NULL CHECK (balance >= 0))",
                       error) &&
                  Exec(db, "BEGIN", error) && InsertAccounts(db, accounts, balance, error) &&
                  Exec(db, "COMMIT", error);
  if (!ok) *error = db_path + ": " + *error;
  sqlite3_close(db);
  return ok;
}

}  // namespace twopc::txbench
