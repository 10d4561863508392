#include "participant/sqlite_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "participant/changeset_keys.h"
#include "tests/participant/test_util.h"

namespace twopc::participant {
namespace {

using test::Balance;
using test::Debit;
using Finish = SqliteStore::Finish;

SqliteStore::Decide Always(Finish finish) {
  return [finish](const SqliteStore::BranchRun&) -> StatusOr<Finish> { return finish; };
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::ExecRaw(path_, test::kBankSchema);
    store_ = test::OpenStore(path_);
    ASSERT_NE(store_, nullptr);
  }

  // Runs the statements and keeps nothing (the prepare half of a branch).
  Status RunRollback(int64_t txid, const std::vector<SqlStatement>& statements) {
    return store_->RunBranch(txid, statements, Always(Finish::kRollback), &run_);
  }

  bool Applied(int64_t txid) {
    StatusOr<bool> applied = store_->IsApplied(txid);
    EXPECT_TRUE(applied.ok()) << applied.status().ToString();
    return applied.ok() && *applied;
  }

  test::TempDir dir_;
  const std::string path_ = dir_.Join("bank.db");
  std::unique_ptr<SqliteStore> store_;
  SqliteStore::BranchRun run_;
};

TEST_F(SqliteStoreTest, RollbackLeavesDatabaseUnchangedButCapturesChanges) {
  ASSERT_TRUE(RunRollback(1, {Debit(1, 30), Debit(2, -30)}).ok());
  EXPECT_FALSE(run_.changeset.empty());
  EXPECT_EQ(run_.changes, (std::vector<int64_t>{1, 1}));
  StatusOr<size_t> size = ChangesetSize(run_.changeset);
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  EXPECT_EQ(*size, 2u);
  EXPECT_EQ(Balance(store_.get(), 1), 100);
  EXPECT_EQ(Balance(store_.get(), 2), 50);
  EXPECT_FALSE(Applied(1));
}

TEST_F(SqliteStoreTest, ChangesCountsEveryRowOfEachStatement) {
  ASSERT_TRUE(RunRollback(1, {{"UPDATE accounts SET balance = balance + 1", {}, std::nullopt},
                              {"DELETE FROM accounts WHERE id = 3", {}, std::nullopt},
                              {"SELECT * FROM accounts", {}, std::nullopt}})
                  .ok());
  EXPECT_EQ(run_.changes, (std::vector<int64_t>{3, 1, 0}));
}

TEST_F(SqliteStoreTest, ReadOnlyBranchHasEmptyChangeset) {
  ASSERT_TRUE(RunRollback(1, {{"SELECT balance FROM accounts", {}, std::nullopt},
                              {"UPDATE accounts SET balance = 0 WHERE id = 99", {}, std::nullopt}})
                  .ok());
  EXPECT_TRUE(run_.changeset.empty());
  EXPECT_EQ(run_.changes, (std::vector<int64_t>{0, 0}));
}

TEST_F(SqliteStoreTest, ApplyCommittedAppliesChangesetAndRecordsTxid) {
  ASSERT_TRUE(RunRollback(7, {Debit(1, 30), Debit(2, -30)}).ok());
  ASSERT_TRUE(store_->ApplyCommitted({{7, &run_.changeset}}).ok());
  EXPECT_EQ(Balance(store_.get(), 1), 70);
  EXPECT_EQ(Balance(store_.get(), 2), 80);
  EXPECT_TRUE(Applied(7));
}

TEST_F(SqliteStoreTest, RepeatedApplyOfSameTxidIsANoOp) {
  ASSERT_TRUE(RunRollback(7, {Debit(1, 30)}).ok());
  const std::string first = run_.changeset;
  ASSERT_TRUE(store_->ApplyCommitted({{7, &first}}).ok());
  // A later transaction moves the row on; replaying txid 7 must not undo it.
  ASSERT_TRUE(RunRollback(8, {Debit(1, 10)}).ok());
  ASSERT_TRUE(store_->ApplyCommitted({{8, &run_.changeset}}).ok());
  ASSERT_EQ(Balance(store_.get(), 1), 60);
  EXPECT_TRUE(store_->ApplyCommitted({{7, &first}}).ok());
  EXPECT_EQ(Balance(store_.get(), 1), 60);
}

TEST_F(SqliteStoreTest, ApplyCommittedAppliesABatchInOneCall) {
  ASSERT_TRUE(RunRollback(1, {Debit(1, 30)}).ok());
  const std::string one = run_.changeset;
  ASSERT_TRUE(RunRollback(2, {Debit(2, 20)}).ok());
  const std::string two = run_.changeset;
  ASSERT_TRUE(store_->ApplyCommitted({{1, &one}, {2, &two}}).ok());
  EXPECT_EQ(Balance(store_.get(), 1), 70);
  EXPECT_EQ(Balance(store_.get(), 2), 30);
  EXPECT_TRUE(Applied(1));
  EXPECT_TRUE(Applied(2));
}

TEST_F(SqliteStoreTest, GarbageChangesetFailsToApplyAndRecordsNothing) {
  const std::string garbage = "this is not a changeset";
  Status status = store_->ApplyCommitted({{9, &garbage}});
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(Applied(9));
}

TEST_F(SqliteStoreTest, OnePhaseCommitCommitsAndRecordsTxid) {
  ASSERT_TRUE(store_->RunBranch(5, {Debit(1, 30)}, Always(Finish::kCommit), &run_).ok());
  EXPECT_FALSE(run_.changeset.empty());
  EXPECT_EQ(Balance(store_.get(), 1), 70);
  EXPECT_TRUE(Applied(5));
}

TEST_F(SqliteStoreTest, ACommittedChangeAppliesAfterTheTableGainedAColumn) {
  ASSERT_TRUE(RunRollback(7, {Debit(1, 30)}).ok());
  // Changed with the agent's transaction in doubt: the changeset no longer
  // matches the table's shape (SQLite's own apply handles that case).
  test::ExecRaw(path_, "ALTER TABLE accounts ADD COLUMN note TEXT");
  Status status = store_->ApplyCommitted({{7, &run_.changeset}});
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Balance(store_.get(), 1), 70);
  EXPECT_TRUE(Applied(7));
}

