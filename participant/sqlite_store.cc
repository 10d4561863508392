#include "participant/sqlite_store.h"

#include <sys/stat.h>

#include <optional>
#include <set>

#include <glog/logging.h>

#include "participant/changeset_format.h"
#include "participant/preupdate_capture.h"
#include "participant/sql_authorizer.h"
#include "participant/sqlite_session.h"

namespace twopc::participant {
namespace {

// Finalizes a statement when it goes out of scope.
struct StmtCloser {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtCloser>;

struct SessionCloser {
  void operator()(sqlite3_session* session) const { sqlite3session_delete(session); }
};

std::string ErrorOf(sqlite3* db) { return sqlite3_errmsg(db); }

Status BindValue(sqlite3_stmt* stmt, int index, const SqlValue& value) {
  int rc = SQLITE_OK;
  switch (value.index()) {
    case 0:
      rc = sqlite3_bind_null(stmt, index);
      break;
    case 1:
      rc = sqlite3_bind_int64(stmt, index, std::get<int64_t>(value));
      break;
    case 2:
      rc = sqlite3_bind_double(stmt, index, std::get<double>(value));
      break;
    case 3: {
      const std::string& text = std::get<std::string>(value);
      rc =
          sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      break;
    }
    case 4: {
      const std::string& bytes = std::get<Blob>(value).bytes;
      rc = sqlite3_bind_blob64(stmt, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
      break;
    }
  }
  if (rc != SQLITE_OK) {
    return Status::Aborted("parameter " + std::to_string(index) + ": " + sqlite3_errstr(rc));
  }
  return Status::Ok();
}

// The column's value; nullopt when SQLite ran out of memory producing it.
std::optional<SqlValue> ColumnValue(sqlite3_stmt* stmt, int column) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER:
      return SqlValue(static_cast<int64_t>(sqlite3_column_int64(stmt, column)));
    case SQLITE_FLOAT:
      return SqlValue(sqlite3_column_double(stmt, column));
    case SQLITE_TEXT: {
      const unsigned char* text = sqlite3_column_text(stmt, column);
      const int n = sqlite3_column_bytes(stmt, column);
      if (text == nullptr) return std::nullopt;
      return SqlValue(std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(n)));
    }
    case SQLITE_BLOB: {
      const void* data = sqlite3_column_blob(stmt, column);
      const int n = sqlite3_column_bytes(stmt, column);
      if (data == nullptr && n > 0) return std::nullopt;
      return SqlValue(Blob{n > 0
                               ? std::string(static_cast<const char*>(data), static_cast<size_t>(n))
                               : std::string()});
    }
    default:
      return SqlValue(std::monostate{});
  }
}

// Compiles one statement of `sql` starting at *tail; null stmt when only
// whitespace/comments remain.
Status Compile(sqlite3* db, const char** tail, const char* end, const AuthorizerState& auth,
               StmtPtr* out) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db, *tail, static_cast<int>(end - *tail), &stmt, tail);
  out->reset(stmt);
  if (rc != SQLITE_OK) {
    // A refusal by the authorizer reads better than SQLite's "not authorized".
    return Status::Aborted(auth.denial.empty() ? ErrorOf(db) : auth.denial);
  }
  return Status::Ok();
}

Status BindAll(sqlite3_stmt* stmt, const std::vector<SqlValue>& params) {
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (expected != static_cast<int>(params.size())) {
    return Status::Aborted("expects " + std::to_string(expected) + " parameter(s), got " +
                           std::to_string(params.size()));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    TWOPC_RETURN_IF_ERROR(BindValue(stmt, static_cast<int>(i + 1), params[i]));
  }
  return Status::Ok();
}

// Calls on_row for every row; returns SQLite's message on failure.
template <typename OnRow>
Status StepAll(sqlite3* db, sqlite3_stmt* stmt, OnRow on_row) {
  while (true) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return Status::Ok();
    if (rc == SQLITE_ROW) {
      on_row();
      continue;
    }
    if (rc == SQLITE_BUSY) return Status::Busy(ErrorOf(db));
    return Status::Aborted(ErrorOf(db));
  }
}

// SQLite calls the progress handler every this many virtual machine
// instructions: often enough to stop within microseconds, rarely enough to cost
// nothing measurable (one clock read).
constexpr int kProgressOps = 1000;

