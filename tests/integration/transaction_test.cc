// Transactions through a real cluster: txctl -> txcoord -> txpart x2 on
// 127.0.0.1, checked against the SQLite files themselves.
#include <gtest/gtest.h>

#include <iostream>
#include <limits>
#include <memory>
#include <thread>

#include "tests/integration/cluster.h"

namespace twopc::testing {
namespace {

constexpr int kAccounts = 10;
constexpr int64_t kBalance = 1000;
// Bound on waiting for prepared state to be released (a deadline, not a timing).
constexpr int kReleaseDeadlineMs = 30000;

std::string Credit(int id, int amount) {
  return "UPDATE accounts SET balance = balance + " + std::to_string(amount) +
         " WHERE id = " + std::to_string(id);
}
std::string Debit(int id, int amount) { return Credit(id, -amount); }

// The txid at the start of an exec's output line.
int64_t TxidOf(const RunResult& run) {
  const size_t space = run.out.find(' ');
  if (space == std::string::npos || space == 0) return -1;
  try {
    return std::stoll(run.out.substr(0, space));
  } catch (const std::exception&) {
    return -1;
  }
}

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<Cluster>(dir_.path());
    Cluster::Options options;
    options.participants = 2;
    options.accounts = kAccounts;
    options.balance = kBalance;
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }

  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  std::vector<int64_t> Untouched() const { return std::vector<int64_t>(kAccounts, kBalance); }

  // True once the participant answers and holds nothing prepared.
  bool NothingPrepared(int participant) const {
    const auto prepared = ListPrepared(cluster_->participant_address(participant));
    return prepared.has_value() && prepared->empty();
  }

  void ExpectReleasedAndUntouched(int participant) {
    EXPECT_TRUE(WaitFor([&] { return NothingPrepared(participant); }, kReleaseDeadlineMs))
        << cluster_->participant_name(participant) << " still holds a prepared transaction";
    EXPECT_EQ(ReadBalances(cluster_->db_path(participant)), Untouched())
        << cluster_->participant_name(participant) << " changed";
  }