TEST_F(SqliteStoreTest, ARepeatedStatementRunsAgainAfterTheSchemaChanged) {
  ASSERT_TRUE(RunRollback(1, {Debit(1, 30)}).ok());
  test::ExecRaw(path_, "ALTER TABLE accounts ADD COLUMN note TEXT");
  ASSERT_TRUE(RunRollback(2, {Debit(1, 30)}).ok());
  ASSERT_TRUE(store_->ApplyCommitted({{2, &run_.changeset}}).ok());
  EXPECT_EQ(Balance(store_.get(), 1), 70);
}

TEST_F(SqliteStoreTest, DecideErrorRollsBackAndIsReturned) {
  Status status = store_->RunBranch(
      5, {Debit(1, 30)},
      [](const SqliteStore::BranchRun&) -> StatusOr<Finish> { return Status::Busy("locked"); },
      &run_);
  EXPECT_TRUE(status.IsBusy()) << status.ToString();
  EXPECT_EQ(Balance(store_.get(), 1), 100);
  EXPECT_FALSE(Applied(5));
}

TEST_F(SqliteStoreTest, QueriesSeeOnlyCommittedDataWhileABranchRuns) {
  int64_t seen = -2;
  ASSERT_TRUE(store_
                  ->RunBranch(
                      5, {Debit(1, 30)},
                      [&](const SqliteStore::BranchRun&) -> StatusOr<Finish> {
                        seen = Balance(store_.get(), 1);
                        return Finish::kCommit;
                      },
                      &run_)
                  .ok());
  EXPECT_EQ(seen, 100);
  EXPECT_EQ(Balance(store_.get(), 1), 70);
}

