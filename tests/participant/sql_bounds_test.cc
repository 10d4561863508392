// Client SQL within its bounds, on real SQLite files: a statement past its
// budget is interrupted with a reason and the store keeps serving; values,
// results and dangerous configuration are bounded by SQLite itself.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "participant/sqlite_hardening.h"
#include "participant/sqlite_store.h"
#include "participant/statement_budget.h"
#include "tests/participant/test_util.h"

namespace twopc::participant {
namespace {

using std::chrono::milliseconds;
using Finish = SqliteStore::Finish;

constexpr char kEndless[] =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

SqlStatement Sql(const std::string& sql) { return SqlStatement{sql, {}, std::nullopt}; }

SqliteStore::Decide Always(Finish finish) {
  return [finish](const SqliteStore::BranchRun&) -> StatusOr<Finish> { return finish; };
}

class SqlBoundsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::ExecRaw(path_, test::kBankSchema);
    Open(SqlLimits());
  }

  void Open(const SqlLimits& limits) {
    store_.reset();
    SqliteStore::OpenOptions options;
    options.path = path_;
    options.limits = limits;
    Status status = SqliteStore::Open(options, &store_);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  Status Run(const std::vector<SqlStatement>& statements, Finish finish,
             const StatementBudget* budget) {
    static int64_t txid = 0;
    return store_->RunBranch(++txid, statements, Always(finish), &run_, budget);
  }

  // A plain branch and a plain query still work.
  void ExpectServing() {
    ASSERT_TRUE(Run({Sql("UPDATE accounts SET balance = balance + 1 WHERE id = 1")},
                    Finish::kCommit, nullptr)
                    .ok());
    EXPECT_EQ(test::Balance(store_.get(), 1), ++balance_1_);
  }

  test::TempDir dir_;
  const std::string path_ = dir_.Join("bank.db");
  std::unique_ptr<SqliteStore> store_;
  SqliteStore::BranchRun run_;
  int64_t balance_1_ = 100;
};

TEST_F(SqlBoundsTest, AnEndlessBranchIsInterruptedAtItsDeadlineWithTheStatementAndLimit) {
  StatementBudget budget(StatementBudget::Clock::now(), milliseconds(100), "--max_statement_ms");
  Status status = Run({Sql("UPDATE accounts SET balance = 0 WHERE id = 2"), Sql(kEndless)},
                      Finish::kCommit, &budget);
  ASSERT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_EQ(status.message(), "statement 2: interrupted after 100 ms (--max_statement_ms)");
  EXPECT_EQ(test::Balance(store_.get(), 2), 50);  // the first statement was rolled back
  ExpectServing();
}

TEST_F(SqlBoundsTest, AnInterruptedWriteLeavesNoTransactionOpen) {
  // SQLite rolls back the whole transaction when a write is interrupted; the
  // store must not trip over that.
  ASSERT_NO_FATAL_FAILURE(
      test::ExecRaw(path_,
                    "CREATE TABLE big(id INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300) "
                    "INSERT INTO big SELECT x, 0 FROM c;"));
  StatementBudget budget(StatementBudget::Clock::now(), milliseconds(100), "--max_statement_ms");
  Status status = Run({Sql("UPDATE big SET v = (SELECT count(*) FROM big a, big b, big c)")},
                      Finish::kCommit, &budget);
  ASSERT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_EQ(status.message(), "statement 1: interrupted after 100 ms (--max_statement_ms)");
  ExpectServing();
  ExpectServing();
}

// started(): a SQL function that notes it ran, registered on every connection.
std::atomic<int> g_started{0};
void Started(sqlite3_context* context, int, sqlite3_value**) {
  g_started.fetch_add(1);
  sqlite3_result_int(context, 1);
}
int RegisterStarted(sqlite3* db, char**, const sqlite3_api_routines*) {
  return sqlite3_create_function(db, "started", 0, SQLITE_UTF8, nullptr, &Started, nullptr,
                                 nullptr);
}

TEST_F(SqlBoundsTest, ACancelledBranchStopsWhileItsStatementRuns) {
  sqlite3_auto_extension(reinterpret_cast<void (*)()>(&RegisterStarted));
  ASSERT_NO_FATAL_FAILURE(Open(SqlLimits()));
  g_started = 0;
  StatementBudget budget(StatementBudget::Clock::now(), StatementBudget::Unlimited(), "unused");
  Status status;
  std::thread branch([&] {
    // started() runs once, inside the statement, before the endless part.
    status = Run({Sql("WITH RECURSIVE c(x) AS (SELECT started() UNION ALL SELECT x + 1 FROM c) "
                      "SELECT count(*) FROM c")},
                 Finish::kRollback, &budget);
  });
  // A bounded wait for the statement to be running (a deadline, not a timing).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (g_started.load() == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::yield();
  }
  EXPECT_EQ(g_started.load(), 1);
  budget.Cancel();
  branch.join();
  sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(&RegisterStarted));
  EXPECT_EQ(status.message(), "statement 1: interrupted: its transaction was aborted");
  ExpectServing();
}

