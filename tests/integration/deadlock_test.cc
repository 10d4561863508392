// A distributed deadlock through a real cluster: T1 holds a row on p0 and
// waits on p1, T2 holds a row on p1 and waits on p0. The coordinator sees both
// waits and aborts the youngest at once, with the reason `deadlock: ...`,
// where before it took --lock_wait_ms (here a minute, far longer than the
// test runs); the other one commits.
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

class DeadlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = "127.0.0.1:" + std::to_string(FreePorts(1)[0]);
    cluster_ = std::make_unique<Cluster>(dir_.path());
    Cluster::Options options;
    options.participants = 2;
    options.balance = kBalance;
    // T0 (below) is prepared by hand: its agent must not ask the coordinator
    // about it (and be told ABORT) while the test runs.
    options.participant_flags = {"--lock_wait_ms=" + std::to_string(kDeadlineMs),
                                 "--in_doubt_after_ms=" + std::to_string(kDeadlineMs)};
    options.participant_own_flags = {{"--admin-listen=" + admin_}};
    options.coordinator_flags = {"--max_prepare_timeout_ms=" + std::to_string(2 * kDeadlineMs)};
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

  // Runs `transaction` on its own thread; the result lands in *out.
  std::thread Run(Transaction transaction, int timeout_ms, ExecuteResult* out) const {
    const std::string address = cluster_->coordinator_address();
    return std::thread([address, transaction = std::move(transaction), timeout_ms, out] {
      Client client(ClientOptions{address});
      *out = client.Execute(transaction, ExecuteOptions{timeout_ms, true});
    });
  }

  int64_t Balance(int participant, int id) const {
    return QueryInt(cluster_->db_path(participant),
                    "SELECT balance FROM accounts WHERE id = " + std::to_string(id))
        .value_or(-1);
  }

  TempDir dir_;
  std::string admin_;  // p0's admin endpoint
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(DeadlockTest, TheYoungestOfTwoTransactionsWaitingForEachOtherAbortsAtOnce) {
  // T0, prepared on p1 by hand (as a coordinator would), holds row 3 there
  // until this test aborts it. It keeps T1's branch on p1 waiting while T2
  // takes row 2 there: that is how the two come to wait for each other.
  constexpr int64_t kT0 = 4242;
  auto p1 = ConnectParticipant(cluster_->participant_address(1), kDeadlineMs);
  rpc::PrepareRequest prepare;
  prepare.txid = kT0;
  rpc::Statement statement;
  statement.sql = Add(3);
  prepare.statements.push_back(statement);
  rpc::PrepareResult t0;
  (*p1)->prepare(t0, prepare);
  ASSERT_EQ(t0.vote, rpc::Vote::YES) << t0.reason;

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
  EXPECT_EQ(Balance(0, 1), kBalance + 1);
  EXPECT_EQ(Balance(1, 2), kBalance + 1) << "T1 only";
  EXPECT_EQ(Balance(1, 3), kBalance + 1) << "T1 only";
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
}

}  // namespace
}  // namespace twopc::testing
