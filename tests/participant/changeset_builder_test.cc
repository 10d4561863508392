// The changeset the agent builds from the pre-update hook against the one the
// session extension writes for the same branch: run on two copies of one
// database, through SqliteStore::RunBranch with each capture.
#include "participant/changeset_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "participant/changeset_format.h"
#include "participant/sqlite_session.h"
#include "tests/participant/test_util.h"

namespace twopc::participant {
namespace {

using Capture = SqliteStore::OpenOptions::Capture;

constexpr char kSchema[] =
    "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);"
    "CREATE TABLE audit(id INTEGER PRIMARY KEY AUTOINCREMENT, account INTEGER, delta INTEGER);"
    "CREATE TABLE pairs(a TEXT NOT NULL, b INTEGER NOT NULL, v, PRIMARY KEY (b, a)) "
    "WITHOUT ROWID;"
    "CREATE TABLE names(name TEXT NOT NULL PRIMARY KEY, n INTEGER);"
    "CREATE TABLE kinds(id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, x);"
    "CREATE TABLE derived(id INTEGER PRIMARY KEY, v INTEGER, twice INTEGER "
    "GENERATED ALWAYS AS (v * 2) VIRTUAL);"
    "CREATE TABLE watched(id INTEGER PRIMARY KEY, v INTEGER);"
    "CREATE TRIGGER watched_audit AFTER UPDATE ON watched BEGIN "
    "INSERT INTO audit(account, delta) VALUES (new.id, new.v - old.v); END;"
    "INSERT INTO accounts VALUES (1, 100), (2, 50), (3, 10);"
    "INSERT INTO pairs VALUES ('k', 1, 0), ('k', 2, 0), ('j', 1, 'x');"
    "INSERT INTO names VALUES ('ann', 1), ('bob', 2);"
    "INSERT INTO kinds VALUES (1, -5, 0.0, 'text', x'00ff', NULL), (2, 7, 2.5, '', x'', 1);"
    "INSERT INTO derived(id, v) VALUES (1, 10);"
    "INSERT INTO watched VALUES (1, 5);";

// One line per change: table, key flags, op, indirect flag, old and new values
// ("-" where the record leaves a column out).
std::vector<std::string> Describe(const std::string& changeset) {
  std::vector<std::string> lines;
  if (changeset.empty()) return lines;
  sqlite3_changeset_iter* iter = nullptr;
  EXPECT_EQ(sqlite3changeset_start(&iter, static_cast<int>(changeset.size()),
                                   const_cast<char*>(changeset.data())),
            SQLITE_OK);
  auto value_text = [](sqlite3_value* value) -> std::string {
    if (value == nullptr) return "-";
    switch (sqlite3_value_type(value)) {
      case SQLITE_NULL:
        return "NULL";
      case SQLITE_INTEGER:
        return "i" + std::to_string(sqlite3_value_int64(value));
      case SQLITE_FLOAT:
        return "r" + std::to_string(sqlite3_value_double(value));
      case SQLITE_TEXT:
        return "t'" + std::string(reinterpret_cast<const char*>(sqlite3_value_text(value))) + "'";
      default:
        return "b" + std::to_string(sqlite3_value_bytes(value));
    }
  };
  while (sqlite3changeset_next(iter) == SQLITE_ROW) {
    const char* table = nullptr;
    int columns = 0;
    int op = 0;
    int indirect = 0;
    sqlite3changeset_op(iter, &table, &columns, &op, &indirect);
    unsigned char* pk = nullptr;
    int pk_columns = 0;
    sqlite3changeset_pk(iter, &pk, &pk_columns);
    std::string line = std::string(table) + " pk=";
    for (int i = 0; i < pk_columns; ++i) line += std::to_string(pk[i]);
    line += " op=" + std::to_string(op) + " indirect=" + std::to_string(indirect) + " old:";
    for (int i = 0; i < columns; ++i) {
      sqlite3_value* value = nullptr;
      if (op != SQLITE_INSERT) sqlite3changeset_old(iter, i, &value);
      line += " " + value_text(value);
    }
    line += " new:";
    for (int i = 0; i < columns; ++i) {
      sqlite3_value* value = nullptr;
      if (op != SQLITE_DELETE) sqlite3changeset_new(iter, i, &value);
      line += " " + value_text(value);
    }
    lines.push_back(line);
  }
  EXPECT_EQ(sqlite3changeset_finalize(iter), SQLITE_OK);
  // The session extension orders a table's rows by hash; the table order is
  // the same in both (first changed first).
  std::sort(lines.begin(), lines.end());
  return lines;
}

class ChangesetBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::ExecRaw(session_path_, kSchema);
    test::ExecRaw(hook_path_, kSchema);
    session_store_ = Open(session_path_, Capture::kSession);
    hook_store_ = Open(hook_path_, Capture::kPreupdateHook);
    ASSERT_NE(session_store_, nullptr);
    ASSERT_NE(hook_store_, nullptr);
  }

