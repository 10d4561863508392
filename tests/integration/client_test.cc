// twopc::Client and twopc::ParticipantClient against a real cluster: txcoord
// and two txpart on 127.0.0.1, checked against the SQLite files themselves.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <thread>

#include "tests/integration/cluster.h"
#include "twopc/client.h"

namespace twopc::testing {
namespace {

constexpr int kAccounts = 10;
constexpr int64_t kBalance = 1000;
constexpr char kDebit[] = "UPDATE accounts SET balance = balance - ? WHERE id = ?";
constexpr char kCredit[] = "UPDATE accounts SET balance = balance + ? WHERE id = ?";

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<Cluster>(dir_.path());
    Cluster::Options options;
    options.participants = 2;
    options.accounts = kAccounts;
    options.balance = kBalance;
    options.schema_sql =
        "CREATE TABLE kv(id INTEGER PRIMARY KEY NOT NULL, i INTEGER, r REAL, t TEXT, b BLOB, "
        "n INTEGER);";
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }

  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  ClientOptions CoordinatorOptions() const {
    return ClientOptions{cluster_->coordinator_address()};
  }

  static Transaction Transfer(int64_t amount, int from_id, int to_id) {
    Transaction transaction;
    transaction.AddExpecting("p0", 1, kDebit, {amount, from_id})
        .AddExpecting("p1", 1, kCredit, {amount, to_id});
    return transaction;
  }

  TempDir dir_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(ClientTest, TransferWithBoundParametersCommitsOnBothDatabases) {
  Client client(CoordinatorOptions());
  const ExecuteResult result = client.Execute(Transfer(7, 1, 2), ExecuteOptions{0, true, 0});
  ASSERT_EQ(result.outcome, Outcome::kCommitted) << result.reason;
  EXPECT_GT(result.txid, 0);
  ASSERT_EQ(result.branches.size(), 2u);
  EXPECT_EQ(result.branches[0].participant, "p0");
  EXPECT_EQ(result.branches[0].changes, std::vector<int64_t>{1});
  EXPECT_EQ(result.branches[1].changes, std::vector<int64_t>{1});
  EXPECT_EQ(cluster_->Balance(0, 1), kBalance - 7);
  EXPECT_EQ(cluster_->Balance(1, 2), kBalance + 7);
  EXPECT_EQ(client.Status(result.txid), Outcome::kCommitted);
  EXPECT_EQ(client.Health().role, "coordinator");
}

TEST_F(ClientTest, RowsABranchReadComeBackPerStatementWithItsOwnWrites) {
  Client client(CoordinatorOptions());
  Transaction transaction;
  transaction.Add("p0", "SELECT id, balance FROM accounts WHERE id IN (?, ?) ORDER BY id", {1, 2})
      .Add("p0", kDebit, {30, 1})
      .Add("p0", "SELECT balance FROM accounts WHERE id = ?", {1})
      .Add("p1", kCredit, {30, 1});
  const ExecuteResult result = client.Execute(transaction, ExecuteOptions{0, true, 0});
  ASSERT_EQ(result.outcome, Outcome::kCommitted) << result.reason;
  ASSERT_EQ(result.branches.size(), 2u);
  const std::vector<QueryResult>& reads = result.branches[0].rows;
  ASSERT_EQ(reads.size(), 3u);
  EXPECT_EQ(reads[0].columns, (std::vector<std::string>{"id", "balance"}));
  ASSERT_EQ(reads[0].rows.size(), 2u);
  EXPECT_EQ(reads[0].rows[0][0].integer(), 1);
  EXPECT_EQ(reads[0].rows[0][1].integer(), kBalance);
  EXPECT_EQ(reads[0].rows[1][0].integer(), 2);
  EXPECT_TRUE(reads[1].columns.empty());  // the write
  ASSERT_EQ(reads[2].rows.size(), 1u);
  EXPECT_EQ(reads[2].rows[0][0].integer(), kBalance - 30);  // after its own debit
  EXPECT_TRUE(result.branches[1].rows.empty()) << "a branch of writes reads nothing";
  EXPECT_EQ(cluster_->Balance(0, 1), kBalance - 30);
}

TEST_F(ClientTest, AbortIsAnOutcomeWithItsReasonAndChangesNothing) {
  Client client(CoordinatorOptions());
  // Account 99 does not exist: the credit changes 0 rows, not the 1 expected.
  const ExecuteResult result = client.Execute(Transfer(5, 1, 99), ExecuteOptions{0, true, 0});
  EXPECT_EQ(result.outcome, Outcome::kAborted);
  EXPECT_NE(result.reason.find("p1"), std::string::npos) << result.reason;
  EXPECT_EQ(client.Status(result.txid), Outcome::kAborted);
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, 30000));
  EXPECT_EQ(ReadBalances(cluster_->db_path(0)), std::vector<int64_t>(kAccounts, kBalance));
  EXPECT_EQ(ReadBalances(cluster_->db_path(1)), std::vector<int64_t>(kAccounts, kBalance));
}

