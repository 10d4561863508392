#include "tools/cluster/bank_database.h"

#include <sqlite3.h>

namespace twopc::tools {
namespace {

// Runs `sql`; on failure says which statement failed when `quote` is set.
Status Exec(sqlite3* db, const std::string& sql, bool quote = true) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return Status::Ok();
  const std::string why = message != nullptr ? message : sqlite3_errmsg(db);
  sqlite3_free(message);
  return Status::IoError(quote ? sql + ": " + why : why);
}

Status InsertAccounts(sqlite3* db, int accounts, int64_t balance) {
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT INTO accounts(id, balance) VALUES (?, ?)", -1, &insert,
                         nullptr) != SQLITE_OK) {
    return Status::IoError(std::string("prepare insert: ") + sqlite3_errmsg(db));
  }
  Status status;
  for (int id = 0; id < accounts && status.ok(); ++id) {
    sqlite3_bind_int64(insert, 1, id);
    sqlite3_bind_int64(insert, 2, balance);
    if (sqlite3_step(insert) != SQLITE_DONE) {
      status = Status::IoError(std::string("insert account: ") + sqlite3_errmsg(db));
    }
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  return status;
}

Status Fill(sqlite3* db, int accounts, int64_t balance, const std::string& more_sql) {
  TWOPC_RETURN_IF_ERROR(Exec(db,
                             "CREATE TABLE accounts(id INTEGER PRIMARY KEY, "
                             "balance INTEGER NOT NULL CHECK (balance >= 0))"));
  TWOPC_RETURN_IF_ERROR(Exec(db, "BEGIN"));
  TWOPC_RETURN_IF_ERROR(InsertAccounts(db, accounts, balance));
  TWOPC_RETURN_IF_ERROR(Exec(db, "COMMIT"));
  if (more_sql.empty()) return Status::Ok();
  return Exec(db, more_sql, /*quote=*/false);
}

}  // namespace

Status CreateBankDatabase(const std::string& db_path, int accounts, int64_t balance,
                          const std::string& more_sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const Status status =
        Status::IoError(db_path + ": " + (db != nullptr ? sqlite3_errmsg(db) : "cannot open"));
    sqlite3_close(db);
    return status;
  }
  const Status status = Fill(db, accounts, balance, more_sql);
  sqlite3_close(db);
  if (!status.ok()) return Status::IoError(db_path + ": " + status.message());
  return Status::Ok();
}

}  // namespace twopc::tools