  TempDir dir_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(TransactionTest, TwoBranchCommitIsVisibleOnBothDatabases) {
  const RunResult run = cluster_->Exec({{"p0", Debit(1, 7)}, {"p1", Credit(2, 7)}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_GT(TxidOf(run), 0) << run.out;
  EXPECT_EQ(run.out, std::to_string(TxidOf(run)) + " COMMITTED\n");
  EXPECT_EQ(cluster_->Balance(0, 1), kBalance - 7);
  EXPECT_EQ(cluster_->Balance(1, 2), kBalance + 7);
  // And through the participant's committed view.
  const RunResult query =
      cluster_->Txctl({"--participant", cluster_->participant_address(1), "query",
                       "SELECT id, balance FROM accounts WHERE id "
                       "BETWEEN 1 AND 2 ORDER BY id"});
  EXPECT_EQ(query.exit_code, 0) << query.err;
  EXPECT_EQ(query.out, "1\t1000\n2\t1007\n");
  EXPECT_TRUE(NothingPrepared(0));
  EXPECT_TRUE(NothingPrepared(1));
}

TEST_F(TransactionTest, ExpectRowsOnASelectGuardsTheWriteAfterIt) {
  // Debit only if the account holds enough: the SELECT must find one row.
  auto transfer = [&](int amount) {
    return cluster_->Exec(
        {{"p0", "SELECT id FROM accounts WHERE id = 3 AND balance >= " + std::to_string(amount)}},
        {"--expect-rows", "1", "--branch", "p0:" + Debit(3, amount), "--branch",
         "p1:" + Credit(3, amount)});
  };
  const RunResult enough = transfer(600);
  EXPECT_EQ(enough.exit_code, 0) << enough.out << enough.err;
  const RunResult short_of_funds = transfer(600);
  EXPECT_EQ(short_of_funds.exit_code, 1) << short_of_funds.out << short_of_funds.err;
  EXPECT_NE(short_of_funds.out.find("ABORTED: participant p0: statement 1: returned 0 row(s), "
                                    "expected 1"),
            std::string::npos)
      << short_of_funds.out;
  EXPECT_EQ(cluster_->Balance(0, 3), kBalance - 600);
  EXPECT_EQ(cluster_->Balance(1, 3), kBalance + 600);
}

TEST_F(TransactionTest, RowsABranchReadPrintAfterTheOutcomeLine) {
  const std::vector<std::pair<std::string, std::string>> branches = {
      {"p0", "SELECT id, balance FROM accounts WHERE id BETWEEN 1 AND 2 ORDER BY id"},
      {"p0", Debit(1, 10)},
      {"p0", "SELECT balance FROM accounts WHERE id = 1"},
      {"p1", Credit(1, 10)}};
  const RunResult plain = cluster_->Exec(branches);
  ASSERT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  EXPECT_EQ(plain.out, std::to_string(TxidOf(plain)) + " COMMITTED\n1\t1000\n2\t1000\n990\n");
  const RunResult json = cluster_->Exec(branches, {"--json"});
  ASSERT_EQ(json.exit_code, 0) << json.out << json.err;
  EXPECT_NE(json.out.find("{\"participant\":\"p0\",\"changes\":[0,1,0],\"rows\":["
                          "{\"columns\":[\"id\",\"balance\"],\"rows\":[[1,990],[2,1000]]},"
                          "{\"columns\":[],\"rows\":[]},"
                          "{\"columns\":[\"balance\"],\"rows\":[[980]]}]}"),
            std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("{\"participant\":\"p1\",\"changes\":[1]}"), std::string::npos)
      << json.out;
}

TEST_F(TransactionTest, TopThroughACoordinatorWithoutAdminEndpointSaysHowToGetOne) {
  const RunResult top =
      cluster_->Txctl({"--coordinator", cluster_->coordinator_address(), "top", "--once"});
  EXPECT_EQ(top.exit_code, 3);
  EXPECT_NE(top.err.find("has no admin endpoint (start txcoord with --admin-listen"),
            std::string::npos)
      << top.err;
}

TEST_F(TransactionTest, ConstraintViolationAbortsWholeTransactionAndChangesNothing) {
  const RunResult run = cluster_->Exec({{"p0", Credit(1, 5000)}, {"p1", Debit(2, 5000)}});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find(" ABORTED: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("CHECK constraint"), std::string::npos) << run.out;
  ExpectReleasedAndUntouched(0);
  ExpectReleasedAndUntouched(1);
}

TEST_F(TransactionTest, ReadOnlyBranchCommitsWithoutChangingItsDatabase) {
  const RunResult run =
      cluster_->Exec({{"p0", "SELECT balance FROM accounts WHERE id = 3"}, {"p1", Credit(3, 5)}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(" COMMITTED"), std::string::npos);
  EXPECT_EQ(cluster_->Balance(1, 3), kBalance + 5);
  EXPECT_EQ(ReadBalances(cluster_->db_path(0)), Untouched());
  EXPECT_TRUE(NothingPrepared(0));
}

TEST_F(TransactionTest, UpdateMatchingNoRowsIsReadOnlyAndCommits) {
  const RunResult run = cluster_->Exec(
      {{"p0", "UPDATE accounts SET balance = 0 WHERE id = 12345"}, {"p1", Credit(4, 2)}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(ReadBalances(cluster_->db_path(0)), Untouched());
  EXPECT_EQ(cluster_->Balance(1, 4), kBalance + 2);
}

TEST_F(TransactionTest, SingleBranchTransactionCommitsInOnePhase) {
  const RunResult run = cluster_->Exec({{"p0", Debit(4, 3)}, {"p0", Credit(5, 3)}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(" COMMITTED"), std::string::npos);
  // One phase: committed inside prepare, so nothing was ever left prepared.
  EXPECT_TRUE(NothingPrepared(0));
  EXPECT_EQ(cluster_->Balance(0, 4), kBalance - 3);
  EXPECT_EQ(cluster_->Balance(0, 5), kBalance + 3);
  EXPECT_EQ(ReadBalances(cluster_->db_path(1)), Untouched());
}

TEST_F(TransactionTest, JsonOutputCarriesOutcomeAndChangesPerBranch) {
  const RunResult run =
      cluster_->Exec({{"p0", Debit(1, 1)}, {"p0", Debit(2, 1)}, {"p1", Credit(1, 2)}}, {"--json"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out.rfind("{\"txid\":", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("\"outcome\":\"COMMITTED\""), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("{\"participant\":\"p0\",\"changes\":[1,1]}"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("{\"participant\":\"p1\",\"changes\":[1]}"), std::string::npos) << run.out;

  const RunResult aborted =
      cluster_->Exec({{"p0", Debit(1, 5000)}, {"p1", Credit(1, 5000)}}, {"--json"});
  EXPECT_EQ(aborted.exit_code, 1) << aborted.out << aborted.err;
  EXPECT_NE(aborted.out.find("\"outcome\":\"ABORTED\""), std::string::npos) << aborted.out;
  EXPECT_NE(aborted.out.find("CHECK constraint"), std::string::npos) << aborted.out;
}

TEST_F(TransactionTest, UnreachableParticipantAbortsWithinPrepareTimeout) {
  // Stopped: the kernel still accepts the connection, but nobody answers.
  cluster_->participant(1).Pause();
  const RunResult run =
      cluster_->Exec({{"p0", Debit(1, 10)}, {"p1", Credit(1, 10)}}, {"--timeout-ms", "500"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find(" ABORTED: "), std::string::npos) << run.out;
  const bool names_cause =
      run.out.find("p1") != std::string::npos || run.out.find("tim") != std::string::npos;
  EXPECT_TRUE(names_cause) << "reason names neither p1 nor a timeout: " << run.out;
  ExpectReleasedAndUntouched(0);

  // Woken up, p1 may now run the stale prepare: it must end up released.
  cluster_->participant(1).Resume();
  ExpectReleasedAndUntouched(1);
  ExpectReleasedAndUntouched(0);
}

TEST_F(TransactionTest, DeadParticipantAbortsTheTransaction) {
  cluster_->participant(1).Kill();
  const RunResult run =
      cluster_->Exec({{"p0", Debit(1, 10)}, {"p1", Credit(1, 10)}}, {"--timeout-ms", "2000"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find(" ABORTED: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("p1"), std::string::npos) << run.out;
  ExpectReleasedAndUntouched(0);
  EXPECT_EQ(ReadBalances(cluster_->db_path(1)), Untouched());
}

TEST_F(TransactionTest, UnknownParticipantIsRefusedWithExitCode2) {
  const RunResult run = cluster_->Exec({{"p0", Debit(1, 1)}, {"nosuch", Credit(1, 1)}});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("txctl: ", 0), 0u) << run.err;
  EXPECT_NE(run.err.find("nosuch"), std::string::npos) << run.err;
  ExpectReleasedAndUntouched(0);
  ExpectReleasedAndUntouched(1);
}

TEST_F(TransactionTest, MalformedSqlAbortsWithSqliteMessage) {
  const RunResult run =
      cluster_->Exec({{"p0", Debit(1, 1)}, {"p1", "UPDAT accounts SET balance = 0"}});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find(" ABORTED: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("syntax error"), std::string::npos) << run.out;
  ExpectReleasedAndUntouched(0);
  ExpectReleasedAndUntouched(1);
}

TEST_F(TransactionTest, StatementsForSameParticipantRunInOrder) {
  const RunResult run =
      cluster_->Exec({{"p0", "UPDATE accounts SET balance = 5 WHERE id = 0"},
                      {"p1", Credit(0, 1)},
                      {"p0", "UPDATE accounts SET balance = balance * 2 WHERE id = 0"}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(cluster_->Balance(0, 0), 10);  // 5 then doubled; the other order gives 5
  EXPECT_EQ(cluster_->Balance(1, 0), kBalance + 1);
}

TEST_F(TransactionTest, BranchSqlMayContainColons) {
  const RunResult run = cluster_->Exec(
      {{"p0", "UPDATE accounts SET balance = balance + length('a:b:c') WHERE id = 6"},
       {"p1", Debit(6, 5)}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(cluster_->Balance(0, 6), kBalance + 5);
  EXPECT_EQ(cluster_->Balance(1, 6), kBalance - 5);
}

TEST_F(TransactionTest, StatusReportsCommittedTxid) {
  const RunResult run = cluster_->Exec({{"p0", Debit(7, 1)}, {"p1", Credit(7, 1)}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const int64_t committed = TxidOf(run);
  const RunResult status = cluster_->Txctl(
      {"--coordinator", cluster_->coordinator_address(), "status", std::to_string(committed)});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(status.out, "COMMITTED\n");

  const RunResult aborted = cluster_->Exec({{"p0", Debit(7, 5000)}, {"p1", Credit(7, 5000)}});
  ASSERT_EQ(aborted.exit_code, 1) << aborted.out << aborted.err;
  EXPECT_NE(TxidOf(aborted), committed);
  const RunResult aborted_status =
      cluster_->Txctl({"--coordinator", cluster_->coordinator_address(), "status",
                       std::to_string(TxidOf(aborted))});
  EXPECT_EQ(aborted_status.exit_code, 0) << aborted_status.err;
  EXPECT_TRUE(aborted_status.out == "ABORTED\n" || aborted_status.out == "UNKNOWN\n")
      << aborted_status.out;

  const RunResult never =
      cluster_->Txctl({"--coordinator", cluster_->coordinator_address(), "status",
                       std::to_string(std::numeric_limits<int64_t>::max() - 1)});
  EXPECT_EQ(never.exit_code, 0) << never.err;
  EXPECT_EQ(never.out, "UNKNOWN\n");
}

TEST_F(TransactionTest, HealthOfBothServices) {
  const RunResult coordinator =
      cluster_->Txctl({"--coordinator", cluster_->coordinator_address(), "health"});
  EXPECT_EQ(coordinator.exit_code, 0) << coordinator.err;
  EXPECT_NE(coordinator.out.find("serving"), std::string::npos) << coordinator.out;
  for (int i = 0; i < cluster_->size(); ++i) {
    const RunResult participant =
        cluster_->Txctl({"--participant", cluster_->participant_address(i), "health"});
    EXPECT_EQ(participant.exit_code, 0) << participant.err;
    EXPECT_NE(participant.out.find("serving"), std::string::npos) << participant.out;
  }
  cluster_->participant(1).Kill();
  EXPECT_EQ(
      cluster_->Txctl({"--participant", cluster_->participant_address(1), "health"}).exit_code, 3);
}

TEST_F(TransactionTest, QueryPrintsValuesTabSeparatedAndRefusesBadSql) {
  const std::string address = cluster_->participant_address(0);
  const RunResult values =
      cluster_->Txctl({"--participant", address, "query", "SELECT NULL, X'00ff', 'a b', 1.5, 7"});
  EXPECT_EQ(values.exit_code, 0) << values.err;
  EXPECT_EQ(values.out, "NULL\tX'00FF'\ta b\t1.5\t7\n");

  const RunResult sum =
      cluster_->Txctl({"--participant", address, "query", "SELECT SUM(balance) FROM accounts"});
  EXPECT_EQ(sum.exit_code, 0) << sum.err;
  EXPECT_EQ(sum.out, std::to_string(kAccounts * kBalance) + "\n");

  const RunResult bad = cluster_->Txctl({"--participant", address, "query", "SELEKT 1"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("syntax error"), std::string::npos) << bad.err;
}

TEST_F(TransactionTest, ConcurrentTransfersKeepTheTotalBalance) {
  constexpr int kClients = 4;
  constexpr int kTransfersPerClient = 8;
  std::vector<std::thread> clients;
  std::vector<int> failures(kClients, 0);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int t = 0; t < kTransfersPerClient; ++t) {
        const int from = (c + t) % 2;
        const int id = (c * kTransfersPerClient + t) % kAccounts;
        const int amount = t % 4 == 3 ? 5000 : 1 + t;  // every fourth must abort
        const RunResult run = cluster_->Exec(
            {{"p" + std::to_string(from), Debit(id, amount)},
             {"p" + std::to_string(1 - from), Credit((id + 3) % kAccounts, amount)}});
        if (run.exit_code != 0 && run.exit_code != 1) ++failures[c];
      }
    });
  }
  for (std::thread& client : clients) client.join();
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(failures[c], 0) << "client " << c;
  for (int i = 0; i < cluster_->size(); ++i) {
    EXPECT_TRUE(WaitFor([&] { return NothingPrepared(i); }, kReleaseDeadlineMs));
  }
  const int64_t total =
      QueryInt(cluster_->db_path(0), "SELECT SUM(balance) FROM accounts").value_or(-1) +
      QueryInt(cluster_->db_path(1), "SELECT SUM(balance) FROM accounts").value_or(-1);
  EXPECT_EQ(total, 2 * kAccounts * kBalance);
}

}  // namespace
}  // namespace twopc::testing
