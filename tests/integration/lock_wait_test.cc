// Lock waits through a real cluster that end before --lock_wait_ms (here a
// minute, far longer than the tests run):
// - a distributed deadlock: T1 holds a row on p0 and waits on p1, T2 holds a
//   row on p1 and waits on p0. The coordinator sees both waits and aborts the
//   youngest at once, with the reason `deadlock: ...`; the other one commits.
// - a transaction deadline: a transaction waiting for a row past its
//   deadline_ms is aborted with the reason `deadline: ...`.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/admin_probe.h"
#include "tests/integration/cluster.h"
#include "twopc/client.h"

namespace twopc::testing {
namespace {

constexpr int64_t kBalance = 1000;
constexpr int kDeadlineMs = 60000;

std::string Add(int id) {
  return "UPDATE accounts SET balance = balance + 1 WHERE id = " + std::to_string(id);
}

class LockWaitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<int> ports = FreePorts(2);
    admin_ = "127.0.0.1:" + std::to_string(ports[0]);
    coordinator_admin_ = "127.0.0.1:" + std::to_string(ports[1]);
    cluster_ = std::make_unique<Cluster>(dir_.path());
    Cluster::Options options;
    options.participants = 2;
    options.balance = kBalance;
    // T0 (below) is prepared by hand: its agent must not ask the coordinator
    // about it (and be told ABORT) while the test runs.
    options.participant_flags = {"--lock_wait_ms=" + std::to_string(kDeadlineMs),
                                 "--in_doubt_after_ms=" + std::to_string(kDeadlineMs)};
    options.participant_own_flags = {{"--admin-listen=" + admin_}};
    options.coordinator_flags = {"--max_prepare_timeout_ms=" + std::to_string(2 * kDeadlineMs),
                                 "--admin-listen=" + coordinator_admin_};
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }

  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  // Rows p0 holds exclusively (written, not yet decided).
  std::optional<double> LockedAtP0() const {
    const std::optional<std::string> metrics = Scrape(admin_, "/metrics");
    if (!metrics) return std::nullopt;
    return MetricValue(*metrics, "twopc_participant_locked_rows{mode=\"exclusive\"}");
  }

  // Transactions the coordinator aborted for `reason`.
  std::optional<double> AbortedFor(const std::string& reason) const {
    const std::optional<std::string> metrics = Scrape(coordinator_admin_, "/metrics");
    if (!metrics) return std::nullopt;
    return MetricValue(*metrics,
                       "twopc_coordinator_transactions_aborted_total{reason=\"" + reason + "\"}");
  }

  // Prepares `sql` on participant 1 as transaction `txid`, by hand (as a
  // coordinator would): its rows stay locked until the test aborts it.
  std::unique_ptr<rpc::RpcClient<rpc::ParticipantClient>> PrepareByHand(int64_t txid,
                                                                        const std::string& sql) {
    auto p1 = ConnectParticipant(cluster_->participant_address(1), kDeadlineMs);
    rpc::PrepareRequest prepare;
    prepare.txid = txid;
    rpc::Statement statement;
    statement.sql = sql;
    prepare.statements.push_back(statement);
    rpc::PrepareResult result;
    (*p1)->prepare(result, prepare);
    EXPECT_EQ(result.vote, rpc::Vote::YES) << result.reason;
    return p1;
  }

  // Runs `transaction` on its own thread; the result lands in *out.
  std::thread Run(Transaction transaction, int timeout_ms, ExecuteResult* out) const {
    const std::string address = cluster_->coordinator_address();
    return std::thread([address, transaction = std::move(transaction), timeout_ms, out] {
      Client client(ClientOptions{address});
      *out = client.Execute(transaction, ExecuteOptions{timeout_ms, true, 0});
    });
  }

