// The SQLite database an agent sits beside. One writer connection runs
// branches and applies committed changes; a separate read-only connection
// serves queries of committed data. SQLite types stay inside this class.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "participant/changeset_applier.h"
#include "participant/changeset_builder.h"
#include "participant/lock_table.h"
#include "participant/locking_read.h"
#include "participant/sql_authorizer.h"
#include "participant/sql_value.h"
#include "participant/sqlite_hardening.h"
#include "participant/statement_budget.h"
#include "participant/statement_cache.h"
#include "wal/base/clock.h"
#include "wal/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace twopc::participant {

// The bookkeeping table: one row per transaction whose changes are in the database.
inline constexpr char kAppliedTable[] = "_twopc_applied";

// What a query may take: its budget (none: unbounded) and the most bytes its
// rows may hold.
struct QueryBounds {
  const StatementBudget* budget = nullptr;
  size_t max_result_bytes = SIZE_MAX;
};

class SqliteStore {
 public:
  struct OpenOptions {
    std::string path;
    bool create_if_missing = false;
    int busy_timeout_ms = 5000;  // how long to wait for another process holding the file
    // How a branch's changes are captured. kPreupdateHook builds the
    // changeset itself and falls back to kSession (the session extension)
    // for a table it does not handle (hidden or generated columns); both give
    // the same changes. kSession is there to compare against.
    enum class Capture { kPreupdateHook, kSession };
    Capture capture = Capture::kPreupdateHook;
    // Enforced by SQLite while client SQL runs (see sqlite_hardening.h).
    SqlLimits limits{};
    // SQLITE_DBCONFIG_TRUSTED_SCHEMA (--sqlite_trusted_schema).
    bool trust_schema = false;
    // Most bytes the rows a branch's statements read may take in its reply,
    // all together (--max_branch_read_bytes); past it the branch is refused.
    // Small by default: one prepare_many reply carries up to 64 branches and
    // must stay within the RPC frame limit (a larger read belongs in query).
    size_t max_branch_read_bytes = 64 << 10;
    // Gives the bookkeeping rows their applied_at (WallMillis, in seconds).
    // The agent compares it with its own clock when it prunes them, so it
    // must be the agent's (Agent::Open checks).
    const Clock* clock = SystemClock::Get();
  };
  static Status Open(const OpenOptions& options, std::unique_ptr<SqliteStore>* out);
  ~SqliteStore();
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // What a branch did: its exact row changes and the rows each statement changed.
  struct BranchRun {
    std::string changeset;
    std::vector<int64_t> changes;
    // One per statement: the rows it read (none for a write).
    std::vector<QueryRows> reads;
    // The rows its SELECT ... FOR UPDATE / FOR SHARE returned, to lock.
    std::vector<RowLock> read_locks;
  };
  enum class Finish { kRollback, kCommit };
  using Decide = std::function<StatusOr<Finish>(const BranchRun&)>;

  // Runs the statements in one SQLite transaction and captures their changes.
  // `decide` runs while the writer is still held: kRollback leaves the
  // database untouched (the changes live on in the changeset), kCommit commits
  // them together with txid's bookkeeping row (one-phase commit). A statement
  // that fails gives Status::Aborted with SQLite's message; so does SQL the
  // agent refuses (DDL, ATTACH, PRAGMA, writes to its own tables, a table
  // without PRIMARY KEY). With a budget, SQLite is interrupted once it
  // expires: Aborted with "statement N: " and the budget's reason.
  Status RunBranch(int64_t txid, const std::vector<SqlStatement>& statements, const Decide& decide,
                   BranchRun* run, const StatementBudget* budget = nullptr);

  struct Committed {
    int64_t txid;
    const std::string* changeset;
  };
  // Applies every changeset and records its txid, in one SQLite transaction.
  // Not synced (synchronous=NORMAL): the caller makes it durable in its own
  // log. Txids already recorded are skipped.
  Status ApplyCommitted(const std::vector<Committed>& batch);

  StatusOr<bool> IsApplied(int64_t txid);

  // Makes every commit so far durable in the database file (a full SQLite
  // checkpoint, synced).
  Status MakeDurable();

  // Deletes the bookkeeping rows of transactions applied before this time.
  Status PruneApplied(int64_t applied_before_unix_s);

  // A read of committed data on the read-only connection. InvalidArgument
  // for SQL that fails; LimitExceeded past the budget or the result bytes.
  StatusOr<QueryRows> Query(const std::string& sql, const std::vector<SqlValue>& params,
                            const QueryBounds& bounds = {});