// Interrupts the SQL running on `db` once `budget` expires, while it lives.
class Interrupter {
 public:
  Interrupter(sqlite3* db, const StatementBudget* budget) : db_(db), budget_(budget) {
    if (budget_ != nullptr) sqlite3_progress_handler(db_, kProgressOps, &Interrupter::Check, this);
  }
  ~Interrupter() {
    if (budget_ != nullptr) sqlite3_progress_handler(db_, 0, nullptr, nullptr);
  }
  Interrupter(const Interrupter&) = delete;
  Interrupter& operator=(const Interrupter&) = delete;

  // True once it interrupted SQLite: the failure that follows is the budget's.
  bool fired() const { return fired_; }

 private:
  static int Check(void* self) {
    auto* interrupter = static_cast<Interrupter*>(self);
    if (!interrupter->budget_->Expired(StatementBudget::Clock::now())) return 0;
    interrupter->fired_ = true;
    return 1;
  }

  sqlite3* const db_;
  const StatementBudget* const budget_;
  bool fired_ = false;
};

// What a value and a row cost in a Thrift reply besides their payload
// (field headers, kind, length): an estimate on the high side.
constexpr size_t kWireBytesPerValue = 16;
constexpr size_t kWireBytesPerRow = 8;

// Roughly how many bytes column `c` of the current row takes in a reply.
size_t ValueBytes(sqlite3_stmt* stmt, int c) {
  const int type = sqlite3_column_type(stmt, c);
  if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
    return static_cast<size_t>(sqlite3_column_bytes(stmt, c));
  }
  return 8;
}

// What reading rows may cost, in bytes: besides each value's payload, this
// much per value (column names included) and per row, up to `max` in total
// counted in *used (which may already hold earlier reads).
struct RowCost {
  size_t per_value;
  size_t per_row;
  size_t max;
  size_t* used;
};

// Steps `stmt` to its end, its columns and rows into *out. A value is counted
// before it is copied, so a wide row stops at the limit. LimitExceeded (no
// message: the caller names its limit) past cost.max; Aborted "out of
// memory"; Busy; or Aborted with SQLite's message.
// on_row, when given, sees each row before it is kept.
Status ReadAllRows(sqlite3* db, sqlite3_stmt* stmt, const RowCost& cost, QueryRows* out,
                   const std::function<Status()>& on_row = nullptr) {
  const int columns = sqlite3_column_count(stmt);
  for (int c = 0; c < columns; ++c) {
    const char* name = sqlite3_column_name(stmt, c);
    if (name == nullptr) return Status::Aborted("out of memory");
    out->columns.push_back(name);
    *cost.used += out->columns.back().size() + cost.per_value;
  }
  if (*cost.used > cost.max) return Status::LimitExceeded("");
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<SqlValue> row;
    row.reserve(static_cast<size_t>(columns));
    *cost.used += cost.per_row;
    if (on_row) TWOPC_RETURN_IF_ERROR(on_row());
    for (int c = 0; c < columns; ++c) {
      *cost.used += ValueBytes(stmt, c) + cost.per_value;
      if (*cost.used > cost.max) return Status::LimitExceeded("");
      std::optional<SqlValue> value = ColumnValue(stmt, c);
      if (!value) return Status::Aborted("out of memory");
      row.push_back(std::move(*value));
    }
    out->rows.push_back(std::move(row));
  }
  if (rc == SQLITE_DONE) return Status::Ok();
  if ((rc & 0xff) == SQLITE_BUSY) return Status::Busy(ErrorOf(db));
  return Status::Aborted(ErrorOf(db));
}

Status OpenConnection(const std::string& path, int flags, int busy_timeout_ms, sqlite3** db) {
  const int rc = sqlite3_open_v2(path.c_str(), db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = *db ? ErrorOf(*db) : sqlite3_errstr(rc);
    sqlite3_close(*db);
    *db = nullptr;
    return Status::IoError("open database " + path + ": " + message);
  }
  sqlite3_busy_timeout(*db, busy_timeout_ms);
  sqlite3_extended_result_codes(*db, 1);
  return Status::Ok();
}

}  // namespace

// Client SQL texts kept compiled; a branch is usually one of a few shapes.
constexpr size_t kClientStatements = 128;
constexpr size_t kInternalStatements = 32;

SqliteStore::SqliteStore(std::string path, sqlite3* writer, sqlite3* reader,
                         const OpenOptions& options)
    : path_(std::move(path)),
      capture_(options.capture),
      client_limits_(options.limits),
      max_branch_read_bytes_(options.max_branch_read_bytes),
      clock_(options.clock),
      writer_(writer),
      writer_authorizer_(std::make_unique<ConnectionAuthorizer>(writer)),
      internal_statements_(std::make_unique<StatementCache>(writer, kInternalStatements)),
      client_statements_(std::make_unique<StatementCache>(writer, kClientStatements)),
      applier_(std::make_unique<ChangesetApplier>(writer)),
      reader_(reader) {}

