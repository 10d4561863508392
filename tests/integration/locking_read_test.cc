// SELECT ... FOR UPDATE / FOR SHARE through a real cluster: rows come back
// through txctl; the write-skew pair (two transfers that each check the sum of
// two accounts on different participants and each debit one) breaks the
// invariant without FOR SHARE and never with it; and a share lock held by an
// in-doubt branch is taken again when its participant restarts after SIGKILL.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/admin_probe.h"
#include "tests/integration/cluster.h"
#include "twopc/client.h"

namespace twopc::testing {
namespace {

constexpr int kAccounts = 200;
constexpr int64_t kBalance = 1000;
// Each transfer may take kWithdrawal from one account of a pair only if the
// pair keeps at least kFloor in total; both together would break it.
constexpr int64_t kWithdrawal = 600;
constexpr int64_t kFloor = 1000;
constexpr int kDeadlineMs = 60000;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class LockingReadClusterTest : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& coordinator_env = {}) {
    admin_ = "127.0.0.1:" + std::to_string(FreePorts(1)[0]);
    cluster_ = std::make_unique<Cluster>(dir_.path());
    Cluster::Options options;
    options.accounts = kAccounts;
    options.balance = kBalance;
    // The write-skew pair deadlocks with FOR SHARE: keep the wait short.
    options.participant_flags = {"--lock_wait_ms=200", "--in_doubt_after_ms=300"};
    options.participant_own_flags = {{}, {"--admin-listen=" + admin_}};
    options.coordinator_env = coordinator_env;
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }

  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  // Checks that account `id` of `read_from` still holds kBalance (the check
  // of the pair's sum), then takes kWithdrawal from account `id` of `debit`.
  static Transaction CheckedWithdrawal(int id, const std::string& read_from,
                                       const std::string& debit, const char* lock_suffix) {
    Transaction transaction;
    transaction
        .AddExpecting(read_from, 1,
                      std::string("SELECT id, balance FROM accounts WHERE id = ? AND balance = ?") +
                          lock_suffix,
                      {id, kBalance})
        .AddExpecting(debit, 1,
                      "UPDATE accounts SET balance = balance - ? WHERE id = ? AND balance = ?",
                      {kWithdrawal, id, kBalance});
    return transaction;
  }

  // Runs the two withdrawals of pair `id` at once; true when both committed.
  bool RacePair(int id, const char* lock_suffix) {
    std::atomic<int> ready{0};
    Outcome outcomes[2] = {Outcome::kUnknown, Outcome::kUnknown};
    auto run = [&](int side) {
      Client client(ClientOptions{cluster_->coordinator_address()});
      client.Connect();
      const Transaction transaction = side == 0 ? CheckedWithdrawal(id, "p1", "p0", lock_suffix)
                                                : CheckedWithdrawal(id, "p0", "p1", lock_suffix);
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();  // start together
      const ExecuteResult result = client.Execute(transaction, ExecuteOptions{0, true, 0});
      outcomes[side] = result.outcome;
    };
    std::thread other(run, 1);
    run(0);
    other.join();
    return outcomes[0] == Outcome::kCommitted && outcomes[1] == Outcome::kCommitted;
  }

  bool PairBroken(int id) const {
    return cluster_->Balance(0, id) + cluster_->Balance(1, id) < kFloor;
  }