  const std::string& path() const { return path_; }
  const Clock* clock() const { return clock_; }

 private:
  SqliteStore(std::string path, sqlite3* writer, sqlite3* reader, const OpenOptions& options);
  Status Exec(sqlite3* db, const char* sql);
  // Exec of internal SQL on the writer through the statement cache.
  Status ExecCached(const char* sql);
  // Syncs SQLite's WAL file: every commit so far is durable.
  Status SyncDatabaseLog();
  // One changeset, through the applier, or SQLite's own apply when the
  // applier does not fit the table.
  Status ApplyOne(int64_t txid, const std::string& changeset);
  // Empty when every change to table can be captured (by_session: by the
  // session extension, which needs NOT NULL key columns); otherwise why not.
  StatusOr<std::string> WhyNotCapturable(const std::string& table, bool by_session);
  Status RunStatements(const std::vector<SqlStatement>& statements, BranchRun* run,
                       bool by_session);
  // Runs the statements and captures their changes with the pre-update hook;
  // *unsupported (and an OK status) when a changed table needs the session
  // extension instead (the caller rolls back and runs them again with it).
  Status CaptureWithHook(const std::vector<SqlStatement>& statements, BranchRun* run,
                         bool* unsupported);
  Status CaptureWithSession(const std::vector<SqlStatement>& statements, BranchRun* run);
  // The table's shape for the changeset header, or nullptr when the hook
  // cannot capture it.
  const CaptureShape* ShapeOf(const std::string& table);
  // Forgets cached schema facts if the schema changed since they were read.
  Status CheckSchemaVersion();
  Status RunAuthorized(const std::vector<SqlStatement>& statements, AuthorizerState* auth,
                       BranchRun* run);
  // Ends the branch's SQLite transaction unless SQLite already rolled it back
  // (it does on an interrupted write or out of memory).
  void RollbackBranch(int64_t txid);
  // What one client statement did: rows its writes changed, rows its reads
  // returned, and whether any part of it wrote.
  struct ClientSqlCounts {
    int64_t changed = 0;
    int64_t returned = 0;
    bool wrote = false;
    QueryRows* reads = nullptr;    // where the rows read go
    size_t* read_bytes = nullptr;  // of the whole branch so far
    // A locking read (FOR UPDATE / FOR SHARE): the mode, and where its rows' locks go.
    std::optional<LockMode> lock;
    std::vector<RowLock>* read_locks = nullptr;
  };
  // Steps a read-only statement to its end, keeping its rows in *counts.
  Status ReadRows(sqlite3_stmt* stmt, ClientSqlCounts* counts);
  // Where the keys of a locking read's rows are (cached per SQL text).
  StatusOr<const RowKeyColumns*> KeyColumnsFor(sqlite3_stmt* stmt);
  // Runs one client statement (possibly several SQL statements without
  // parameters), adding to *counts.
  Status RunClientSql(const SqlStatement& statement, AuthorizerState* auth,
                      ClientSqlCounts* counts);
  Status RecordApplied(int64_t txid);

  const std::string path_;
  const OpenOptions::Capture capture_;
  const SqlLimits client_limits_;
  const size_t max_branch_read_bytes_;
  const Clock* const clock_;
  std::mutex writer_mu_;  // guards writer_, the schema caches and the statement caches
  sqlite3* writer_;
  // The budget of the branch running on the writer; null between branches.
  const StatementBudget* branch_budget_ = nullptr;
  // Schema facts, valid while the schema version is schema_version_.
  int64_t schema_version_ = -1;
  std::map<std::string, std::string> capture_cache_;
  std::map<std::string, std::unique_ptr<CaptureShape>> shapes_;  // null: not capturable
  std::map<std::string, RowKeyColumns> locking_reads_;           // by SQL text
  // Installed once: re-installing it per branch would expire every cached statement.
  std::unique_ptr<ConnectionAuthorizer> writer_authorizer_;
  // Finalized before writer_ is closed.
  std::unique_ptr<StatementCache> internal_statements_;  // the agent's own SQL
  std::unique_ptr<StatementCache> client_statements_;    // branch SQL, by text
  std::unique_ptr<ChangesetApplier> applier_;
  std::mutex reader_mu_;
  sqlite3* reader_;
  std::unique_ptr<ConnectionAuthorizer> reader_authorizer_;  // queries are client SQL too
};

}  // namespace twopc::participant