SqliteStore::~SqliteStore() {
  // A connection with unfinalized statements does not close.
  applier_.reset();
  client_statements_.reset();
  internal_statements_.reset();
  writer_authorizer_.reset();
  reader_authorizer_.reset();
  sqlite3_close(reader_);
  sqlite3_close(writer_);
}

Status SqliteStore::Open(const OpenOptions& options, std::unique_ptr<SqliteStore>* out) {
  struct stat st;
  if (!options.create_if_missing && ::stat(options.path.c_str(), &st) != 0) {
    return Status::NotFound("database " + options.path +
                            " does not exist (pass --create_db to create an empty one)");
  }
  sqlite3* writer = nullptr;
  TWOPC_RETURN_IF_ERROR(OpenConnection(options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                       options.busy_timeout_ms, &writer));
  std::unique_ptr<SqliteStore> store(new SqliteStore(options.path, writer, nullptr, options));
  // WAL journal: readers never block the writer. synchronous=NORMAL: a
  // commit does not wait for the disk; what must be durable at once is synced
  // explicitly (SyncDatabaseLog), the rest is covered by the agent's own log.
  // Set once: changing it later would expire every cached statement.
  Status status = store->Exec(writer, "PRAGMA journal_mode=WAL");
  if (status.ok()) status = store->Exec(writer, "PRAGMA synchronous=NORMAL");
  if (status.ok()) {
    status = store->Exec(writer,
                         "CREATE TABLE IF NOT EXISTS _twopc_applied("
                         "txid INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  }
  if (status.ok()) status = HardenConnection(writer, options.trust_schema);
  if (status.ok()) status = LoadSchema(writer);
  if (!status.ok()) {
    return Status::IoError("database " + options.path + ": " + status.message());
  }
  TWOPC_RETURN_IF_ERROR(
      OpenConnection(options.path, SQLITE_OPEN_READONLY, options.busy_timeout_ms, &store->reader_));
  Status hardened = HardenConnection(store->reader_, options.trust_schema);
  if (hardened.ok()) hardened = LoadSchema(store->reader_);
  if (!hardened.ok()) {
    return Status::IoError("database " + options.path + ": " + hardened.message());
  }
  store->reader_authorizer_ = std::make_unique<ConnectionAuthorizer>(store->reader_);
  *out = std::move(store);
  return Status::Ok();
}

Status SqliteStore::ExecCached(const char* sql) {
  sqlite3_stmt* stmt = internal_statements_->Get(sql);
  if (stmt == nullptr) return Status::IoError(ErrorOf(writer_));
  StatementLease lease(stmt);
  Status status = StepAll(writer_, stmt, [] {});
  if (!status.ok()) return Status::IoError(status.message());
  return Status::Ok();
}

Status SqliteStore::Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : ErrorOf(db);
    sqlite3_free(error);
    return Status::IoError(message);
  }
  return Status::Ok();
}

