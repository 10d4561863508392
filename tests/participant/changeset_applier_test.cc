#include "participant/changeset_applier.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/participant/changeset_capture.h"
#include "tests/participant/test_util.h"

namespace twopc::participant {
namespace {

constexpr char kSchema[] =
    "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0),"
    " note TEXT, score REAL, photo BLOB);"
    "CREATE TABLE pairs(a TEXT NOT NULL, b INTEGER NOT NULL, v BLOB, PRIMARY KEY(a, b))"
    " WITHOUT ROWID;"
    "INSERT INTO accounts VALUES (1, 100, 'one', 1.5, x'01'), (2, 50, NULL, NULL, NULL),"
    " (3, 10, 'three', -2.25, x'');"
    "INSERT INTO pairs VALUES ('x', 1, x'aa'), ('y', 2, NULL);";

// Two copies of one database: changes captured on `source` are applied to
// `target`, and the two must end identical.
class ChangesetApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::ExecRaw(source_path_, kSchema);
    test::ExecRaw(target_path_, kSchema);
    ASSERT_EQ(sqlite3_open(source_path_.c_str(), &source_), SQLITE_OK);
    ASSERT_EQ(sqlite3_open(target_path_.c_str(), &target_), SQLITE_OK);
    applier_ = std::make_unique<ChangesetApplier>(target_);
  }
  void TearDown() override {
    applier_.reset();
    EXPECT_EQ(sqlite3_close(source_), SQLITE_OK);
    EXPECT_EQ(sqlite3_close(target_), SQLITE_OK);
  }

  // Runs sql on the source and returns the changes it made.
  std::string Capture(const std::string& sql) { return test::ChangesetOf(source_, sql); }

  Status Apply(const std::string& changeset) {
    Exec(target_, "BEGIN");
    Status status = applier_->Apply(7, changeset);
    Exec(target_, status.ok() ? "COMMIT" : "ROLLBACK");
    return status;
  }

  static void Exec(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "") << " in: " << sql;
    sqlite3_free(error);
  }

  // Every row of both tables, with types, as text.
  static std::string Dump(sqlite3* db) {
    std::string out;
    for (const char* sql : {"SELECT id, balance, quote(note), quote(score), quote(photo) "
                            "FROM accounts ORDER BY id",
                            "SELECT quote(a), b, quote(v) FROM pairs ORDER BY a, b"}) {
      sqlite3_stmt* stmt = nullptr;
      EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
          const unsigned char* text = sqlite3_column_text(stmt, c);
          out += text ? reinterpret_cast<const char*>(text) : "NULL";
          out += c + 1 < sqlite3_column_count(stmt) ? "|" : "\n";
        }
      }
      sqlite3_finalize(stmt);
    }
    return out;
  }

  test::TempDir dir_;
  const std::string source_path_ = dir_.Join("source.db");
  const std::string target_path_ = dir_.Join("target.db");
  sqlite3* source_ = nullptr;
  sqlite3* target_ = nullptr;
  std::unique_ptr<ChangesetApplier> applier_;
};

TEST_F(ChangesetApplierTest, InsertsUpdatesAndDeletesLandAsCaptured) {
  const std::string changeset = Capture(
      "UPDATE accounts SET balance = balance - 5, note = 'changed' WHERE id = 1;"
      "UPDATE accounts SET photo = x'ffee', score = 3.0 WHERE id = 2;"
      "DELETE FROM accounts WHERE id = 3;"
      "INSERT INTO accounts VALUES (4, 7, 'it''s \"quoted\"', NULL, x'00ff');"
      "INSERT INTO pairs VALUES ('z', 3, x'bb');"
      "UPDATE pairs SET v = x'cc' WHERE a = 'y' AND b = 2;"
      "DELETE FROM pairs WHERE a = 'x';");
  ASSERT_FALSE(changeset.empty());
  StatusOr<bool> fits = applier_->Fits(changeset);
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_TRUE(*fits);
  ASSERT_NE(Dump(source_), Dump(target_));
  Status status = Apply(changeset);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Dump(source_), Dump(target_));
}