TEST_F(SqliteStoreTest, CheckViolationIsAbortedWithSqliteMessage) {
  Status status = RunRollback(1, {Debit(3, 11)});
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "CHECK constraint failed")) << status.message();
  EXPECT_TRUE(Contains(status.message(), "statement 1")) << status.message();
  EXPECT_EQ(Balance(store_.get(), 3), 10);
}

TEST_F(SqliteStoreTest, FailedSecondStatementUndoesTheFirst) {
  Status status =
      store_->RunBranch(1, {Debit(1, 30), Debit(3, 11)}, Always(Finish::kCommit), &run_);
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "statement 2")) << status.message();
  EXPECT_EQ(Balance(store_.get(), 1), 100);
  EXPECT_FALSE(Applied(1));
}

TEST_F(SqliteStoreTest, SyntaxErrorIsAborted) {
  Status status = RunRollback(1, {{"UPDTE accounts SET balance = 0", {}, std::nullopt}});
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "syntax error")) << status.message();
}

TEST_F(SqliteStoreTest, EmptySqlIsAborted) {
  Status status = RunRollback(1, {{"  -- nothing\n", {}, std::nullopt}});
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "empty SQL")) << status.message();
}

TEST_F(SqliteStoreTest, TableWithoutPrimaryKeyIsRefused) {
  test::ExecRaw(path_, "CREATE TABLE audit(note TEXT)");
  Status status = RunRollback(1, {{"INSERT INTO audit VALUES ('x')", {}, std::nullopt}});
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "no PRIMARY KEY")) << status.message();
  EXPECT_TRUE(Contains(status.message(), "audit")) << status.message();
}

TEST_F(SqliteStoreTest, ATableWithoutPrimaryKeyIsRefusedAgainWhenItsStatementIsReused) {
  test::ExecRaw(path_, "CREATE TABLE audit(note TEXT)");
  // The second run finds the statement compiled already (no authorizer call):
  // the tables it writes must still be checked.
  for (int64_t txid : {1, 2}) {
    Status status = RunRollback(txid, {{"INSERT INTO audit VALUES ('x')", {}, std::nullopt}});
    EXPECT_TRUE(status.IsAborted()) << "txid " << txid << ": " << status.ToString();
    EXPECT_TRUE(Contains(status.message(), "no PRIMARY KEY")) << status.message();
  }
}

// SQLite lets a non-INTEGER PRIMARY KEY column of a rowid table hold NULL.
// Such a table is accepted (it is the schema most users write); only a row
// whose key is NULL is refused, since no changeset could apply it again.
TEST_F(SqliteStoreTest, RowWithNullPrimaryKeyIsRefusedRatherThanLost) {
  test::ExecRaw(path_,
                "CREATE TABLE tags(name TEXT PRIMARY KEY, n INTEGER);"
                "CREATE TABLE pairs(a TEXT, b INTEGER, v INTEGER, PRIMARY KEY(a, b));"
                "CREATE TABLE blobs(k BLOB PRIMARY KEY, v INTEGER);");
  const struct {
    const char* sql;
    const char* table;
  } cases[] = {{"INSERT INTO tags VALUES (NULL, 1)", "tags"},
               {"INSERT INTO pairs VALUES ('x', NULL, 1)", "pairs"},
               {"INSERT INTO blobs VALUES (NULL, 1)", "blobs"}};
  for (const auto& c : cases) {
    Status status = RunRollback(1, {{c.sql, {}, 1}});
    EXPECT_TRUE(status.IsAborted()) << c.sql << ": " << status.ToString();
    EXPECT_EQ(status.message(), std::string("table '") + c.table +
                                    "': a row whose PRIMARY KEY is NULL cannot be captured for "
                                    "a crash-safe commit (give every row a key)");
  }
}