StatusOr<std::string> SqliteStore::WhyNotCapturable(const std::string& table, bool by_session) {
  const std::string cache_key = table + (by_session ? "\1session" : "\1hook");
  auto cached = capture_cache_.find(cache_key);
  if (cached != capture_cache_.end()) return cached->second;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(writer_,
                         "SELECT upper(type), \"notnull\" FROM pragma_table_info(?) WHERE pk > 0",
                         -1, &raw, nullptr) != SQLITE_OK) {
    return Status::IoError(ErrorOf(writer_));
  }
  StmtPtr stmt(raw);
  sqlite3_bind_text(raw, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<std::pair<std::string, bool>> key_columns;  // type, NOT NULL
  TWOPC_RETURN_IF_ERROR(StepAll(writer_, raw, [&] {
    const unsigned char* type = sqlite3_column_text(raw, 0);
    key_columns.emplace_back(type ? reinterpret_cast<const char*>(type) : "",
                             sqlite3_column_int(raw, 1) != 0);
  }));
  std::string why;
  if (key_columns.empty()) {
    why = "table '" + table +
          "' has no PRIMARY KEY: its changes cannot be captured for a crash-safe commit";
  } else if (by_session && !(key_columns.size() == 1 && key_columns[0].first == "INTEGER")) {
    // Outside INTEGER PRIMARY KEY and WITHOUT ROWID tables, SQLite lets a key
    // column hold NULL, and the session extension skips such rows silently.
    // (The pre-update hook capture refuses only a row whose key is NULL.)
    sqlite3_stmt* raw_sql = nullptr;
    if (sqlite3_prepare_v2(writer_, "SELECT sql FROM sqlite_schema WHERE name = ?", -1, &raw_sql,
                           nullptr) != SQLITE_OK) {
      return Status::IoError(ErrorOf(writer_));
    }
    StmtPtr sql_stmt(raw_sql);
    sqlite3_bind_text(raw_sql, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    std::string sql;
    TWOPC_RETURN_IF_ERROR(StepAll(writer_, raw_sql, [&] {
      const unsigned char* text = sqlite3_column_text(raw_sql, 0);
      if (text) sql = reinterpret_cast<const char*>(text);
    }));
    for (char& c : sql) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    const bool without_rowid = sql.find("WITHOUT ROWID") != std::string::npos;
    for (const auto& [type, not_null] : key_columns) {
      if (!not_null && !without_rowid) {
        why = "table '" + table +
              "' has a PRIMARY KEY column that allows NULL: rows with a NULL key cannot be "
              "captured for a crash-safe commit (declare the key columns NOT NULL)";
      }
    }
  }
  capture_cache_[cache_key] = why;
  return why;
}

Status SqliteStore::RunStatements(const std::vector<SqlStatement>& statements, BranchRun* run,
                                  bool by_session) {
  AuthorizerState auth;
  {
    ConnectionAuthorizer::Active authorizer(writer_authorizer_.get(), &auth);
    TWOPC_RETURN_IF_ERROR(RunAuthorized(statements, &auth, run));
  }
  // Checked after the authorizer is gone: reading the schema is not client SQL.
  for (const std::string& table : auth.tables_written) {
    StatusOr<std::string> why = WhyNotCapturable(table, by_session);
    if (!why.ok()) return why.status();
    if (!why->empty()) return Status::Aborted(*why);
  }
  return Status::Ok();
}

Status SqliteStore::RunAuthorized(const std::vector<SqlStatement>& statements,
                                  AuthorizerState* auth, BranchRun* run) {
  size_t read_bytes = 0;
  for (size_t i = 0; i < statements.size(); ++i) {
    const SqlStatement& statement = statements[i];
    const std::string which = "statement " + std::to_string(i + 1) + ": ";
    // A branch that waited for the writer past its budget does not start.
    if (branch_budget_ != nullptr && branch_budget_->Expired(StatementBudget::Clock::now())) {
      return Status::Aborted(which + branch_budget_->Reason());
    }
    run->reads.emplace_back();
    ClientSqlCounts counts;
    counts.reads = &run->reads.back();
    counts.read_bytes = &read_bytes;
    counts.read_locks = &run->read_locks;
    Status status;
    {
      ClientLimits limits(writer_, client_limits_);
      Interrupter interrupter(writer_, branch_budget_);
      status = RunClientSql(statement, auth, &counts);
      if (!status.ok() && interrupter.fired()) {
        return Status::Aborted(which + branch_budget_->Reason());
      }
    }
    if (!status.ok()) {
      if (status.IsBusy()) return status;
      return Status::Aborted(which + status.message());
    }
    // An expectation counts the rows a write changed, or those a read returned.
    const int64_t actual = counts.wrote ? counts.changed : counts.returned;
    if (statement.expect_changes && *statement.expect_changes != actual) {
      return Status::Aborted(which + (counts.wrote ? "changed " : "returned ") +
                             std::to_string(actual) + " row(s), expected " +
                             std::to_string(*statement.expect_changes));
    }
    run->changes.push_back(counts.changed);
  }
  return Status::Ok();
}

Status SqliteStore::ReadRows(sqlite3_stmt* stmt, ClientSqlCounts* counts) {
  // A SQL string of several statements returns what its last read returned.
  QueryRows& reads = *counts->reads;
  reads = QueryRows();
  std::function<Status()> lock_row;
  if (counts->lock) {
    StatusOr<const RowKeyColumns*> key = KeyColumnsFor(stmt);
    if (!key.ok()) return key.status();
    lock_row = [stmt, key = *key, counts]() -> Status {
      StatusOr<std::string> row = RowKeyOf(stmt, *key);
      if (!row.ok()) return row.status();
      counts->read_locks->push_back(RowLock{std::move(*row), *counts->lock});
      return Status::Ok();
    };
  }
  Status status = ReadAllRows(
      writer_, stmt,
      RowCost{kWireBytesPerValue, kWireBytesPerRow, max_branch_read_bytes_, counts->read_bytes},
      &reads, lock_row);
  counts->returned = static_cast<int64_t>(reads.rows.size());
  if (status.IsLimitExceeded()) {
    return Status::Aborted("the rows read take more than " +
                           std::to_string(max_branch_read_bytes_) +
                           " bytes (--max_branch_read_bytes): read them with query instead");
  }
  return status;
}

StatusOr<const RowKeyColumns*> SqliteStore::KeyColumnsFor(sqlite3_stmt* stmt) {
  const char* text = sqlite3_sql(stmt);
  if (text == nullptr) return Status::Aborted("out of memory");
  auto cached = locking_reads_.find(text);
  if (cached != locking_reads_.end()) return &cached->second;
  // Bounded: a client that inlines its literals makes a new text every time.
  if (locking_reads_.size() >= kClientStatements) locking_reads_.clear();
  // Reads the plan and the schema: the agent's SQL, not the client's.
  ConnectionAuthorizer::Suspended unchecked(writer_authorizer_.get());
  StatusOr<RowKeyColumns> key = FindRowKeyColumns(writer_, stmt);
  if (!key.ok()) return key.status();
  return &(locking_reads_[text] = std::move(*key));
}

Status SqliteStore::RunClientSql(const SqlStatement& client_statement, AuthorizerState* auth,
                                 ClientSqlCounts* counts) {
  // SQLite does not know FOR UPDATE / FOR SHARE: taken off, and done here.
  const LockingSuffix locking = SplitLockingSuffix(client_statement.sql);
  counts->lock = locking.lock;
  std::optional<SqlStatement> stripped;
  if (locking.lock) {
    stripped = SqlStatement{client_statement.sql.substr(0, locking.length), client_statement.params,
                            std::nullopt};
  }
  const SqlStatement& statement = stripped ? *stripped : client_statement;
  auto run = [&](sqlite3_stmt* stmt) {
    const bool writes = !sqlite3_stmt_readonly(stmt);
    if (counts->lock && writes) {
      return Status::Aborted("FOR UPDATE/FOR SHARE follows a SELECT, not a write");
    }
    Status status = BindAll(stmt, statement.params);
    if (status.ok() && !writes) status = ReadRows(stmt, counts);
    if (status.ok() && writes) status = StepAll(writer_, stmt, [] {});
    if (status.ok() && writes) {
      counts->changed += sqlite3_changes(writer_);
      counts->wrote = true;
    }
    return status;
  };
  if (const StatementCache::Entry* cached = client_statements_->Find(statement.sql)) {
    auth->tables_written.insert(cached->tables_written.begin(), cached->tables_written.end());
    StatementLease lease(cached->stmt);
    return run(cached->stmt);
  }
  const char* tail = statement.sql.c_str();
  const char* end = tail + statement.sql.size();
  StmtPtr first;
  std::set<std::string> first_tables;  // what the authorizer saw the first statement write
  int compiled = 0;
  while (tail < end) {
    std::set<std::string> earlier;
    earlier.swap(auth->tables_written);
    StmtPtr stmt;
    Status status = Compile(writer_, &tail, end, *auth, &stmt);
    std::set<std::string> mine = auth->tables_written;
    auth->tables_written.insert(earlier.begin(), earlier.end());
    if (!status.ok()) return status;
    if (!stmt) break;  // trailing whitespace or comment
    if (++compiled > 1 && !statement.params.empty()) {
      return Status::Aborted("parameters need a single SQL statement");
    }
    if (compiled > 1 && counts->lock) {
      return Status::Aborted("FOR UPDATE/FOR SHARE needs a single SELECT statement");
    }
    TWOPC_RETURN_IF_ERROR(run(stmt.get()));
    if (compiled == 1) {
      first = std::move(stmt);
      first_tables = std::move(mine);
    }
  }
  if (compiled == 0) return Status::Aborted("empty SQL");
  if (compiled == 1) {
    // A single statement: kept compiled for the next branch with this text.
    sqlite3_reset(first.get());
    sqlite3_clear_bindings(first.get());
    client_statements_->Insert(statement.sql,
                               StatementCache::Entry{first.release(), std::move(first_tables)});
  }
  return Status::Ok();
}

Status SqliteStore::CheckSchemaVersion() {
  sqlite3_stmt* stmt = internal_statements_->Get("PRAGMA schema_version");
  if (stmt == nullptr) return Status::IoError(ErrorOf(writer_));
  StatementLease lease(stmt);
  int64_t version = -1;
  TWOPC_RETURN_IF_ERROR(StepAll(writer_, stmt, [&] { version = sqlite3_column_int64(stmt, 0); }));
  if (version != schema_version_) {
    capture_cache_.clear();
    shapes_.clear();
    locking_reads_.clear();
    schema_version_ = version;
  }
  return Status::Ok();
}

const CaptureShape* SqliteStore::ShapeOf(const std::string& table) {
  auto cached = shapes_.find(table);
  if (cached != shapes_.end()) return cached->second.get();
  std::unique_ptr<CaptureShape> shape = std::make_unique<CaptureShape>();
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(writer_, "SELECT pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid", -1,
                         &raw, nullptr) != SQLITE_OK) {
    return nullptr;  // not cached: asked again next time
  }
  StmtPtr stmt(raw);
  sqlite3_bind_text(raw, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  bool plain = true;  // no hidden or generated columns
  bool keyed = false;
  Status status = StepAll(writer_, raw, [&] {
    const int64_t pk = sqlite3_column_int64(raw, 0);
    plain = plain && sqlite3_column_int64(raw, 1) == 0 && pk >= 0 && pk <= 255;
    keyed = keyed || pk > 0;
    shape->primary_key.push_back(static_cast<uint8_t>(pk));
  });
  if (!status.ok()) return nullptr;
  if (!plain || !keyed) shape.reset();
  return (shapes_[table] = std::move(shape)).get();
}

Status SqliteStore::CaptureWithHook(const std::vector<SqlStatement>& statements, BranchRun* run,
                                    bool* unsupported) {
  ChangesetBuilder builder;
  bool complete = false;
  {
    PreupdateCapture capture(writer_, &builder);
    TWOPC_RETURN_IF_ERROR(RunStatements(statements, run, /*by_session=*/false));
    complete = capture.complete();
  }
  StatusOr<std::string> changeset =
      !complete ? Status::NotSupported("a changed value the hook could not read")
                : builder.Build([this](const std::string& table) { return ShapeOf(table); });
  if (changeset.status().IsNotSupported()) {
    *unsupported = true;
    return Status::Ok();
  }
  if (!changeset.ok()) return changeset.status();
  run->changeset = std::move(*changeset);
  return Status::Ok();
}

Status SqliteStore::CaptureWithSession(const std::vector<SqlStatement>& statements,
                                       BranchRun* run) {
  sqlite3_session* raw_session = nullptr;
  if (sqlite3session_create(writer_, "main", &raw_session) != SQLITE_OK) {
    return Status::IoError("session: " + ErrorOf(writer_));
  }
  std::unique_ptr<sqlite3_session, SessionCloser> session(raw_session);
  sqlite3session_attach(raw_session, nullptr);  // every table
  TWOPC_RETURN_IF_ERROR(RunStatements(statements, run, /*by_session=*/true));
  int size = 0;
  void* data = nullptr;
  if (const int rc = sqlite3session_changeset(raw_session, &size, &data); rc != SQLITE_OK) {
    return Status::IoError(std::string("capturing the changes: ") + sqlite3_errstr(rc));
  }
  run->changeset.assign(static_cast<const char*>(data), static_cast<size_t>(size));
  sqlite3_free(data);
  return Status::Ok();
}

Status SqliteStore::RunBranch(int64_t txid, const std::vector<SqlStatement>& statements,
                              const Decide& decide, BranchRun* run, const StatementBudget* budget) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  struct BudgetScope {
    const StatementBudget** slot;
    ~BudgetScope() { *slot = nullptr; }
  } budget_scope{&branch_budget_};
  branch_budget_ = budget;
  *run = BranchRun();
  Status status = ExecCached("BEGIN IMMEDIATE");
  if (!status.ok()) return Status::Busy("begin: " + status.message());
  status = CheckSchemaVersion();
  bool use_session = capture_ == OpenOptions::Capture::kSession;
  if (status.ok() && !use_session) {
    status = CaptureWithHook(statements, run, &use_session);
    if (status.ok() && use_session) {
      // Run again from the start under a session.
      status = ExecCached("ROLLBACK");
      if (status.ok()) status = ExecCached("BEGIN IMMEDIATE");
      if (!status.ok()) return Status::Busy("begin: " + status.message());
      *run = BranchRun();
    }
  }
  if (status.ok() && use_session) status = CaptureWithSession(statements, run);

  Finish finish = Finish::kRollback;
  if (status.ok()) {
    StatusOr<Finish> decided = decide(*run);
    if (decided.ok()) {
      finish = *decided;
    } else {
      status = decided.status();
    }
  }
  if (status.ok() && finish == Finish::kCommit) {
    // A one-phase commit has no record in the agent's log: it is made
    // durable here, before the vote leaves.
    status = RecordApplied(txid);
    if (status.ok()) status = ExecCached("COMMIT");
    if (status.ok()) {
      if (Status synced = SyncDatabaseLog(); !synced.ok()) {
        // Committed, but maybe not durable: neither vote may be given.
        LOG(FATAL) << "one-phase commit of txid " << txid
                   << " cannot be made durable: " << synced.ToString();
      }
      return Status::Ok();
    }
  }
  RollbackBranch(txid);
  return status;
}

