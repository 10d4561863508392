// The schema most SQLite users write, through a real cluster: a TEXT PRIMARY
// KEY that allows NULL, as `CREATE TABLE ledger(tag TEXT PRIMARY KEY, ...)`
// declares it, commits on every participant (UPSERT included); only a row
// whose key is NULL is refused, with the table named.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>

#include "tests/integration/cluster.h"

namespace twopc::testing {
namespace {

constexpr char kLedger[] = "CREATE TABLE ledger(tag TEXT PRIMARY KEY, delta INTEGER NOT NULL);";

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class OrdinarySchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<Cluster>(dir_.path());
    Cluster::Options options;
    options.schema_sql = kLedger;
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }

  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  // The ledger's delta for `tag` at participant i, read from its file.
  std::optional<int64_t> Delta(int i, const std::string& tag) const {
    return QueryInt(cluster_->db_path(i), "SELECT delta FROM ledger WHERE tag = '" + tag + "'");
  }

  TempDir dir_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(OrdinarySchemaTest, ALedgerWithATextKeyCommitsOnEveryParticipant) {
  const std::string upsert = " ON CONFLICT(tag) DO UPDATE SET delta = delta + excluded.delta";
  for (int round = 0; round < 2; ++round) {
    const RunResult run =
        cluster_->Exec({{"p0",
                         "UPDATE accounts SET balance = balance - 5 WHERE id = 1; "
                         "INSERT INTO ledger VALUES ('transfer-1', -5)" +
                             upsert},
                        {"p1",
                         "UPDATE accounts SET balance = balance + 5 WHERE id = 1; "
                         "INSERT INTO ledger VALUES ('transfer-1', 5)" +
                             upsert}});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_TRUE(Contains(run.out, "COMMITTED")) << run.out;
  }
  EXPECT_EQ(Delta(0, "transfer-1"), -10);
  EXPECT_EQ(Delta(1, "transfer-1"), 10);
}

TEST_F(OrdinarySchemaTest, ARowWithANullKeyIsRefusedNamingTheTable) {
  const RunResult run = cluster_->Exec({{"p0", "INSERT INTO ledger VALUES ('fine', 1)"},
                                        {"p1", "INSERT INTO ledger VALUES (NULL, 1)"}});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(Contains(run.out,
                       "ABORTED: participant p1: table 'ledger': a row whose PRIMARY "
                       "KEY is NULL cannot be captured for a crash-safe commit"))
      << run.out;
  EXPECT_EQ(QueryInt(cluster_->db_path(0), "SELECT count(*) FROM ledger"), 0);
  EXPECT_EQ(QueryInt(cluster_->db_path(1), "SELECT count(*) FROM ledger"), 0);
}

}  // namespace
}  // namespace twopc::testing