  TempDir dir_;
  std::string admin_;  // p0's admin endpoint
  std::string coordinator_admin_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(LockWaitTest, TheYoungestOfTwoTransactionsWaitingForEachOtherAbortsAtOnce) {
  // T0, prepared on p1 by hand (as a coordinator would), holds row 3 there
  // until this test aborts it. It keeps T1's branch on p1 waiting while T2
  // takes row 2 there: that is how the two come to wait for each other.
  constexpr int64_t kT0 = 4242;
  auto p1 = PrepareByHand(kT0, Add(3));
  ASSERT_FALSE(HasFailure());

  // T1 takes p0's row 1, and waits on p1 (row 3, held by T0).
  ExecuteResult t1;
  Transaction first;
  first.Add("p0", Add(1)).Add("p1", Add(3)).Add("p1", Add(2));
  std::thread t1_thread = Run(first, kDeadlineMs, &t1);
  ASSERT_TRUE(WaitFor([&] { return LockedAtP0() == 1.0; }, kDeadlineMs));

  // T2 takes p1's row 2 (which T1 also needs) and waits for p0's row 1: a
  // cycle. Without detection T2 would wait --lock_wait_ms, a minute.
  ExecuteResult t2;
  Transaction second;
  second.Add("p1", Add(2)).Add("p0", Add(1));
  Run(second, kDeadlineMs, &t2).join();
  EXPECT_EQ(t2.outcome, Outcome::kAborted);
  EXPECT_EQ(t2.reason.rfind("deadlock: ", 0), 0u) << t2.reason;
  EXPECT_NE(t2.reason.find(std::to_string(t2.txid) + ", the youngest, was aborted"),
            std::string::npos)
      << t2.reason;

  // T0 goes; T1 gets everything it waited for.
  (*p1)->abort(kT0);
  t1_thread.join();
  EXPECT_EQ(t1.outcome, Outcome::kCommitted) << t1.reason;
  EXPECT_EQ(cluster_->Balance(0, 1), kBalance + 1);
  EXPECT_EQ(cluster_->Balance(1, 2), kBalance + 1) << "T1 only";
  EXPECT_EQ(cluster_->Balance(1, 3), kBalance + 1) << "T1 only";
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
}

TEST_F(LockWaitTest, ATransactionPastItsDeadlineAbortsWhileItsBranchWaits) {
  Client client(ClientOptions{cluster_->coordinator_address()});
  // A deadline that is not reached changes nothing.
  Transaction transfer;
  transfer.Add("p0", Add(1)).Add("p1", Add(2));
  const ExecuteResult quick =
      client.Execute(transfer, ExecuteOptions{kDeadlineMs, true, kDeadlineMs});
  ASSERT_EQ(quick.outcome, Outcome::kCommitted) << quick.reason;

  // T0 holds p1's row 3; a transaction that needs it waits there, and its
  // deadline passes long before its prepare timeout or --lock_wait_ms.
  constexpr int64_t kT0 = 4343;
  auto p1 = PrepareByHand(kT0, Add(3));
  ASSERT_FALSE(HasFailure());
  Transaction blocked;
  blocked.Add("p0", Add(1)).Add("p1", Add(3));
  const ExecuteResult late = client.Execute(blocked, ExecuteOptions{kDeadlineMs, true, 300});
  EXPECT_EQ(late.outcome, Outcome::kAborted);
  EXPECT_EQ(late.reason,
            "deadline: the transaction did not reach its commit point within its deadline of 300 "
            "ms");
  EXPECT_EQ(AbortedFor("deadline"), 1.0);
  EXPECT_EQ(AbortedFor("deadlock"), 0.0);

  // Its branch on p0 was rolled back and let go of row 1.
  EXPECT_TRUE(WaitFor([&] { return LockedAtP0() == 0.0; }, kDeadlineMs));
  EXPECT_EQ(cluster_->Balance(0, 1), kBalance + 1) << "the first transfer only";
  EXPECT_EQ(client.Status(late.txid), Outcome::kAborted);

  (*p1)->abort(kT0);
  EXPECT_EQ(cluster_->Balance(1, 3), kBalance);
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
}

TEST_F(LockWaitTest, PastTheDeadlineABranchThatVotedNoKeepsItsReason) {
  constexpr int64_t kT0 = 4444;
  auto p1 = PrepareByHand(kT0, Add(3));
  ASSERT_FALSE(HasFailure());
  // p0 refuses at once (CHECK balance >= 0); p1 waits for T0 past the deadline.
  Transaction doomed;
  doomed.Add("p0", "UPDATE accounts SET balance = balance - 5000 WHERE id = 1").Add("p1", Add(3));
  Client client(ClientOptions{cluster_->coordinator_address()});
  const ExecuteResult result = client.Execute(doomed, ExecuteOptions{kDeadlineMs, true, 300});
  EXPECT_EQ(result.outcome, Outcome::kAborted);
  EXPECT_NE(result.reason.find("CHECK constraint failed"), std::string::npos) << result.reason;
  EXPECT_EQ(AbortedFor("deadline"), 0.0);
  EXPECT_EQ(AbortedFor("voted_no"), 1.0);

  (*p1)->abort(kT0);
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
}

}  // namespace
}  // namespace twopc::testing
