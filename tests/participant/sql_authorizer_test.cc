#include "participant/sql_authorizer.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "participant/sqlite_session.h"

namespace twopc::participant {
namespace {

bool Allowed(SqlMode mode, int action, const char* arg1, const char* arg2 = nullptr) {
  return AuthorizeAction(mode, action, arg1, arg2).empty();
}

std::string Reason(SqlMode mode, int action, const char* arg1, const char* arg2 = nullptr) {
  return AuthorizeAction(mode, action, arg1, arg2);
}

TEST(SqlAuthorizer, BranchMayReadAndWriteUserTables) {
  EXPECT_TRUE(Allowed(SqlMode::kBranch, SQLITE_SELECT, nullptr));
  EXPECT_TRUE(Allowed(SqlMode::kBranch, SQLITE_READ, "accounts", "balance"));
  EXPECT_TRUE(Allowed(SqlMode::kBranch, SQLITE_INSERT, "accounts"));
  EXPECT_TRUE(Allowed(SqlMode::kBranch, SQLITE_UPDATE, "accounts", "balance"));
  EXPECT_TRUE(Allowed(SqlMode::kBranch, SQLITE_DELETE, "accounts"));
}

TEST(SqlAuthorizer, QueryMayRead) {
  EXPECT_TRUE(Allowed(SqlMode::kQuery, SQLITE_SELECT, nullptr));
  EXPECT_TRUE(Allowed(SqlMode::kQuery, SQLITE_READ, "accounts", "balance"));
  EXPECT_TRUE(Allowed(SqlMode::kQuery, SQLITE_FUNCTION, nullptr, "sum"));
}

TEST(SqlAuthorizer, QueryMayNotWrite) {
  for (int action : {SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE}) {
    const std::string reason = Reason(SqlMode::kQuery, action, "accounts");
    EXPECT_NE(reason.find("only read"), std::string::npos) << action << ": " << reason;
  }
}

TEST(SqlAuthorizer, TableInfoPragmasAreAllowed) {
  EXPECT_TRUE(Allowed(SqlMode::kBranch, SQLITE_PRAGMA, "table_info", "accounts"));
  EXPECT_TRUE(Allowed(SqlMode::kBranch, SQLITE_PRAGMA, "TABLE_INFO", "accounts"));
  EXPECT_TRUE(Allowed(SqlMode::kBranch, SQLITE_PRAGMA, "table_xinfo", "accounts"));
}

TEST(SqlAuthorizer, OtherPragmasAreRefusedByName) {
  const std::string reason = Reason(SqlMode::kBranch, SQLITE_PRAGMA, "journal_mode", "delete");
  EXPECT_NE(reason.find("journal_mode"), std::string::npos) << reason;
  EXPECT_FALSE(Allowed(SqlMode::kBranch, SQLITE_PRAGMA, "writable_schema", "1"));
  EXPECT_FALSE(Allowed(SqlMode::kQuery, SQLITE_PRAGMA, "synchronous", nullptr));
  EXPECT_FALSE(Allowed(SqlMode::kBranch, SQLITE_PRAGMA, nullptr));
}

TEST(SqlAuthorizer, AttachAndDetachAreRefused) {
  EXPECT_NE(Reason(SqlMode::kBranch, SQLITE_ATTACH, "/tmp/other.db").find("ATTACH"),
            std::string::npos);
  EXPECT_FALSE(Allowed(SqlMode::kBranch, SQLITE_DETACH, "other"));
  EXPECT_FALSE(Allowed(SqlMode::kQuery, SQLITE_ATTACH, "/tmp/other.db"));
}

TEST(SqlAuthorizer, TransactionControlIsRefused) {
  const std::string reason = Reason(SqlMode::kBranch, SQLITE_TRANSACTION, "COMMIT");
  EXPECT_NE(reason.find("transaction control"), std::string::npos) << reason;
  EXPECT_FALSE(Allowed(SqlMode::kBranch, SQLITE_TRANSACTION, "BEGIN"));
  EXPECT_FALSE(Allowed(SqlMode::kBranch, SQLITE_SAVEPOINT, "BEGIN", "sp"));
  EXPECT_FALSE(Allowed(SqlMode::kQuery, SQLITE_TRANSACTION, "ROLLBACK"));
}

TEST(SqlAuthorizer, SchemaChangesAreRefused) {
  for (int action : {SQLITE_CREATE_TABLE, SQLITE_DROP_TABLE, SQLITE_CREATE_INDEX, SQLITE_DROP_INDEX,
                     SQLITE_ALTER_TABLE, SQLITE_CREATE_TRIGGER, SQLITE_CREATE_VIEW,
                     SQLITE_CREATE_TEMP_TABLE, SQLITE_REINDEX, SQLITE_ANALYZE}) {
    const std::string reason = Reason(SqlMode::kBranch, action, "t");
    EXPECT_NE(reason.find("schema changes"), std::string::npos) << action << ": " << reason;
  }
}

TEST(SqlAuthorizer, WritingTheBookkeepingTableIsRefused) {
  for (int action : {SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE}) {
    const std::string reason = Reason(SqlMode::kBranch, action, "_twopc_applied");
    EXPECT_NE(reason.find("_twopc_applied"), std::string::npos) << action << ": " << reason;
  }
  EXPECT_FALSE(Allowed(SqlMode::kBranch, SQLITE_DELETE, "_TWOPC_APPLIED"));
}

TEST(SqlAuthorizer, WritingTheSchemaTableIsRefused) {
  EXPECT_FALSE(Allowed(SqlMode::kBranch, SQLITE_INSERT, "sqlite_master"));
  EXPECT_FALSE(Allowed(SqlMode::kBranch, SQLITE_UPDATE, "sqlite_schema", "sql"));
  EXPECT_FALSE(Allowed(SqlMode::kBranch, SQLITE_DELETE, "SQLITE_MASTER"));
  EXPECT_FALSE(Allowed(SqlMode::kBranch, SQLITE_DELETE, "sqlite_sequence"));
}

TEST(SqlAuthorizer, LoadExtensionIsRefusedOtherFunctionsAllowed) {
  EXPECT_NE(
      Reason(SqlMode::kBranch, SQLITE_FUNCTION, nullptr, "load_extension").find("load_extension"),
      std::string::npos);
  EXPECT_FALSE(Allowed(SqlMode::kQuery, SQLITE_FUNCTION, nullptr, "LOAD_EXTENSION"));
  EXPECT_TRUE(Allowed(SqlMode::kBranch, SQLITE_FUNCTION, nullptr, "abs"));
}

TEST(SqlAuthorizer, FunctionsThatHandOutOrTakePointersAreRefused) {
  EXPECT_EQ(Reason(SqlMode::kBranch, SQLITE_FUNCTION, nullptr, "fts3_tokenizer"),
            "fts3_tokenizer() is not allowed");
  EXPECT_EQ(Reason(SqlMode::kQuery, SQLITE_FUNCTION, nullptr, "FTS3_Tokenizer"),
            "fts3_tokenizer() is not allowed");
  EXPECT_EQ(Reason(SqlMode::kBranch, SQLITE_FUNCTION, nullptr, "fts5"), "fts5() is not allowed");
  EXPECT_TRUE(Allowed(SqlMode::kBranch, SQLITE_FUNCTION, nullptr, "fts5_source_id"));
  EXPECT_TRUE(Allowed(SqlMode::kBranch, SQLITE_FUNCTION, nullptr, "zeroblob"));
}

// The policy installed on a real connection, enforced while a run is active.
class ConnectionAuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    ASSERT_EQ(Exec("CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER)"), SQLITE_OK);
    authorizer_ = std::make_unique<ConnectionAuthorizer>(db_);
  }
  void TearDown() override {
    authorizer_.reset();
    sqlite3_close(db_);
  }
  int Exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