  TempDir dir_;
  std::string admin_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(LockingReadClusterTest, ForUpdateRowsComeBackThroughTxctl) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const RunResult run = cluster_->Txctl(
      {"--coordinator", cluster_->coordinator_address(), "exec", "--branch",
       "p0:SELECT id, balance FROM accounts WHERE id = 7 FOR UPDATE", "--expect-rows", "1",
       "--branch", "p1:UPDATE accounts SET balance = balance + 1 WHERE id = 7"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(Contains(run.out, "COMMITTED")) << run.out;
  EXPECT_TRUE(Contains(run.out, "7\t1000")) << run.out;

  const RunResult refused =
      cluster_->Txctl({"--coordinator", cluster_->coordinator_address(), "exec", "--branch",
                       "p0:SELECT sum(balance) FROM accounts FOR SHARE", "--branch",
                       "p1:UPDATE accounts SET balance = balance + 1 WHERE id = 7"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_TRUE(Contains(refused.out, "FOR UPDATE/FOR SHARE needs a SELECT of one table"))
      << refused.out;
  EXPECT_EQ(cluster_->Balance(1, 7), kBalance + 1) << "the refused transaction changed nothing";
}

TEST_F(LockingReadClusterTest, WriteSkewBreaksTheInvariantWithoutForShare) {
  ASSERT_NO_FATAL_FAILURE(Start());
  // Plain reads lock nothing: both withdrawals see the full pair and commit
  // whenever their prepares overlap, which starting them together makes
  // nearly certain; a few pairs are tried until one breaks.
  int broken = 0;
  int tried = 0;
  for (int id = 1; id <= kAccounts / 2 && broken == 0; ++id, ++tried) {
    if (RacePair(id, "")) ++broken;
    if (broken > 0) {
      EXPECT_TRUE(PairBroken(id));
    }
  }
  EXPECT_EQ(broken, 1) << "no pair of " << tried << " broke the invariant without FOR SHARE";
  RecordProperty("pairs_tried", tried);
}

TEST_F(LockingReadClusterTest, WriteSkewNeverBreaksTheInvariantWithForShare) {
  ASSERT_NO_FATAL_FAILURE(Start());
  constexpr int kPairs = 40;
  constexpr int kConcurrentPairs = 4;
  std::atomic<int> both_committed{0};
  std::atomic<int> next{1};
  std::vector<std::thread> workers;
  for (int w = 0; w < kConcurrentPairs; ++w) {
    workers.emplace_back([&] {
      for (int id = next.fetch_add(1); id <= kPairs; id = next.fetch_add(1)) {
        if (RacePair(id, " FOR SHARE")) both_committed.fetch_add(1);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  EXPECT_EQ(both_committed.load(), 0) << "both withdrawals of a pair committed";
  for (int id = 1; id <= kPairs; ++id) {
    EXPECT_FALSE(PairBroken(id)) << "pair " << id << ": " << cluster_->Balance(0, id) << " + "
                                 << cluster_->Balance(1, id);
  }
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
}

TEST_F(LockingReadClusterTest, AShareLockIsTakenAgainWhenItsParticipantRestarts) {
  // The coordinator logs COMMIT and dies before telling anyone: p1's branch,
  // which only read FOR SHARE, stays prepared with its row share-locked.
  ASSERT_NO_FATAL_FAILURE(Start({"TWOPC_FAILPOINTS=coordinator_after_commit_logged"}));
  const RunResult client =
      cluster_->Txctl({"--coordinator", cluster_->coordinator_address(), "exec", "--branch",
                       "p0:UPDATE accounts SET balance = balance - 1 WHERE id = 3", "--branch",
                       "p1:SELECT id FROM accounts WHERE id = 3 FOR SHARE", "--expect-rows", "1"});
  EXPECT_EQ(client.exit_code, 3) << client.out << client.err;
  ASSERT_TRUE(cluster_->coordinator().WaitForExit(kDeadlineMs));

  auto shared_rows = [&]() -> std::optional<double> {
    const std::optional<std::string> metrics = Scrape(admin_, "/metrics");
    if (!metrics) return std::nullopt;
    return MetricValue(*metrics, "twopc_participant_locked_rows{mode=\"shared\"}");
  };
  EXPECT_EQ(shared_rows(), 1.0) << "the prepared read holds its row";

  std::string error;
  ASSERT_TRUE(cluster_->RestartParticipant(1, &error)) << error;  // SIGKILL, then start
  EXPECT_EQ(shared_rows(), 1.0) << "the share lock was not taken again at recovery";

  ASSERT_TRUE(cluster_->RestartCoordinator(&error)) << error;
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
  EXPECT_TRUE(WaitFor([&] { return shared_rows() == 0.0; }, kDeadlineMs));
  EXPECT_EQ(cluster_->Balance(0, 3), kBalance - 1) << "the decision was COMMIT";
}

}  // namespace
}  // namespace twopc::testing
