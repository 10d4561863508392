#include "participant/locking_read.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "participant/changeset_keys.h"
#include "participant/sqlite_session.h"
#include "tests/participant/changeset_capture.h"

namespace twopc::participant {
namespace {

// --- the suffix ---

struct Split {
  std::string sql;
  std::optional<LockMode> lock;
};

Split SplitOf(const std::string& sql) {
  const LockingSuffix suffix = SplitLockingSuffix(sql);
  return Split{sql.substr(0, suffix.length), suffix.lock};
}

TEST(SplitLockingSuffix, TakesOffForUpdateAndForShareInAnyCaseAndSpacing) {
  Split update = SplitOf("SELECT id FROM t WHERE id = 1 FOR UPDATE");
  EXPECT_EQ(update.sql, "SELECT id FROM t WHERE id = 1");
  EXPECT_EQ(update.lock, LockMode::kExclusive);
  Split share = SplitOf("SELECT id FROM t\n  for\tshare ;; \n");
  EXPECT_EQ(share.sql, "SELECT id FROM t");
  EXPECT_EQ(share.lock, LockMode::kShared);
  EXPECT_EQ(SplitOf("select id from t For Update").lock, LockMode::kExclusive);
  Split commented = SplitOf("SELECT id FROM t /* why */ FOR UPDATE -- lock it\n");
  EXPECT_EQ(commented.sql, "SELECT id FROM t /* why */");
  EXPECT_EQ(commented.lock, LockMode::kExclusive);
}

TEST(SplitLockingSuffix, LeavesEverythingElseAlone) {
  for (const std::string sql : {"SELECT id FROM t",
                                "UPDATE t SET x = 1",
                                "SELECT 'for update'",
                                "SELECT x AS forupdate",
                                "SELECT x FROM t_for update",
                                "SELECT x FROM t WHERE y = \"for\" update",
                                "FOR UPDATE",
                                "SELECT x FROM t FORUPDATE",
                                "",
                                "   ",
                                "update",
                                "SELECT x FROM t WHERE x = 1 FOR",
                                "UPDATE t SET x = 1 WHERE id = 1 -- for update",
                                "SELECT id FROM t WHERE id = 2 -- why not for share",
                                "SELECT id FROM t -- for\nshare",
                                "SELECT id FROM t /* for update */",
                                "SELECT id FROM t; FOR SHARE",
                                "SELECT 'it''s for update'",
                                "SELECT [for] update",
                                "SELECT id FROM t WHERE name = 'x' || ' for share'"}) {
    const Split split = SplitOf(sql);
    EXPECT_EQ(split.sql, sql);
    EXPECT_EQ(split.lock, std::nullopt) << sql;
  }
}

// --- the rows' keys ---

class LockingReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    test::ExecOn(db_,
                 "CREATE TABLE accounts(id INTEGER PRIMARY KEY, owner TEXT, balance INTEGER);"
                 "CREATE INDEX by_owner ON accounts(owner);"
                 "CREATE TABLE ledger(tag TEXT PRIMARY KEY, delta INTEGER NOT NULL);"
                 "CREATE TABLE pairs(a TEXT, b BLOB, v INTEGER, PRIMARY KEY (b, a)) WITHOUT ROWID;"
                 "CREATE TABLE bare(x INTEGER);"
                 "CREATE VIEW rich AS SELECT id AS account, balance FROM accounts "
                 "WHERE balance > 10;"
                 "INSERT INTO accounts VALUES (1, 'ann', 100), (2, 'bob', 50), (3, 'cy', 5);"
                 "INSERT INTO ledger VALUES ('t1', 5), ('t2', -5);"
                 "INSERT INTO pairs VALUES ('k', X'01', 0), ('k', X'02', 0);"
                 "INSERT INTO bare VALUES (1);");
  }
  void TearDown() override { sqlite3_close(db_); }

  // The lock keys of the rows sql returns, or the reason it was refused.
  StatusOr<std::vector<std::string>> KeysRead(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return Status::InvalidArgument(sqlite3_errmsg(db_));
    }
    std::vector<std::string> keys;
    StatusOr<RowKeyColumns> columns = FindRowKeyColumns(db_, stmt);
    Status status = columns.status();
    while (status.ok() && sqlite3_step(stmt) == SQLITE_ROW) {
      StatusOr<std::string> key = RowKeyOf(stmt, *columns);
      status = key.status();
      if (key.ok()) keys.push_back(*key);
    }
    sqlite3_finalize(stmt);
    if (!status.ok()) return status;
    return keys;
  }

  // The lock keys of the rows sql writes.
  std::vector<std::string> KeysWritten(const std::string& sql) {
    StatusOr<std::vector<std::string>> keys = ChangesetKeys(test::ChangesetOf(db_, sql));
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return keys.ok() ? *keys : std::vector<std::string>{};
  }

  sqlite3* db_ = nullptr;
};