// A table with a generated column goes to the session extension, which skips
// rows with a NULL key silently: there a nullable key is refused up front.
TEST_F(SqliteStoreTest, ANullableKeyIsRefusedWhereTheSessionExtensionCaptures) {
  test::ExecRaw(path_,
                "CREATE TABLE gen(k TEXT PRIMARY KEY, v INTEGER, w INTEGER GENERATED ALWAYS AS "
                "(v * 2));");
  for (const char* sql : {"INSERT INTO gen VALUES ('a', 1)", "INSERT INTO gen VALUES (NULL, 1)"}) {
    Status status = RunRollback(1, {{sql, {}, 1}});
    EXPECT_TRUE(status.IsAborted()) << sql << ": " << status.ToString();
    EXPECT_TRUE(Contains(status.message(), "table 'gen' has a PRIMARY KEY column that allows NULL"))
        << status.message();
  }
}

// The key shapes users write, each with an INSERT and an UPSERT that meets
// it: prepared (rolled back), then applied from the changeset as a commit.
TEST_F(SqliteStoreTest, OrdinaryKeyShapesAndUpsertsCommitThroughTheChangeset) {
  test::ExecRaw(path_,
                "CREATE TABLE ledger(tag TEXT PRIMARY KEY, delta INTEGER NOT NULL);"
                "CREATE TABLE pairs(a TEXT, b INTEGER, v INTEGER, PRIMARY KEY(a, b));"
                "CREATE TABLE ids(id INTEGER PRIMARY KEY, v INTEGER);"
                "CREATE TABLE wr(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;"
                "CREATE TABLE blobs(k BLOB PRIMARY KEY, v INTEGER);");
  const struct {
    const char* insert;
    const char* upsert;
    const char* read;
  } cases[] = {
      {"INSERT INTO ledger VALUES ('t1', 5)",
       "INSERT INTO ledger VALUES ('t1', 2) ON CONFLICT(tag) DO UPDATE SET delta = delta + "
       "excluded.delta",
       "SELECT delta FROM ledger WHERE tag = 't1'"},
      {"INSERT INTO pairs VALUES ('x', 1, 5)",
       "INSERT INTO pairs VALUES ('x', 1, 2) ON CONFLICT(a, b) DO UPDATE SET v = v + excluded.v",
       "SELECT v FROM pairs WHERE a = 'x' AND b = 1"},
      {"INSERT INTO ids VALUES (7, 5)",
       "INSERT INTO ids VALUES (7, 2) ON CONFLICT(id) DO UPDATE SET v = v + excluded.v",
       "SELECT v FROM ids WHERE id = 7"},
      {"INSERT INTO wr VALUES ('k', 5)",
       "INSERT INTO wr VALUES ('k', 2) ON CONFLICT(k) DO UPDATE SET v = v + excluded.v",
       "SELECT v FROM wr WHERE k = 'k'"},
      {"INSERT INTO blobs VALUES (x'00ff', 5)",
       "INSERT INTO blobs VALUES (x'00ff', 2) ON CONFLICT(k) DO UPDATE SET v = v + excluded.v",
       "SELECT v FROM blobs WHERE k = x'00ff'"},
  };
  int64_t txid = 0;
  for (const auto& c : cases) {
    // Twice: a fresh row (insert, then upsert over it), then the upsert alone
    // meeting the committed row.
    for (const std::vector<SqlStatement>& statements :
         {std::vector<SqlStatement>{{c.insert, {}, 1}, {c.upsert, {}, 1}},
          std::vector<SqlStatement>{{c.upsert, {}, 1}}}) {
      ASSERT_TRUE(RunRollback(++txid, statements).ok()) << c.upsert;
      ASSERT_FALSE(run_.changeset.empty()) << c.upsert;
      const std::string changeset = run_.changeset;
      Status applied = store_->ApplyCommitted({{txid, &changeset}});
      ASSERT_TRUE(applied.ok()) << c.upsert << ": " << applied.ToString();
    }
    StatusOr<QueryRows> rows = store_->Query(c.read, {});
    ASSERT_TRUE(rows.ok() && rows->rows.size() == 1) << c.read;
    EXPECT_EQ(std::get<int64_t>(rows->rows[0][0]), 9) << c.read;
  }
}