TEST_F(SqlBoundsTest, ABranchWhoseBudgetExpiredBeforeItRanDoesNotStart) {
  StatementBudget budget(StatementBudget::Clock::now() - milliseconds(10), milliseconds(5),
                         "--max_statement_ms");
  Status status =
      Run({Sql("UPDATE accounts SET balance = 0 WHERE id = 3")}, Finish::kCommit, &budget);
  EXPECT_EQ(status.message(), "statement 1: interrupted after 5 ms (--max_statement_ms)");
  EXPECT_EQ(test::Balance(store_.get(), 3), 10);
}

TEST_F(SqlBoundsTest, AnEndlessQueryIsInterruptedAndTheNextQueryAnswers) {
  StatementBudget budget(StatementBudget::Clock::now(), milliseconds(100), "--max_query_ms");
  StatusOr<QueryRows> rows = store_->Query(kEndless, {}, {&budget});
  ASSERT_TRUE(rows.status().IsLimitExceeded()) << rows.status().ToString();
  EXPECT_EQ(rows.status().message(), "interrupted after 100 ms (--max_query_ms)");
  EXPECT_EQ(test::Balance(store_.get(), 2), 50);
}

TEST_F(SqlBoundsTest, AQueryResultPastItsByteLimitIsRefused) {
  QueryBounds bounds;
  bounds.max_result_bytes = 1000;
  StatusOr<QueryRows> rows = store_->Query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) "
      "SELECT x FROM c",
      {}, bounds);
  ASSERT_TRUE(rows.status().IsLimitExceeded()) << rows.status().ToString();
  EXPECT_EQ(rows.status().message(),
            "the result holds more than 1000 bytes (--max_result_bytes): select fewer rows or "
            "columns");
  StatusOr<QueryRows> small = store_->Query("SELECT id FROM accounts", {}, bounds);
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ(small->rows.size(), 3u);
}

TEST_F(SqlBoundsTest, AValueLongerThanTheLimitIsTooBigInBranchesAndQueries) {
  SqlLimits limits;
  limits.max_value_bytes = 1 << 20;
  ASSERT_NO_FATAL_FAILURE(Open(limits));
  for (const char* sql : {"SELECT length(zeroblob(1000000000))", "SELECT randomblob(900000000)",
                          "SELECT length(hex(zeroblob(600000)))"}) {
    Status status = Run({Sql(sql)}, Finish::kRollback, nullptr);
    EXPECT_EQ(status.message(), "statement 1: string or blob too big") << sql;
    StatusOr<QueryRows> rows = store_->Query(sql, {});
    EXPECT_EQ(rows.status().message(), "string or blob too big") << sql;
  }
  ASSERT_TRUE(Run({Sql("SELECT length(randomblob(1000))")}, Finish::kRollback, nullptr).ok());
  ExpectServing();
}

TEST_F(SqlBoundsTest, ConnectionsAreDefensiveAndDistrustTheSchema) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_TRUE(HardenConnection(db).ok());
  auto config = [db](int option) {
    int value = -1;
    EXPECT_EQ(sqlite3_db_config(db, option, -1, &value), SQLITE_OK);
    return value;
  };
  EXPECT_EQ(config(SQLITE_DBCONFIG_DEFENSIVE), 1);
  EXPECT_EQ(config(SQLITE_DBCONFIG_TRUSTED_SCHEMA), 0);
  EXPECT_EQ(config(SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER), 0);
  EXPECT_EQ(config(SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION), 0);
  sqlite3_close(db);
}

TEST_F(SqlBoundsTest, ClientLimitsHoldWhileClientSqlRunsAndAreRestoredAfter) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  auto limit = [db](int id) { return sqlite3_limit(db, id, -1); };
  const int default_length = limit(SQLITE_LIMIT_LENGTH);
  const int default_attached = limit(SQLITE_LIMIT_ATTACHED);
  SqlLimits limits;
  limits.max_value_bytes = 12345;
  limits.max_sql_bytes = 678;
  {
    ClientLimits client(db, limits);
    EXPECT_EQ(limit(SQLITE_LIMIT_LENGTH), 12345);
    EXPECT_EQ(limit(SQLITE_LIMIT_SQL_LENGTH), 678);
    EXPECT_EQ(limit(SQLITE_LIMIT_ATTACHED), 0);
    EXPECT_EQ(limit(SQLITE_LIMIT_EXPR_DEPTH), kMaxExprDepth);
    EXPECT_EQ(limit(SQLITE_LIMIT_COMPOUND_SELECT), kMaxCompoundSelect);
    EXPECT_EQ(limit(SQLITE_LIMIT_FUNCTION_ARG), kMaxFunctionArgs);
    EXPECT_EQ(limit(SQLITE_LIMIT_TRIGGER_DEPTH), kMaxTriggerDepth);
    EXPECT_EQ(limit(SQLITE_LIMIT_LIKE_PATTERN_LENGTH), kMaxLikePatternBytes);
  }
  EXPECT_EQ(limit(SQLITE_LIMIT_LENGTH), default_length);
  EXPECT_EQ(limit(SQLITE_LIMIT_ATTACHED), default_attached);
  EXPECT_GT(default_attached, 0);
  sqlite3_close(db);
}