  static std::unique_ptr<SqliteStore> Open(const std::string& path, Capture capture) {
    SqliteStore::OpenOptions options;
    options.path = path;
    options.capture = capture;
    std::unique_ptr<SqliteStore> store;
    Status status = SqliteStore::Open(options, &store);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return store;
  }

  // The changeset `store` captures for the statements (rolled back).
  static std::string Capture(SqliteStore* store, const std::vector<std::string>& sql) {
    std::vector<SqlStatement> statements;
    for (const std::string& text : sql) statements.push_back(SqlStatement{text, {}, std::nullopt});
    SqliteStore::BranchRun run;
    Status status = store->RunBranch(
        1, statements,
        [](const SqliteStore::BranchRun&) -> StatusOr<SqliteStore::Finish> {
          return SqliteStore::Finish::kRollback;
        },
        &run);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return run.changeset;
  }

  // Both captures of the statements, checked to agree; returns the hook's.
  std::string ExpectSameChanges(const std::vector<std::string>& sql) {
    const std::string expected = Capture(session_store_.get(), sql);
    const std::string built = Capture(hook_store_.get(), sql);
    EXPECT_EQ(Describe(built), Describe(expected));
    EXPECT_EQ(built.size(), expected.size());
    EXPECT_TRUE(ValidateChangeset(built).ok()) << ValidateChangeset(built).ToString();
    return built;
  }

  test::TempDir dir_;
  const std::string session_path_ = dir_.Join("session.db");
  const std::string hook_path_ = dir_.Join("hook.db");
  std::unique_ptr<SqliteStore> session_store_;
  std::unique_ptr<SqliteStore> hook_store_;
};

TEST_F(ChangesetBuilderTest, UpdatesOfSeveralRowsAreTheSessionsBytes) {
  const std::string sql = "UPDATE accounts SET balance = balance - 1";
  const std::string built = ExpectSameChanges({sql});
  EXPECT_EQ(Describe(built).size(), 3u);
  // One table, one row: the order is fixed, so the bytes are too.
  EXPECT_EQ(Capture(hook_store_.get(), {"UPDATE accounts SET balance = 7 WHERE id = 2"}),
            Capture(session_store_.get(), {"UPDATE accounts SET balance = 7 WHERE id = 2"}));
}

TEST_F(ChangesetBuilderTest, AnInsertedThenUpdatedRowIsOneInsert) {
  const std::string built = ExpectSameChanges(
      {"INSERT INTO accounts VALUES (9, 1)", "UPDATE accounts SET balance = 2 WHERE id = 9"});
  ASSERT_EQ(Describe(built).size(), 1u);
  EXPECT_NE(Describe(built)[0].find("op=18"), std::string::npos) << Describe(built)[0];
}

TEST_F(ChangesetBuilderTest, AnInsertedThenDeletedRowIsNothing) {
  EXPECT_TRUE(
      ExpectSameChanges({"INSERT INTO accounts VALUES (9, 1)", "DELETE FROM accounts WHERE id = 9"})
          .empty());
}

TEST_F(ChangesetBuilderTest, AnUpdatedThenDeletedRowIsADeleteOfTheOriginal) {
  const std::string built = ExpectSameChanges(
      {"UPDATE accounts SET balance = 1 WHERE id = 1", "DELETE FROM accounts WHERE id = 1"});
  ASSERT_EQ(Describe(built).size(), 1u);
  EXPECT_NE(Describe(built)[0].find("op=9 indirect=0 old: i1 i100"), std::string::npos)
      << Describe(built)[0];
}