TEST_F(ClientTest, RefusedRequestThrowsTheServiceErrorCode) {
  Client client(CoordinatorOptions());
  Transaction transaction;
  transaction.Add("px", kDebit, {1, 1});
  try {
    client.Execute(transaction);
    FAIL() << "an unknown participant was accepted";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnknownParticipant) << e.what();
    EXPECT_NE(e.detail().find("px"), std::string::npos) << e.detail();
  }
  // The refusal left the connection usable.
  EXPECT_TRUE(client.Execute(Transfer(1, 0, 0), ExecuteOptions{0, true, 0}).committed());
}

TEST_F(ClientTest, EveryValueKindIsBoundAndReadBack) {
  Client client(CoordinatorOptions());
  const std::string blob("\x00\xff\x10", 3);
  Transaction insert;
  insert.Add("p0", "INSERT INTO kv(id, i, r, t, b, n) VALUES (?, ?, ?, ?, ?, ?)",
             {1, int64_t{1} << 40, 0.5, "tab\there", Value::Blob(blob), nullptr});
  const ExecuteResult result = client.Execute(insert, ExecuteOptions{0, true, 0});
  ASSERT_TRUE(result.committed()) << result.reason;

  ParticipantClient participant(ClientOptions{cluster_->participant_address(0)});
  const QueryResult rows = participant.Query("SELECT i, r, t, b, n FROM kv WHERE id = ?", {1});
  EXPECT_EQ(rows.columns, (std::vector<std::string>{"i", "r", "t", "b", "n"}));
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(rows.rows[0], (std::vector<Value>{Value(int64_t{1} << 40), Value(0.5),
                                              Value("tab\there"), Value::Blob(blob), Value()}));
  EXPECT_EQ(participant.Health().name, "p0");
  EXPECT_TRUE(participant.ListPrepared().empty());
}

TEST_F(ClientTest, QueryThatWritesIsRefused) {
  ParticipantClient participant(ClientOptions{cluster_->participant_address(0)});
  try {
    participant.Query("DELETE FROM accounts");
    FAIL() << "a write was accepted";
  } catch (const ClientError& e) {
    EXPECT_TRUE(e.refused_by_service()) << e.what();
  }
  EXPECT_EQ(ReadBalances(cluster_->db_path(0)).size(), static_cast<size_t>(kAccounts));
}

TEST_F(ClientTest, UnreachableServiceIsUnavailable) {
  const std::string address = "127.0.0.1:" + std::to_string(FreePorts(1)[0]);
  Client client(ClientOptions{address});
  try {
    client.Execute(Transfer(1, 1, 2));
    FAIL() << "nothing listens there";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
    EXPECT_NE(std::string(e.what()).find(address), std::string::npos) << e.what();
  }
}

TEST_F(ClientTest, ReconnectsAfterTheCoordinatorRestarted) {
  Client client(CoordinatorOptions());
  ASSERT_TRUE(client.Execute(Transfer(1, 1, 2), ExecuteOptions{0, true, 0}).committed());
  std::string error;
  ASSERT_TRUE(cluster_->RestartCoordinator(&error)) << error;
  // The kept connection is dead; the client notices before sending and connects anew.
  const ExecuteResult result = client.Execute(Transfer(2, 1, 2), ExecuteOptions{0, true, 0});
  EXPECT_TRUE(result.committed()) << result.reason;
  EXPECT_EQ(cluster_->Balance(0, 1), kBalance - 3);
  EXPECT_EQ(cluster_->Balance(1, 2), kBalance + 3);
}

TEST_F(ClientTest, OneClientServesConcurrentCallers) {
  Client client(CoordinatorOptions());
  constexpr int kThreads = 4;
  constexpr int kTransfersEach = 10;
  std::atomic<int> committed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTransfersEach; ++i) {
        // Each thread its own accounts: no lock conflicts between them.
        try {
          if (client.Execute(Transfer(1, t, t), ExecuteOptions{0, true, 0}).committed())
            ++committed;
        } catch (const ClientError& e) {
          std::cerr << "thread " << t << ": " << e.what() << "\n";
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(committed.load(), kThreads * kTransfersEach);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(cluster_->Balance(0, t), kBalance - kTransfersEach);
    EXPECT_EQ(cluster_->Balance(1, t), kBalance + kTransfersEach);
  }
}

}  // namespace
}  // namespace twopc::testing