TEST_F(ChangesetApplierTest, TheSameShapeAppliesAgainWithOtherValues) {
  for (int round = 1; round <= 3; ++round) {
    const std::string changeset =
        Capture("UPDATE accounts SET balance = balance + " + std::to_string(round) +
                " WHERE id = " + std::to_string(round));
    Status status = Apply(changeset);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  EXPECT_EQ(Dump(source_), Dump(target_));
}

TEST_F(ChangesetApplierTest, AnUpdateOfARowGoneBehindTheAgentsBackIsSkipped) {
  const std::string changeset = Capture("UPDATE accounts SET balance = 1 WHERE id = 2");
  Exec(target_, "DELETE FROM accounts WHERE id = 2");
  Status status = Apply(changeset);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Dump(target_).find("\n2|"), std::string::npos);
}

TEST_F(ChangesetApplierTest, AnInsertOverARowWrittenBehindTheAgentsBackWins) {
  const std::string changeset = Capture("INSERT INTO accounts VALUES (9, 90, 'mine', NULL, NULL)");
  Exec(target_, "INSERT INTO accounts VALUES (9, 1, 'theirs', 0.5, x'01')");
  Status status = Apply(changeset);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Dump(source_), Dump(target_));
}

TEST_F(ChangesetApplierTest, AChangeThatBreaksAConstraintFailsNamingTheTransaction) {
  const std::string changeset = Capture("UPDATE accounts SET balance = 5 WHERE id = 3");
  // Both sides start from balance 10; the target's CHECK is made stricter.
  Exec(target_, "DROP TABLE accounts");
  Exec(target_,
       "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= "
       "6), note TEXT, score REAL, photo BLOB);"
       "INSERT INTO accounts VALUES (3, 10, NULL, NULL, NULL)");
  Status status = Apply(changeset);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("txid 7"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("CHECK"), std::string::npos) << status.message();
}

TEST_F(ChangesetApplierTest, AValueSqliteCannotBindFailsTheApplyInsteadOfWritingNull) {
  // A value over the connection's SQLITE_LIMIT_LENGTH cannot be bound (out
  // of memory does the same): an unchecked bind would leave NULL in its place.
  const std::string changeset = Capture(
      "UPDATE accounts SET note = hex(zeroblob(3000)) WHERE id = 2;"
      "INSERT INTO accounts VALUES (5, 1, hex(zeroblob(3000)), NULL, NULL)");
  sqlite3_limit(target_, SQLITE_LIMIT_LENGTH, 1000);
  const std::string before = Dump(target_);
  Status status = Apply(changeset);
  EXPECT_TRUE(status.IsIoError()) << status.ToString();
  EXPECT_NE(status.message().find("binding a value: string or blob too big"), std::string::npos)
      << status.message();
  EXPECT_EQ(Dump(target_), before);
  sqlite3_limit(target_, SQLITE_LIMIT_LENGTH, 1000000000);
  status = Apply(changeset);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Dump(source_), Dump(target_));
}

TEST_F(ChangesetApplierTest, ATableWithAnotherShapeDoesNotFit) {
  const std::string changeset = Capture("UPDATE accounts SET balance = 1 WHERE id = 1");
  Exec(target_, "ALTER TABLE accounts ADD COLUMN extra TEXT");
  applier_ = std::make_unique<ChangesetApplier>(target_);  // shapes are cached per applier
  StatusOr<bool> fits = applier_->Fits(changeset);
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_FALSE(*fits);
}

// Found by changeset_fuzzer: a changeset may name one table twice, the second
// time with another number of columns. Neither check nor apply may trust the
// first shape it saw.
TEST_F(ChangesetApplierTest, ATableNamedTwiceWithAnotherShapeIsRefusedNotOverrun) {
  const std::string five_columns = Capture("UPDATE accounts SET balance = 1 WHERE id = 1");
  test::TempDir other_dir;
  const std::string other_path = other_dir.Join("other.db");
  test::ExecRaw(other_path,
                "CREATE TABLE accounts(id INTEGER PRIMARY KEY, a, b, c, d, e, f, g, h);"
                "INSERT INTO accounts(id) VALUES (1)");
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(other_path.c_str(), &other), SQLITE_OK);
  const std::string nine_columns =
      test::ChangesetOf(other, "UPDATE accounts SET h = 9 WHERE id = 1");
  sqlite3_close(other);

  const std::string both = five_columns + nine_columns;
  StatusOr<bool> fits = applier_->Fits(both);
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_FALSE(*fits);
  Status status = Apply(both);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("shape"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace twopc::participant