TEST_F(SqliteStoreTest, AnExpectationOnASelectCountsTheRowsItReturns) {
  // Read, check, write: the branch goes on only if the read found the row.
  ASSERT_TRUE(RunRollback(1, {{"SELECT id FROM accounts WHERE id = 1 AND balance >= 30", {}, 1},
                              Debit(1, 30)})
                  .ok());
  EXPECT_EQ(run_.changes, (std::vector<int64_t>{0, 1}));
  Status status = RunRollback(
      2, {{"SELECT id FROM accounts WHERE id = 3 AND balance >= 30", {}, 1}, Debit(3, 30)});
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_EQ(status.message(), "statement 1: returned 0 row(s), expected 1");
  status = RunRollback(3, {{"SELECT id FROM accounts", {}, 2}});
  EXPECT_EQ(status.message(), "statement 1: returned 3 row(s), expected 2");
  // A write keeps counting the rows it changed.
  status = RunRollback(4, {{"UPDATE accounts SET balance = balance + 1", {}, 1}});
  EXPECT_EQ(status.message(), "statement 1: changed 3 row(s), expected 1");
}

TEST_F(SqliteStoreTest, ABranchKeepsTheRowsEachStatementReadWithItsOwnWrites) {
  ASSERT_TRUE(
      RunRollback(1,
                  {{"SELECT id, balance FROM accounts WHERE id < 3 ORDER BY id", {}, std::nullopt},
                   Debit(1, 30),
                   {"SELECT balance AS now FROM accounts WHERE id = 1", {}, std::nullopt}})
          .ok());
  ASSERT_EQ(run_.reads.size(), 3u);
  EXPECT_EQ(run_.reads[0].columns, (std::vector<std::string>{"id", "balance"}));
  EXPECT_EQ(run_.reads[0].rows, (std::vector<std::vector<SqlValue>>{{int64_t{1}, int64_t{100}},
                                                                    {int64_t{2}, int64_t{50}}}));
  EXPECT_TRUE(run_.reads[1].columns.empty());
  EXPECT_TRUE(run_.reads[1].rows.empty());
  EXPECT_EQ(run_.reads[2].columns, std::vector<std::string>{"now"});
  EXPECT_EQ(run_.reads[2].rows, (std::vector<std::vector<SqlValue>>{{int64_t{70}}}));
}

TEST_F(SqliteStoreTest, RowsABranchReadsAreBoundedInBytes) {
  store_.reset();
  SqliteStore::OpenOptions options;
  options.path = path_;
  options.max_branch_read_bytes = 200;
  ASSERT_TRUE(SqliteStore::Open(options, &store_).ok());
  Status status = RunRollback(
      1, {{"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) "
           "SELECT x FROM c",
           {},
           std::nullopt}});
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_EQ(status.message(),
            "statement 1: the rows read take more than 200 bytes (--max_branch_read_bytes): "
            "read them with query instead");
  EXPECT_TRUE(RunRollback(2, {{"SELECT id FROM accounts", {}, std::nullopt}}).ok());
}

TEST_F(SqliteStoreTest, ASqlStringOfSeveralReadsReturnsItsLastRead) {
  ASSERT_TRUE(
      RunRollback(1, {{"SELECT 1 AS a; SELECT 2 AS x, 3 AS y UNION ALL SELECT 4, 5", {}, 2}}).ok());
  ASSERT_EQ(run_.reads.size(), 1u);
  EXPECT_EQ(run_.reads[0].columns, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(run_.reads[0].rows, (std::vector<std::vector<SqlValue>>{{int64_t{2}, int64_t{3}},
                                                                    {int64_t{4}, int64_t{5}}}));
}

TEST_F(SqliteStoreTest, DdlIsRefusedAndChangesNothing) {
  Status status =
      RunRollback(1, {{"CREATE TABLE extra(id INTEGER PRIMARY KEY)", {}, std::nullopt}});
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "schema changes")) << status.message();
  status = store_->RunBranch(1, {{"DROP TABLE accounts", {}, std::nullopt}},
                             Always(Finish::kCommit), &run_);
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_EQ(Balance(store_.get(), 1), 100);
}