TEST_F(ChangesetBuilderTest, ADeletedThenReinsertedRowIsAnUpdateOrNothing) {
  ExpectSameChanges({"DELETE FROM accounts WHERE id = 2", "INSERT INTO accounts VALUES (2, 51)"});
  EXPECT_TRUE(ExpectSameChanges(
                  {"DELETE FROM accounts WHERE id = 2", "INSERT INTO accounts VALUES (2, 50)"})
                  .empty());
}

TEST_F(ChangesetBuilderTest, AnUpdateBackToTheOriginalValueIsNothing) {
  EXPECT_TRUE(ExpectSameChanges({"UPDATE accounts SET balance = 1 WHERE id = 1",
                                 "UPDATE accounts SET balance = 100 WHERE id = 1"})
                  .empty());
  EXPECT_TRUE(ExpectSameChanges({"UPDATE accounts SET balance = balance"}).empty());
  EXPECT_TRUE(ExpectSameChanges({"UPDATE kinds SET r = -0.0 WHERE id = 1"}).empty());
}

TEST_F(ChangesetBuilderTest, ChangingTheKeyIsADeleteAndAnInsert) {
  const std::string built = ExpectSameChanges({"UPDATE accounts SET id = id + 10"});
  EXPECT_EQ(Describe(built).size(), 6u);
  ExpectSameChanges({"UPDATE names SET name = 'cid' WHERE name = 'ann'"});
  ExpectSameChanges({"UPDATE pairs SET b = 3 WHERE a = 'k' AND b = 1"});
}

TEST_F(ChangesetBuilderTest, CompositeKeysOfAWithoutRowidTableKeepTheirOrder) {
  const std::string built =
      ExpectSameChanges({"UPDATE pairs SET v = v || 'y'", "INSERT INTO pairs VALUES ('m', 5, NULL)",
                         "DELETE FROM pairs WHERE a = 'j'"});
  ASSERT_FALSE(Describe(built).empty());
  // a is the key's second column, b its first.
  EXPECT_NE(Describe(built)[0].find("pairs pk=210"), std::string::npos) << Describe(built)[0];
}

TEST_F(ChangesetBuilderTest, EveryValueTypeRoundTrips) {
  const std::string long_text(300, 'z');  // a two-byte length
  ExpectSameChanges({"INSERT INTO kinds VALUES (3, 9223372036854775807, -1.5e300, '" + long_text +
                         "', randomblob(200), 'mixed')",
                     "UPDATE kinds SET i = NULL, r = 1, t = x'61', b = 'as text', x = 2.0 "
                     "WHERE id = 1",
                     "DELETE FROM kinds WHERE id = 2"});
}

TEST_F(ChangesetBuilderTest, ReplacingARowCapturesTheReplacedValues) {
  ExpectSameChanges(
      {"INSERT OR REPLACE INTO accounts VALUES (2, 5)", "REPLACE INTO names VALUES ('bob', 3)"});
}

TEST_F(ChangesetBuilderTest, ATriggersChangesAreIndirectAndSqliteSequenceIsLeftOut) {
  const std::string built = ExpectSameChanges({"UPDATE watched SET v = 8 WHERE id = 1"});
  const std::vector<std::string> lines = Describe(built);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("audit pk=100 op=18 indirect=1"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("watched pk=10 op=23 indirect=0"), std::string::npos) << lines[1];
}

TEST_F(ChangesetBuilderTest, ATableWithAGeneratedColumnIsLeftToTheSession) {
  // The hook does not show a virtual column; the branch runs again under a
  // session, which refuses it as before (this SQLite's session extension
  // does not capture such tables).
  std::vector<SqlStatement> statements = {
      SqlStatement{"UPDATE derived SET v = 11 WHERE id = 1", {}, std::nullopt}};
  for (SqliteStore* store : {session_store_.get(), hook_store_.get()}) {
    SqliteStore::BranchRun run;
    Status status = store->RunBranch(
        1, statements,
        [](const SqliteStore::BranchRun&) -> StatusOr<SqliteStore::Finish> {
          return SqliteStore::Finish::kRollback;
        },
        &run);
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message().find("capturing the changes"), std::string::npos)
        << status.ToString();
  }
}

