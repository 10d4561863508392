// Client SQL within its bounds, on real SQLite files: a statement past its
// budget is interrupted with a reason and the store keeps serving; values,
// results and dangerous configuration are bounded by SQLite itself.
#include <gtest/gtest.h>
#include <sqlite3.h>

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

// True while another connection holds the database's write lock.
bool WriterHeld(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return false;
  const int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc == SQLITE_BUSY;
}

TEST_F(SqlBoundsTest, ACancelledBranchStopsWhileRunning) {
  StatementBudget budget(StatementBudget::Clock::now(), StatementBudget::Unlimited(), "unused");
  Status status;
  std::thread branch([&] { status = Run({Sql(kEndless)}, Finish::kRollback, &budget); });
  // Bounded wait for the branch to hold the writer (a deadline, not a timing).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool running = false;
  while (!(running = WriterHeld(path_)) && std::chrono::steady_clock::now() < give_up) {
  }
  budget.Cancel();
  branch.join();
  EXPECT_TRUE(running);
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
  ASSERT_TRUE(HardenConnection(db, SqlLimits()).ok());
  auto config = [db](int option) {
    int value = -1;
    EXPECT_EQ(sqlite3_db_config(db, option, -1, &value), SQLITE_OK);
    return value;
  };
  EXPECT_EQ(config(SQLITE_DBCONFIG_DEFENSIVE), 1);
  EXPECT_EQ(config(SQLITE_DBCONFIG_TRUSTED_SCHEMA), 0);
  EXPECT_EQ(config(SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER), 0);
  EXPECT_EQ(config(SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION), 0);
  EXPECT_EQ(sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, -1), 0);
  EXPECT_EQ(sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, -1), kMaxExprDepth);
  EXPECT_EQ(sqlite3_limit(db, SQLITE_LIMIT_COMPOUND_SELECT, -1), kMaxCompoundSelect);
  EXPECT_EQ(sqlite3_limit(db, SQLITE_LIMIT_FUNCTION_ARG, -1), kMaxFunctionArgs);
  EXPECT_EQ(sqlite3_limit(db, SQLITE_LIMIT_TRIGGER_DEPTH, -1), kMaxTriggerDepth);
  EXPECT_EQ(sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, -1), kMaxLikePatternBytes);
  EXPECT_EQ(sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1), SqlLimits().max_value_bytes);
  EXPECT_EQ(sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, -1), SqlLimits().max_sql_bytes);
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