TEST_F(SqliteStoreTest, WritingTheBookkeepingTableIsRefused) {
  Status status =
      store_->RunBranch(1, {{"INSERT INTO _twopc_applied VALUES (99, 0)", {}, std::nullopt}},
                        Always(Finish::kCommit), &run_);
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "_twopc_applied")) << status.message();
  EXPECT_FALSE(Applied(99));
}

TEST_F(SqliteStoreTest, TransactionControlAndAttachAreRefused) {
  for (const char* sql :
       {"COMMIT", "BEGIN", "SAVEPOINT s", "ATTACH 'x.db' AS x", "PRAGMA journal_mode=DELETE"}) {
    Status status = RunRollback(1, {{sql, {}, std::nullopt}});
    EXPECT_TRUE(status.IsAborted()) << sql << ": " << status.ToString();
  }
  // The store's own transaction survived: a normal branch still runs.
  EXPECT_TRUE(store_->RunBranch(2, {Debit(1, 1)}, Always(Finish::kCommit), &run_).ok());
  EXPECT_EQ(Balance(store_.get(), 1), 99);
}

TEST_F(SqliteStoreTest, ExpectChangesMismatchIsRefused) {
  Status status = RunRollback(1, {Debit(99, 5)});
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "changed 0 row(s), expected 1")) << status.message();
}

TEST_F(SqliteStoreTest, ParameterCountMismatchIsRefused) {
  Status status = RunRollback(
      1, {{"UPDATE accounts SET balance = ? WHERE id = ?", {int64_t{1}}, std::nullopt}});
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "expects 2 parameter(s), got 1")) << status.message();
}

TEST_F(SqliteStoreTest, ParametersNeedASingleStatement) {
  Status status = RunRollback(
      1, {{"UPDATE accounts SET balance = ? WHERE id = 1; UPDATE accounts SET balance = 0",
           {int64_t{1}},
           std::nullopt}});
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
}

TEST_F(SqliteStoreTest, SeveralStatementsWithoutParametersRunAsOne) {
  ASSERT_TRUE(RunRollback(1, {{"UPDATE accounts SET balance = 1 WHERE id = 1; "
                               "UPDATE accounts SET balance = 2 WHERE id = 2;",
                               {},
                               2}})
                  .ok());
  EXPECT_EQ(run_.changes, std::vector<int64_t>{2});
}

TEST_F(SqliteStoreTest, QueryRoundTripsEveryParameterType) {
  const std::vector<SqlValue> params = {
      std::monostate{},
      std::numeric_limits<int64_t>::min(),
      -1.5e300,
      std::string("text with \0 nul", 15),
      Blob{std::string("\x00\x01\xff", 3)},
  };
  StatusOr<QueryRows> rows = store_->Query("SELECT ?, ?, ?, ?, ?", params);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0], params);
  EXPECT_EQ(rows->columns.size(), 5u);
}

TEST_F(SqliteStoreTest, ValuesWrittenByABranchReadBackWithTheirTypes) {
  test::ExecRaw(path_, "CREATE TABLE vals(id INTEGER PRIMARY KEY, v)");
  const std::vector<SqlValue> values = {std::monostate{}, int64_t{42}, 0.25, std::string("abc"),
                                        Blob{std::string("\x00z", 2)}};
  std::vector<SqlStatement> statements;
  for (size_t i = 0; i < values.size(); ++i) {
    statements.push_back(
        {"INSERT INTO vals VALUES (?, ?)", {static_cast<int64_t>(i), values[i]}, 1});
  }
  ASSERT_TRUE(store_->RunBranch(1, statements, Always(Finish::kCommit), &run_).ok());
  StatusOr<QueryRows> rows = store_->Query("SELECT v FROM vals ORDER BY id", {});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(rows->rows[i][0], values[i]) << i;
}