TEST_F(ChangesetBuilderTest, AChangeAfterASchemaChangeUsesTheNewShape) {
  ExpectSameChanges({"UPDATE accounts SET balance = 1 WHERE id = 1"});
  test::ExecRaw(session_path_, "ALTER TABLE accounts ADD COLUMN note TEXT DEFAULT 'n'");
  test::ExecRaw(hook_path_, "ALTER TABLE accounts ADD COLUMN note TEXT DEFAULT 'n'");
  const std::string built = ExpectSameChanges({"UPDATE accounts SET balance = 1 WHERE id = 1"});
  ASSERT_EQ(Describe(built).size(), 1u);
  // Three columns now; both see the row's missing note change to its default.
  EXPECT_NE(Describe(built)[0].find("old: i1 i100 NULL new: - i1 t'n'"), std::string::npos)
      << Describe(built)[0];
}

TEST_F(ChangesetBuilderTest, AppliedElsewhereTheBuiltChangesetGivesTheSameRows) {
  const std::vector<std::string> sql = {"UPDATE accounts SET balance = balance * 2",
                                        "INSERT INTO names VALUES ('eve', NULL)",
                                        "DELETE FROM pairs WHERE b = 2"};
  SqliteStore::BranchRun run;
  std::vector<SqlStatement> statements;
  for (const std::string& text : sql) statements.push_back(SqlStatement{text, {}, std::nullopt});
  ASSERT_TRUE(hook_store_
                  ->RunBranch(
                      4, statements,
                      [](const SqliteStore::BranchRun&) -> StatusOr<SqliteStore::Finish> {
                        return SqliteStore::Finish::kRollback;
                      },
                      &run)
                  .ok());
  ASSERT_TRUE(session_store_->ApplyCommitted({{4, &run.changeset}}).ok());
  StatusOr<QueryRows> rows = session_store_->Query(
      "SELECT (SELECT group_concat(balance) FROM accounts), (SELECT count(*) FROM names), "
      "(SELECT count(*) FROM pairs)",
      {});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(rows->rows[0][0]), "200,100,20");
  EXPECT_EQ(std::get<int64_t>(rows->rows[0][1]), 3);
  EXPECT_EQ(std::get<int64_t>(rows->rows[0][2]), 2);
}

// The builder alone.

RowImage Row(std::initializer_list<int64_t> values) {
  RowImage row;
  for (int64_t value : values) row.AppendInteger(value);
  return row;
}

TEST(ChangesetBuilder, AnUnknownTableOrAWrongColumnCountIsNotSupported) {
  const CaptureShape two{{1, 0}};
  ChangesetBuilder builder;
  builder.Record("t", ChangesetBuilder::kInsert, false, RowImage(), Row({1, 2}));
  EXPECT_TRUE(builder.Build([](const std::string&) { return nullptr; }).status().IsNotSupported());
  EXPECT_TRUE(builder.Build([&](const std::string&) { return &two; }).ok());
  builder.Record("t", ChangesetBuilder::kInsert, false, RowImage(), Row({1, 2, 3}));
  EXPECT_TRUE(builder.Build([&](const std::string&) { return &two; }).status().IsNotSupported());
}

TEST(ChangesetBuilder, ANullKeyIsRefusedNamingTheTable) {
  const CaptureShape two{{1, 0}};
  RowImage row;
  row.AppendNull();
  row.AppendInteger(1);
  ChangesetBuilder builder;
  builder.Record("t", ChangesetBuilder::kInsert, false, RowImage(), std::move(row));
  const Status status = builder.Build([&](const std::string&) { return &two; }).status();
  EXPECT_TRUE(status.IsAborted()) << status.ToString();
  EXPECT_EQ(status.message(),
            "table 't': a row whose PRIMARY KEY is NULL cannot be captured for a crash-safe "
            "commit (give every row a key)");
}

TEST(ChangesetBuilder, NoChangesIsAnEmptyChangeset) {
  ChangesetBuilder builder;
  StatusOr<std::string> built = builder.Build([](const std::string&) { return nullptr; });
  ASSERT_TRUE(built.ok());
  EXPECT_TRUE(built->empty());
}

}  // namespace
}  // namespace twopc::participant