void SqliteStore::RollbackBranch(int64_t txid) {
  if (sqlite3_get_autocommit(writer_)) return;  // SQLite rolled it back itself
  Status rollback = ExecCached("ROLLBACK");
  if (!rollback.ok())
    LOG(ERROR) << "rollback of txid " << txid << " failed: " << rollback.message();
}

Status SqliteStore::RecordApplied(int64_t txid) {
  sqlite3_stmt* raw = internal_statements_->Get(
      "INSERT OR IGNORE INTO _twopc_applied(txid, applied_at) VALUES(?, ?)");
  if (raw == nullptr) return Status::IoError(ErrorOf(writer_));
  StatementLease lease(raw);
  sqlite3_bind_int64(raw, 1, txid);
  sqlite3_bind_int64(raw, 2, clock_->WallMillis() / 1000);
  Status status = StepAll(writer_, raw, [] {});
  if (!status.ok()) return Status::IoError("bookkeeping row: " + status.message());
  return Status::Ok();
}

namespace {

// The decision is final, so a committed change must land. With the lock table
// no other writer can touch these rows between prepare and commit, so a
// conflict means someone wrote the database behind the agent's back.
int OnApplyConflict(void* ctx, int conflict, sqlite3_changeset_iter* /*iter*/) {
  const int64_t txid = *static_cast<const int64_t*>(ctx);
  switch (conflict) {
    case SQLITE_CHANGESET_DATA:
    case SQLITE_CHANGESET_CONFLICT:
      LOG(WARNING) << "txid " << txid << ": row changed outside twopc; the committed value wins";
      return SQLITE_CHANGESET_REPLACE;
    case SQLITE_CHANGESET_NOTFOUND:
      LOG(WARNING) << "txid " << txid << ": row deleted outside twopc; change skipped";
      return SQLITE_CHANGESET_OMIT;
    default:
      LOG(ERROR) << "txid " << txid << ": committed change violates a constraint";
      return SQLITE_CHANGESET_ABORT;
  }
}

}  // namespace