TEST_F(SqliteStoreTest, QueryReportsColumnNames) {
  StatusOr<QueryRows> rows = store_->Query("SELECT id, balance AS money FROM accounts", {});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->columns, (std::vector<std::string>{"id", "money"}));
  EXPECT_EQ(rows->rows.size(), 3u);
}

TEST_F(SqliteStoreTest, QueryRefusesWrites) {
  StatusOr<QueryRows> rows = store_->Query("UPDATE accounts SET balance = 0", {});
  EXPECT_FALSE(rows.ok());
  EXPECT_TRUE(Contains(rows.status().message(), "only read")) << rows.status().ToString();
  EXPECT_EQ(Balance(store_.get(), 1), 100);
}

TEST_F(SqliteStoreTest, QueryRefusesLockingReadsAndSaysWhereTheyBelong) {
  StatusOr<QueryRows> rows = store_->Query("SELECT id FROM accounts FOR UPDATE", {});
  EXPECT_TRUE(rows.status().IsInvalidArgument()) << rows.status().ToString();
  EXPECT_TRUE(Contains(rows.status().message(), "in a branch")) << rows.status().ToString();
}

TEST_F(SqliteStoreTest, QueryRefusesSeveralStatements) {
  StatusOr<QueryRows> rows = store_->Query("SELECT 1; SELECT 2", {});
  EXPECT_TRUE(rows.status().IsInvalidArgument()) << rows.status().ToString();
}

TEST_F(SqliteStoreTest, PruneAppliedForgetsOldBookkeepingRows) {
  ASSERT_TRUE(store_->RunBranch(5, {Debit(1, 1)}, Always(Finish::kCommit), &run_).ok());
  ASSERT_TRUE(store_->PruneApplied(0).ok());
  EXPECT_TRUE(Applied(5));
  ASSERT_TRUE(store_->PruneApplied(std::numeric_limits<int64_t>::max()).ok());
  EXPECT_FALSE(Applied(5));
}

TEST(SqliteStoreOpen, MissingFileWithoutCreateIsNotFound) {
  test::TempDir dir;
  std::unique_ptr<SqliteStore> store;
  Status status = SqliteStore::Open({dir.Join("absent.db"), false}, &store);
  EXPECT_TRUE(status.IsNotFound()) << status.ToString();
  EXPECT_EQ(store, nullptr);
  EXPECT_FALSE(std::filesystem::exists(dir.Join("absent.db")));
}

TEST(SqliteStoreOpen, CreateIfMissingMakesAnEmptyDatabaseWithBookkeeping) {
  test::TempDir dir;
  std::unique_ptr<SqliteStore> store;
  Status status = SqliteStore::Open({dir.Join("new.db"), true}, &store);
  ASSERT_TRUE(status.ok()) << status.ToString();
  StatusOr<bool> applied = store->IsApplied(1);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_FALSE(*applied);
}

TEST(SqliteStoreOpen, FileThatIsNotADatabaseIsAnError) {
  test::TempDir dir;
  const std::string path = dir.Join("junk.db");
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(4096, 'j');
  }
  std::unique_ptr<SqliteStore> store;
  Status status = SqliteStore::Open({path, false}, &store);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(store, nullptr);
}

TEST(SqliteStoreOpen, ReopenedStoreRemembersAppliedTxids) {
  test::TempDir dir;
  const std::string path = dir.Join("bank.db");
  test::ExecRaw(path, test::kBankSchema);
  {
    std::unique_ptr<SqliteStore> store = test::OpenStore(path);
    ASSERT_NE(store, nullptr);
    SqliteStore::BranchRun run;
    ASSERT_TRUE(store->RunBranch(5, {Debit(1, 30)}, Always(Finish::kCommit), &run).ok());
  }
  std::unique_ptr<SqliteStore> store = test::OpenStore(path);
  ASSERT_NE(store, nullptr);
  StatusOr<bool> applied = store->IsApplied(5);
  ASSERT_TRUE(applied.ok());
  EXPECT_TRUE(*applied);
  EXPECT_EQ(Balance(store.get(), 1), 70);
}

}  // namespace
}  // namespace twopc::participant