  sqlite3* db_ = nullptr;
  std::unique_ptr<ConnectionAuthorizer> authorizer_;
};

TEST_F(ConnectionAuthorizerTest, RecordsTablesWrittenInABranch) {
  AuthorizerState state;
  ConnectionAuthorizer::Active guard(authorizer_.get(), &state);
  EXPECT_EQ(Exec("INSERT INTO accounts VALUES (1, 10)"), SQLITE_OK);
  EXPECT_EQ(state.tables_written, std::set<std::string>{"accounts"});
  EXPECT_TRUE(state.denial.empty());
}

TEST_F(ConnectionAuthorizerTest, RefusedStatementFailsAndKeepsTheFirstReason) {
  AuthorizerState state;
  ConnectionAuthorizer::Active guard(authorizer_.get(), &state);
  EXPECT_EQ(Exec("DROP TABLE accounts"), SQLITE_AUTH);
  EXPECT_EQ(Exec("PRAGMA journal_mode"), SQLITE_AUTH);
  EXPECT_NE(state.denial.find("schema changes"), std::string::npos) << state.denial;
}

// Each refused class, as real SQL on a connection, with the reason the client gets.
TEST_F(ConnectionAuthorizerTest, EachRefusedClassFailsOnARealConnectionWithItsReason) {
  ASSERT_EQ(Exec("CREATE TABLE _twopc_applied(txid INTEGER PRIMARY KEY, applied_at INTEGER)"),
            SQLITE_OK);
  ASSERT_EQ(Exec("ATTACH ':memory:' AS attached"), SQLITE_OK);  // for the DETACH case
  const struct {
    const char* sql;
    const char* reason;
  } cases[] = {
      {"ATTACH ':memory:' AS other", "ATTACH and DETACH are not allowed"},
      {"DETACH attached", "ATTACH and DETACH are not allowed"},
      {"SELECT load_extension('/tmp/evil.so')", "load_extension() is not allowed"},
      {"SELECT fts3_tokenizer('simple')", "fts3_tokenizer() is not allowed"},
      {"SELECT fts3_tokenizer('mine', x'0000000000000000')", "fts3_tokenizer() is not allowed"},
      {"PRAGMA synchronous = OFF", "PRAGMA 'synchronous' is not allowed"},
      {"PRAGMA journal_mode = DELETE", "PRAGMA 'journal_mode' is not allowed"},
      {"PRAGMA main.locking_mode = EXCLUSIVE", "PRAGMA 'locking_mode' is not allowed"},
      {"INSERT INTO _twopc_applied VALUES (1, 0)", "writing the internal table '_twopc_applied'"},
      {"DELETE FROM _twopc_applied", "writing the internal table '_twopc_applied'"},
      {"BEGIN", "transaction control"},
      {"CREATE TABLE t(id INTEGER PRIMARY KEY)", "schema changes"},
  };
  for (const auto& c : cases) {
    AuthorizerState state;
    ConnectionAuthorizer::Active guard(authorizer_.get(), &state);
    // SQLITE_AUTH, or SQLITE_ERROR for a denied function.
    EXPECT_NE(Exec(c.sql), SQLITE_OK) << c.sql;
    EXPECT_NE(state.denial.find(c.reason), std::string::npos) << c.sql << ": " << state.denial;
  }
  // Reads and writes of user tables pass, reading the bookkeeping table too.
  AuthorizerState state;
  ConnectionAuthorizer::Active guard(authorizer_.get(), &state);
  EXPECT_EQ(Exec("INSERT INTO accounts VALUES (1, 10); UPDATE accounts SET balance = 11; "
                 "SELECT * FROM accounts; SELECT COUNT(*) FROM _twopc_applied; "
                 "DELETE FROM accounts"),
            SQLITE_OK)
      << state.denial;
}

TEST_F(ConnectionAuthorizerTest, QueryModeRefusesWritesOnTheConnection) {
  AuthorizerState state;
  state.mode = SqlMode::kQuery;
  ConnectionAuthorizer::Active guard(authorizer_.get(), &state);
  EXPECT_EQ(Exec("UPDATE accounts SET balance = 0"), SQLITE_AUTH);
  EXPECT_EQ(Exec("SELECT * FROM accounts"), SQLITE_OK);
}

TEST_F(ConnectionAuthorizerTest, PolicyIsNotEnforcedOnceTheRunEnds) {
  {
    AuthorizerState state;
    ConnectionAuthorizer::Active guard(authorizer_.get(), &state);
    ASSERT_EQ(Exec("CREATE TABLE other(id INTEGER PRIMARY KEY)"), SQLITE_AUTH);
  }
  EXPECT_EQ(Exec("CREATE TABLE other(id INTEGER PRIMARY KEY)"), SQLITE_OK);
}

}  // namespace
}  // namespace twopc::participant