TEST_F(LockingReadTest, ARowReadLocksTheSameKeyAsAWriteOfIt) {
  // Key columns in any order and place in the result, any key type.
  const struct {
    const char* read;
    const char* write;
  } same_row[] = {
      {"SELECT balance, id FROM accounts WHERE owner = 'bob'",
       "UPDATE accounts SET balance = 0 WHERE id = 2"},
      {"SELECT * FROM ledger WHERE tag = 't2'", "UPDATE ledger SET delta = 0 WHERE tag = 't2'"},
      {"SELECT v, a, b FROM pairs WHERE b = X'02'", "DELETE FROM pairs WHERE b = X'02'"},
      {"SELECT rowid FROM accounts WHERE id = 3", "DELETE FROM accounts WHERE id = 3"},
      {"SELECT account FROM rich WHERE balance = 100", "DELETE FROM accounts WHERE id = 1"},
  };
  for (const auto& c : same_row) {
    StatusOr<std::vector<std::string>> read = KeysRead(c.read);
    ASSERT_TRUE(read.ok()) << c.read << ": " << read.status().ToString();
    EXPECT_EQ(*read, KeysWritten(c.write)) << c.read;
  }
}

TEST_F(LockingReadTest, OneTablePlansAreAccepted) {
  for (const char* sql : {
           "SELECT id FROM accounts WHERE owner = 'ann' OR id = 3",  // MULTI-INDEX OR
           "SELECT id FROM accounts WHERE id IN (1, 2, 3)",
           "SELECT DISTINCT id FROM accounts ORDER BY balance DESC LIMIT 2",
       }) {
    StatusOr<std::vector<std::string>> keys = KeysRead(sql);
    ASSERT_TRUE(keys.ok()) << sql << ": " << keys.status().ToString();
    EXPECT_FALSE(keys->empty()) << sql;
  }
}

TEST_F(LockingReadTest, ResultsThatDoNotNameTheirRowsAreRefusedWithAReason) {
  const struct {
    const char* sql;
    const char* reason;
  } refused[] = {
      {"SELECT owner FROM accounts", "lacks the key column 'id' of table 'accounts'"},
      {"SELECT a FROM pairs", "lacks the key column 'b'"},
      {"SELECT id, sum(balance) FROM accounts GROUP BY id", "aggregate"},
      {"SELECT count(*) FROM accounts", "no column of its result"},
      {"SELECT id, row_number() OVER () FROM accounts", "subquery"},
      {"SELECT accounts.id FROM accounts JOIN ledger", "more than one table"},
      {"SELECT id FROM accounts UNION SELECT id FROM accounts", "compound"},
      {"SELECT id FROM accounts WHERE balance > (SELECT avg(balance) FROM accounts)", "subquery"},
      {"WITH c AS MATERIALIZED (SELECT id FROM accounts) SELECT id FROM c", "subquery"},
      {"SELECT 1", "no column of its result is a table's column"},
      {"SELECT x FROM bare", "table 'bare' has no PRIMARY KEY"},
  };
  for (const auto& c : refused) {
    StatusOr<std::vector<std::string>> keys = KeysRead(c.sql);
    ASSERT_FALSE(keys.ok()) << c.sql;
    EXPECT_TRUE(keys.status().IsAborted()) << c.sql;
    EXPECT_NE(keys.status().message().find(c.reason), std::string::npos)
        << c.sql << ": " << keys.status().message();
  }
}

TEST_F(LockingReadTest, ARowWithANullKeyCannotBeLocked) {
  test::ExecOn(db_, "INSERT INTO ledger VALUES (NULL, 1)");
  StatusOr<std::vector<std::string>> keys = KeysRead("SELECT tag FROM ledger WHERE tag IS NULL");
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.status().message().find("PRIMARY KEY is NULL"), std::string::npos)
      << keys.status().message();
}

}  // namespace
}  // namespace twopc::participant
