#include "participant/statement_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace twopc::participant {
namespace {

class StatementCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK); }
  void TearDown() override {
    cache_.reset();
    EXPECT_EQ(sqlite3_close(db_), SQLITE_OK) << "a statement was left unfinalized";
  }
  StatementCache& cache(size_t capacity) {
    cache_ = std::make_unique<StatementCache>(db_, capacity);
    return *cache_;
  }

  sqlite3* db_ = nullptr;
  std::unique_ptr<StatementCache> cache_;
};

TEST_F(StatementCacheTest, CompilesOnceAndHandsOutTheSameStatement) {
  StatementCache& statements = cache(4);
  sqlite3_stmt* first = statements.Get("SELECT 1");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(statements.Get("SELECT 1"), first);
  EXPECT_EQ(statements.size(), 1u);
}

TEST_F(StatementCacheTest, TheLeastRecentlyUsedGoesAtCapacity) {
  StatementCache& statements = cache(2);
  ASSERT_NE(statements.Get("SELECT 1"), nullptr);
  ASSERT_NE(statements.Get("SELECT 2"), nullptr);
  ASSERT_NE(statements.Get("SELECT 1"), nullptr);  // now the most recent
  ASSERT_NE(statements.Get("SELECT 3"), nullptr);
  EXPECT_EQ(statements.size(), 2u);
  EXPECT_NE(statements.Find("SELECT 1"), nullptr);
  EXPECT_EQ(statements.Find("SELECT 2"), nullptr);
  EXPECT_NE(statements.Find("SELECT 3"), nullptr);
}

TEST_F(StatementCacheTest, SqlThatDoesNotCompileIsNotCached) {
  StatementCache& statements = cache(4);
  EXPECT_EQ(statements.Get("SELEC 1"), nullptr);
  EXPECT_NE(std::string(sqlite3_errmsg(db_)).find("syntax error"), std::string::npos);
  EXPECT_EQ(statements.size(), 0u);
}

TEST_F(StatementCacheTest, ALeaseResetsTheStatementAndClearsItsParameters) {
  StatementCache& statements = cache(4);
  sqlite3_stmt* stmt = statements.Get("SELECT ?1");
  ASSERT_NE(stmt, nullptr);
  {
    StatementLease lease(stmt);
    sqlite3_bind_int(stmt, 1, 42);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 42);
    EXPECT_TRUE(sqlite3_stmt_busy(stmt));
  }
  EXPECT_FALSE(sqlite3_stmt_busy(stmt));
  StatementLease lease(stmt);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_type(stmt, 0), SQLITE_NULL);
}

TEST_F(StatementCacheTest, AnEntryKeepsWhatWasRecordedBesideIt) {
  StatementCache& statements = cache(4);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db_, "SELECT 2", -1, &stmt, nullptr), SQLITE_OK);
  statements.Insert("SELECT 2", StatementCache::Entry{stmt, {"accounts"}});
  const StatementCache::Entry* entry = statements.Find("SELECT 2");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->stmt, stmt);
  EXPECT_EQ(entry->tables_written, (std::set<std::string>{"accounts"}));
}

}  // namespace
}  // namespace twopc::participant
