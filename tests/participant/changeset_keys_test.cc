#include "participant/changeset_keys.h"
#include "tests/participant/changeset_capture.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "participant/sqlite_session.h"

namespace twopc::participant {
namespace {

// An in-memory database whose changes a session records.
class ChangesetKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    Exec(
        "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER);"
        "CREATE TABLE audit(id INTEGER PRIMARY KEY, note TEXT);"
        "CREATE TABLE pairs(a TEXT, b INTEGER, v INTEGER, PRIMARY KEY (a, b));"
        "INSERT INTO accounts VALUES (1, 100), (2, 50);"
        "INSERT INTO audit VALUES (1, 'x');"
        "INSERT INTO pairs VALUES ('k', 1, 0), ('k', 2, 0);");
  }
  void TearDown() override { sqlite3_close(db_); }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "") << " in: " << sql;
    sqlite3_free(error);
  }

  // The changeset of running sql (which stays applied).
  std::string ChangesetOf(const std::string& sql) { return test::ChangesetOf(db_, sql); }

  std::vector<std::string> KeysOf(const std::string& changeset) {
    StatusOr<std::vector<std::string>> keys = ChangesetKeys(changeset);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return keys.ok() ? *keys : std::vector<std::string>{};
  }

  sqlite3* db_ = nullptr;
};

TEST_F(ChangesetKeysTest, UpdateGivesOneKeyNamingTheTable) {
  const std::vector<std::string> keys =
      KeysOf(ChangesetOf("UPDATE accounts SET balance = 0 WHERE id = 1"));
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].rfind(std::string("accounts\0", 9), 0), 0u) << "key does not start with table";
}

TEST_F(ChangesetKeysTest, InsertUpdateAndDeleteOfOneRowGiveTheSameKey) {
  const std::vector<std::string> inserted =
      KeysOf(ChangesetOf("INSERT INTO accounts VALUES (3, 5)"));
  const std::vector<std::string> updated =
      KeysOf(ChangesetOf("UPDATE accounts SET balance = 6 WHERE id = 3"));
  const std::vector<std::string> deleted = KeysOf(ChangesetOf("DELETE FROM accounts WHERE id = 3"));
  ASSERT_EQ(inserted.size(), 1u);
  EXPECT_EQ(updated, inserted);
  EXPECT_EQ(deleted, inserted);
}

TEST_F(ChangesetKeysTest, DifferentRowsGiveDifferentSortedKeys) {
  const std::string changeset = ChangesetOf(
      "UPDATE accounts SET balance = 0 WHERE id = 2;"
      "UPDATE accounts SET balance = 0 WHERE id = 1");
  const std::vector<std::string> keys = KeysOf(changeset);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_LT(keys[0], keys[1]);
  StatusOr<size_t> size = ChangesetSize(changeset);
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  EXPECT_EQ(*size, 2u);
}

TEST_F(ChangesetKeysTest, SameRowTwiceGivesOneKey) {
  const std::string first = ChangesetOf("UPDATE accounts SET balance = 1 WHERE id = 1");
  const std::string second = ChangesetOf("UPDATE accounts SET balance = 2 WHERE id = 1");
  // Two changes of one row in one changeset (as two table sections).
  const std::string both = first + second;
  StatusOr<size_t> size = ChangesetSize(both);
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  ASSERT_EQ(*size, 2u);
  EXPECT_EQ(KeysOf(both), KeysOf(first));
}

TEST_F(ChangesetKeysTest, SamePrimaryKeyInDifferentTablesGivesDifferentKeys) {
  const std::vector<std::string> keys =
      KeysOf(ChangesetOf("UPDATE accounts SET balance = 0 WHERE id = 1;"
                         "UPDATE audit SET note = 'y' WHERE id = 1"));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_NE(keys[0], keys[1]);
}

TEST_F(ChangesetKeysTest, CompositePrimaryKeyDistinguishesEveryColumn) {
  const std::vector<std::string> keys = KeysOf(ChangesetOf("UPDATE pairs SET v = 1 WHERE a = 'k'"));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_NE(keys[0], keys[1]);
}

TEST_F(ChangesetKeysTest, NonKeyColumnsDoNotChangeTheKey) {
  const std::vector<std::string> one =
      KeysOf(ChangesetOf("UPDATE accounts SET balance = 7 WHERE id = 1"));
  const std::vector<std::string> other =
      KeysOf(ChangesetOf("UPDATE accounts SET balance = 8 WHERE id = 1"));
  EXPECT_EQ(one, other);
}

TEST_F(ChangesetKeysTest, EmptyChangesetHasNoKeys) {
  StatusOr<std::vector<std::string>> keys = ChangesetKeys("");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_TRUE(keys->empty());
  StatusOr<size_t> size = ChangesetSize("");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 0u);
}

TEST_F(ChangesetKeysTest, GarbageIsCorruption) {
  EXPECT_TRUE(ChangesetKeys("this is not a changeset").status().IsCorruption());
  EXPECT_TRUE(ChangesetSize("this is not a changeset").status().IsCorruption());
}

TEST_F(ChangesetKeysTest, ChangesetCutInsideItsTableHeaderIsCorruption) {
  // libsqlite3 3.40.1's sqlite3changeset_next() never returns on these bytes;
  // ValidateChangeset refuses them first (changeset_format_test.cc covers more).
  const std::string changeset = ChangesetOf("UPDATE accounts SET balance = 0 WHERE id = 1");
  const std::string cut = changeset.substr(0, changeset.find("accounts") + 4);
  EXPECT_TRUE(ChangesetKeys(cut).status().IsCorruption());
  EXPECT_TRUE(ChangesetSize(cut).status().IsCorruption());
}

}  // namespace
}  // namespace twopc::participant