Status SqliteStore::ApplyCommitted(const std::vector<Committed>& batch) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  // synchronous=NORMAL: this commit does not wait for the disk. The agent's
  // synced COMMITTED record makes it durable (and is replayed if the database
  // lost it); MakeDurable() syncs the database before that record is dropped.
  Status status = ExecCached("BEGIN IMMEDIATE");
  if (!status.ok()) return status;
  for (const Committed& item : batch) {
    sqlite3_stmt* raw = internal_statements_->Get("SELECT 1 FROM _twopc_applied WHERE txid = ?");
    if (raw == nullptr) {
      status = Status::IoError(ErrorOf(writer_));
      break;
    }
    bool applied = false;
    {
      StatementLease check(raw);
      sqlite3_bind_int64(raw, 1, item.txid);
      status = StepAll(writer_, raw, [&] { applied = true; });
    }
    if (!status.ok() || applied) {
      if (!status.ok()) break;
      continue;
    }
    int64_t txid = item.txid;
    // SQLite may never return on a malformed changeset (see changeset_format.h).
    status = ValidateChangeset(*item.changeset);
    if (!status.ok()) {
      status = Status::Corruption("apply txid " + std::to_string(txid) + ": " + status.message());
      break;
    }
    status = ApplyOne(txid, *item.changeset);
    if (!status.ok()) break;
    status = RecordApplied(txid);
    if (!status.ok()) break;
  }
  if (status.ok()) status = ExecCached("COMMIT");
  if (!status.ok()) {
    (void)ExecCached("ROLLBACK");
    return status;
  }
  return Status::Ok();
}