TEST_F(SqlBoundsTest, ASchemaBeyondTheClientLimitsStillLoadsAndServes) {
  // A view whose max() takes 80 arguments (the client limit is 64): the
  // schema is read under SQLite's own limits, before any client SQL.
  std::string args = "id";
  for (int i = 1; i < 80; ++i) args += ", id";
  ASSERT_NO_FATAL_FAILURE(
      test::ExecRaw(path_, "CREATE VIEW wide AS SELECT id, max(" + args + ") AS m FROM accounts;"));
  ASSERT_NO_FATAL_FAILURE(Open(SqlLimits()));
  StatusOr<QueryRows> rows = store_->Query("SELECT sum(m) FROM wide", {});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(std::get<int64_t>(rows->rows[0][0]), 6);
  StatusOr<bool> applied = store_->IsApplied(1);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ASSERT_TRUE(Run({Sql("SELECT m FROM wide")}, Finish::kRollback, nullptr).ok());
  ExpectServing();
}

TEST_F(SqlBoundsTest, AViewUsingAFunctionSqliteDoesNotTrustNeedsTrustedSchema) {
  ASSERT_NO_FATAL_FAILURE(test::ExecRaw(
      path_, "CREATE VIEW docs AS SELECT json_object('id', id) AS doc FROM accounts;"));
  ASSERT_NO_FATAL_FAILURE(Open(SqlLimits()));
  StatusOr<QueryRows> rows = store_->Query("SELECT doc FROM docs WHERE doc LIKE '%1%'", {});
  EXPECT_EQ(rows.status().message(), "unsafe use of json_object()");

  SqliteStore::OpenOptions options;
  options.path = path_;
  options.trust_schema = true;
  store_.reset();
  ASSERT_TRUE(SqliteStore::Open(options, &store_).ok());
  rows = store_->Query("SELECT doc FROM docs WHERE doc LIKE '%1%'", {});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(std::get<std::string>(rows->rows[0][0]), "{\"id\":1}");
}

TEST_F(SqlBoundsTest, CommittedChangesApplyUnderTheAgentsLimitsNotTheClients) {
  // Prepared before a restart with a lower --max_sql_value_bytes: applying
  // the commit is the agent's own work and must not be refused (nor a value
  // dropped) by the client's limits.
  ASSERT_NO_FATAL_FAILURE(test::ExecRaw(path_,
                                        "CREATE TABLE notes(id INTEGER PRIMARY KEY, "
                                        "body TEXT NOT NULL);"));
  ASSERT_NO_FATAL_FAILURE(Open(SqlLimits()));
  ASSERT_TRUE(
      Run({Sql("INSERT INTO notes VALUES (1, hex(zeroblob(1500)))")}, Finish::kRollback, nullptr)
          .ok());
  const std::string changeset = run_.changeset;
  SqlLimits tight;
  tight.max_value_bytes = 1000;
  ASSERT_NO_FATAL_FAILURE(Open(tight));
  EXPECT_EQ(Run({Sql("SELECT hex(zeroblob(1500))")}, Finish::kRollback, nullptr).message(),
            "statement 1: string or blob too big");
  Status applied = store_->ApplyCommitted({{77, &changeset}});
  ASSERT_TRUE(applied.ok()) << applied.ToString();
  StatusOr<bool> recorded = store_->IsApplied(77);
  ASSERT_TRUE(recorded.ok() && *recorded);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT length(body) FROM notes WHERE id = 1", -1, &stmt, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 3000);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(SqlBoundsTest, DeepExpressionsAndLongCompoundsAreRefusedBySqlite) {
  std::string deep = "SELECT 1";
  for (int i = 0; i < kMaxExprDepth + 10; ++i) deep += " + 1";
  Status status = Run({Sql(deep)}, Finish::kRollback, nullptr);
  EXPECT_NE(status.message().find("Expression tree is too large"), std::string::npos)
      << status.ToString();
  std::string compound = "SELECT 1";
  for (int i = 0; i < kMaxCompoundSelect + 10; ++i) compound += " UNION ALL SELECT 1";
  status = Run({Sql(compound)}, Finish::kRollback, nullptr);
  EXPECT_NE(status.message().find("too many terms in compound SELECT"), std::string::npos)
      << status.ToString();
  ExpectServing();
}

TEST_F(SqlBoundsTest, TheHeapLimitTurnsAnAllocationBombIntoOutOfMemory) {
  SqlLimits limits;
  limits.max_value_bytes = 1000000000;
  ASSERT_NO_FATAL_FAILURE(Open(limits));
  SetSqliteHeapLimit(64 << 20);
  Status status = Run({Sql("SELECT length(randomblob(900000000))")}, Finish::kRollback, nullptr);
  StatusOr<QueryRows> rows = store_->Query("SELECT length(randomblob(900000000))", {});
  SetSqliteHeapLimit(0);
  EXPECT_EQ(status.message(), "statement 1: out of memory");
  EXPECT_EQ(rows.status().message(), "out of memory");
  ExpectServing();
}

}  // namespace
}  // namespace twopc::participant