Status SqliteStore::ApplyOne(int64_t txid, const std::string& changeset) {
  if (changeset.empty()) return Status::Ok();  // a branch that only locked rows it read
  StatusOr<bool> fits = applier_->Fits(changeset);
  if (!fits.ok()) return fits.status();
  if (*fits) return applier_->Apply(txid, changeset);
  const int rc =
      sqlite3changeset_apply(writer_, static_cast<int>(changeset.size()),
                             const_cast<char*>(changeset.data()), nullptr, OnApplyConflict, &txid);
  if (rc != SQLITE_OK) {
    return Status::IoError("apply txid " + std::to_string(txid) + ": " + ErrorOf(writer_));
  }
  return Status::Ok();
}

Status SqliteStore::SyncDatabaseLog() {
  // What synchronous=FULL would do at COMMIT: sync SQLite's WAL file, which
  // now holds the committed frames.
  sqlite3_file* wal = nullptr;
  if (sqlite3_file_control(writer_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK) {
    return Status::IoError("database log: " + ErrorOf(writer_));
  }
  if (wal == nullptr || wal->pMethods == nullptr) {
    return Status::IoError("database log: SQLite has no WAL file open");
  }
  const int rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK)
    return Status::IoError(std::string("database log sync: ") + sqlite3_errstr(rc));
  return Status::Ok();
}

Status SqliteStore::MakeDurable() {
  std::lock_guard<std::mutex> lock(writer_mu_);
  int log_frames = 0;
  int checkpointed = 0;
  const int rc = sqlite3_wal_checkpoint_v2(writer_, "main", SQLITE_CHECKPOINT_FULL, &log_frames,
                                           &checkpointed);
  if (rc != SQLITE_OK) return Status::IoError("database checkpoint: " + ErrorOf(writer_));
  if (checkpointed < log_frames) {
    return Status::Busy("database checkpoint incomplete: a reader holds old pages");
  }
  return Status::Ok();
}

Status SqliteStore::PruneApplied(int64_t applied_before_unix_s) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(writer_, "DELETE FROM _twopc_applied WHERE applied_at < ?", -1, &raw,
                         nullptr) != SQLITE_OK) {
    return Status::IoError(ErrorOf(writer_));
  }
  StmtPtr stmt(raw);
  sqlite3_bind_int64(raw, 1, applied_before_unix_s);
  return StepAll(writer_, raw, [] {});
}

StatusOr<bool> SqliteStore::IsApplied(int64_t txid) {
  std::lock_guard<std::mutex> lock(reader_mu_);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(reader_, "SELECT 1 FROM _twopc_applied WHERE txid = ?", -1, &raw,
                         nullptr) != SQLITE_OK) {
    return Status::IoError(ErrorOf(reader_));
  }
  StmtPtr stmt(raw);
  sqlite3_bind_int64(raw, 1, txid);
  bool applied = false;
  TWOPC_RETURN_IF_ERROR(StepAll(reader_, raw, [&] { applied = true; }));
  return applied;
}

StatusOr<QueryRows> SqliteStore::Query(const std::string& sql, const std::vector<SqlValue>& params,
                                       const QueryBounds& bounds) {
  if (SplitLockingSuffix(sql).lock) {
    return Status::InvalidArgument(
        "FOR UPDATE/FOR SHARE hold rows until a transaction's decision: use them in a branch of "
        "a transaction, not in a query");
  }
  std::lock_guard<std::mutex> lock(reader_mu_);
  AuthorizerState auth;
  auth.mode = SqlMode::kQuery;
  ConnectionAuthorizer::Active authorizer(reader_authorizer_.get(), &auth);
  const char* tail = sql.c_str();
  const char* end = tail + sql.size();
  StmtPtr stmt;
  ClientLimits limits(reader_, client_limits_);
  Interrupter interrupter(reader_, bounds.budget);
  TWOPC_RETURN_IF_ERROR(Compile(reader_, &tail, end, auth, &stmt));
  if (!stmt) return Status::InvalidArgument("empty SQL");
  for (const char* p = tail; p < end; ++p) {
    if (!isspace(static_cast<unsigned char>(*p)) && *p != ';') {
      return Status::InvalidArgument("a query is a single SQL statement");
    }
  }
  Status status = BindAll(stmt.get(), params);
  if (!status.ok()) return Status::InvalidArgument(status.message());
  QueryRows result;
  size_t bytes = 0;
  status =
      ReadAllRows(reader_, stmt.get(), RowCost{0, 0, bounds.max_result_bytes, &bytes}, &result);
  if (status.IsLimitExceeded()) {
    return Status::LimitExceeded("the result holds more than " +
                                 std::to_string(bounds.max_result_bytes) +
                                 " bytes (--max_result_bytes): select fewer rows or columns");
  }
  if (!status.ok() && interrupter.fired()) {
    return Status::LimitExceeded(bounds.budget->Reason());
  }
  if (!status.ok()) return Status::InvalidArgument(status.message());
  return result;
}

}  // namespace twopc::participant
