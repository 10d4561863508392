// The crash points of DESIGN.md ("Crash points every release must survive"),
// one case each: a real cluster (txcoord + two txpart), a fail point armed on
// one process through TWOPC_FAILPOINTS, a two-branch transfer, the process
// dying by SIGKILL at that point, a restart without the fail point, and then
// the transfer is atomic on both databases, agrees with what the client was
// told, and nothing stays in doubt.
#include <signal.h>

#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/cluster.h"

namespace twopc::testing {
namespace {

constexpr int kAccounts = 10;
constexpr int64_t kBalance = 1000;
constexpr int kAmount = 7;
constexpr int kDebitedAccount = 1;   // on p0
constexpr int kCreditedAccount = 2;  // on p1
// Bounds on waiting for a death or for recovery to finish (deadlines, not timings).
constexpr int kDeadlineMs = 30000;
constexpr int kTransferDeadlineMs = 30000;

const char kFailPointMessage[] = "fail point reached, killing this process: ";

enum class Outcome { kCommitted, kAborted };

std::string Credit(int id, int amount) {
  return "UPDATE accounts SET balance = balance + " + std::to_string(amount) +
         " WHERE id = " + std::to_string(id);
}
std::string Debit(int id, int amount) { return Credit(id, -amount); }

std::vector<std::string> Arm(const std::string& point) { return {"TWOPC_FAILPOINTS=" + point}; }

// How often `needle` occurs in `text`.
int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class CrashPointTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  // Starts the cluster with `point` armed on participant 1 or on the coordinator.
  void StartCluster(const std::string& participant1_point, const std::string& coordinator_point) {
    cluster_ = std::make_unique<Cluster>(dir_.path());
    Cluster::Options options;
    options.participants = 2;
    options.accounts = kAccounts;
    options.balance = kBalance;
    // A branch left prepared asks the coordinator soon.
    options.participant_flags = {"--in_doubt_after_ms=300"};
    if (!participant1_point.empty()) options.participant_env = {{}, Arm(participant1_point)};
    if (!coordinator_point.empty()) options.coordinator_env = Arm(coordinator_point);
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }

  // The two-branch transfer: kAmount from p0's account 1 to p1's account 2.
  RunResult Transfer() const {
    return RunProgram(BinaryPath("txctl"),
                      {"--coordinator", cluster_->coordinator_address(), "exec", "--branch",
                       "p0:" + Debit(kDebitedAccount, kAmount), "--branch",
                       "p1:" + Credit(kCreditedAccount, kAmount)},
                      kTransferDeadlineMs);
  }

  // Waits for `process` to die at the fail point `point`: by SIGKILL, having
  // said so in its log (at least `times` such messages in the log so far).
  void ExpectDiesAt(Process& process, const std::string& point, int times = 1) {
    ASSERT_TRUE(process.WaitForExit(kDeadlineMs)) << "the process never reached " << point;
    EXPECT_EQ(process.term_signal(), SIGKILL) << "exit code " << process.exit_code();
    // At least: threads that reach the point together each say so before the kill lands.
    EXPECT_GE(Count(process.LogTail(1 << 20), kFailPointMessage + point), times)
        << process.LogTail();
  }

  // Restarts with no fail point armed; the restart must come up.
  void RestartParticipant(int i) {
    std::string error;
    ASSERT_TRUE(cluster_->RestartParticipant(i, &error)) << error;
  }
  void RestartCoordinator() {
    std::string error;
    ASSERT_TRUE(cluster_->RestartCoordinator(&error)) << error;
  }

  // Polls until no participant holds anything prepared and the coordinator has
  // delivered every commit.
  void ExpectNothingInDoubt() {
    const bool settled = WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs);
    EXPECT_TRUE(settled) << "a transaction is still in doubt or undelivered";
  }

  // The transfer is on both databases or on neither, the total is unchanged,
  // the client's answer (if any) agrees, and so does `expected` if given.
  void ExpectAtomic(const RunResult& client, std::optional<Outcome> expected) {
    const std::vector<int64_t> p0 = ReadBalances(cluster_->db_path(0));
    const std::vector<int64_t> p1 = ReadBalances(cluster_->db_path(1));
    ASSERT_EQ(p0.size(), static_cast<size_t>(kAccounts));
    ASSERT_EQ(p1.size(), static_cast<size_t>(kAccounts));
    EXPECT_EQ(std::accumulate(p0.begin(), p0.end(), int64_t{0}) +
                  std::accumulate(p1.begin(), p1.end(), int64_t{0}),
              2 * kAccounts * kBalance)
        << "the total balance changed";
    std::vector<int64_t> untouched(kAccounts, kBalance);
    std::vector<int64_t> debited = untouched;
    debited[kDebitedAccount] -= kAmount;
    std::vector<int64_t> credited = untouched;
    credited[kCreditedAccount] += kAmount;
    const bool committed = p0 == debited && p1 == credited;
    const bool aborted = p0 == untouched && p1 == untouched;
    ASSERT_TRUE(committed || aborted)
        << "not atomic: p0 account " << kDebitedAccount << " = " << p0[kDebitedAccount]
        << ", p1 account " << kCreditedAccount << " = " << p1[kCreditedAccount];
    const Outcome actual = committed ? Outcome::kCommitted : Outcome::kAborted;

    RecordProperty("client",
                   "exit " + std::to_string(client.exit_code) + ": " + client.out + client.err);
    // txctl: 0 committed, 1 aborted, 3 unknown (the call failed after sending).
    switch (client.exit_code) {
      case 0:
        EXPECT_NE(client.out.find(" COMMITTED"), std::string::npos) << client.out;
        EXPECT_EQ(actual, Outcome::kCommitted) << "the client was told " << client.out;
        break;
      case 1:
        EXPECT_NE(client.out.find(" ABORTED"), std::string::npos) << client.out;
        EXPECT_EQ(actual, Outcome::kAborted) << "the client was told " << client.out;
        break;
      case 3:
        break;  // no answer: either outcome is allowed, as long as it is atomic
      default:
        ADD_FAILURE() << "txctl exit code " << client.exit_code << ": " << client.out << client.err;
    }
    if (expected) {
      EXPECT_EQ(actual, *expected)
          << "expected the transfer to " << (*expected == Outcome::kCommitted ? "commit" : "abort");
    }
  }

  // One crash point on participant 1: armed at start, it dies during the
  // transfer, comes back clean, and the transfer ends as `expected`. The
  // coordinator lives, so the client must be told that outcome.
  void CrashParticipant(const std::string& point, Outcome expected) {
    ASSERT_NO_FATAL_FAILURE(StartCluster(point, ""));
    const RunResult client = Transfer();
    EXPECT_EQ(client.exit_code, expected == Outcome::kCommitted ? 0 : 1)
        << client.out << client.err;
    ASSERT_NO_FATAL_FAILURE(ExpectDiesAt(cluster_->participant(1), point));
    ASSERT_NO_FATAL_FAILURE(RestartParticipant(1));
    ExpectNothingInDoubt();
    ExpectAtomic(client, expected);
  }

  // The same with the coordinator: the client is left without an answer.
  void CrashCoordinator(const std::string& point, Outcome expected) {
    ASSERT_NO_FATAL_FAILURE(StartCluster("", point));
    const RunResult client = Transfer();
    EXPECT_EQ(client.exit_code, 3) << client.out << client.err;
    ASSERT_NO_FATAL_FAILURE(ExpectDiesAt(cluster_->coordinator(), point));
    ASSERT_NO_FATAL_FAILURE(RestartCoordinator());
    ExpectNothingInDoubt();
    ExpectAtomic(client, expected);
  }

  TempDir dir_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(CrashPointTest, CrashPoint1_ParticipantDiesBeforePreparedIsSynced_TransactionAborts) {
  CrashParticipant("participant_before_prepared_sync", Outcome::kAborted);
}

TEST_F(CrashPointTest, CrashPoint2_ParticipantDiesAfterPreparedSyncBeforeVoting_TransactionAborts) {
  // The coordinator never got the YES: it aborts, and the participant, in
  // doubt after its restart, is told ABORT (presumed abort).
  CrashParticipant("participant_after_prepared_sync", Outcome::kAborted);
}

TEST_F(CrashPointTest, CrashPoint3_CoordinatorDiesBeforeCommitIsLogged_TransactionAborts) {
  CrashCoordinator("coordinator_before_commit_logged", Outcome::kAborted);
}

TEST_F(CrashPointTest, CrashPoint4_CoordinatorDiesAfterCommitIsLogged_TransactionCommits) {
  CrashCoordinator("coordinator_after_commit_logged", Outcome::kCommitted);
}

TEST_F(CrashPointTest, CrashPoint5_CoordinatorDiesAfterFirstCommitDelivered_TransactionCommits) {
  CrashCoordinator("coordinator_after_first_commit_delivered", Outcome::kCommitted);
}

TEST_F(CrashPointTest, CrashPoint6_ParticipantDiesBeforeApplyingCommit_TransactionCommits) {
  CrashParticipant("participant_before_apply", Outcome::kCommitted);
}

TEST_F(CrashPointTest,
       CrashPoint7_ParticipantDiesAfterApplyBeforeLoggingOutcome_TransactionCommits) {
  CrashParticipant("participant_after_apply", Outcome::kCommitted);
}

TEST_F(CrashPointTest, CrashPoint8_ParticipantDiesAgainWhileRecoveringInDoubt_TransactionCommits) {
  const std::string point = "participant_before_apply";
  ASSERT_NO_FATAL_FAILURE(StartCluster(point, ""));
  const RunResult client = Transfer();
  ASSERT_NO_FATAL_FAILURE(ExpectDiesAt(cluster_->participant(1), point));

  // Second life, armed again: it re-installs the branch in doubt, learns
  // COMMIT, and dies before applying it. Whether it answered health first does
  // not matter; that it dies does.
  std::string ignored;
  (void)cluster_->RestartParticipant(1, &ignored, Arm(point));
  ASSERT_NO_FATAL_FAILURE(ExpectDiesAt(cluster_->participant(1), point, /*times=*/2));
  const std::string log = cluster_->participant(1).LogTail(1 << 20);
  const size_t first_death = log.find(kFailPointMessage);
  EXPECT_NE(log.find("in doubt after restart", first_death), std::string::npos)
      << "the second death was not during recovery:\n"
      << log;

  // Third life, clean.
  ASSERT_NO_FATAL_FAILURE(RestartParticipant(1));
  ExpectNothingInDoubt();
  ExpectAtomic(client, Outcome::kCommitted);
}

TEST_F(CrashPointTest, CrashPoint8_CoordinatorDiesAgainWhileRedeliveringCommit_TransactionCommits) {
  ASSERT_NO_FATAL_FAILURE(StartCluster("", "coordinator_after_commit_logged"));
  const RunResult client = Transfer();
  ASSERT_NO_FATAL_FAILURE(ExpectDiesAt(cluster_->coordinator(), "coordinator_after_commit_logged"));

  // Second life: it replays COMMIT without END and redelivers it; the first
  // acknowledgement of that redelivery kills it again.
  const std::string point = "coordinator_after_first_commit_delivered";
  std::string ignored;
  (void)cluster_->RestartCoordinator(&ignored, Arm(point));
  ASSERT_NO_FATAL_FAILURE(ExpectDiesAt(cluster_->coordinator(), point));
  const std::string log = cluster_->coordinator().LogTail(1 << 20);
  EXPECT_NE(log.find("committed before the restart", log.find(kFailPointMessage)),
            std::string::npos)
      << "the second death was not during recovery:\n"
      << log;

  // Third life, clean: it delivers what is left and ends the transaction.
  ASSERT_NO_FATAL_FAILURE(RestartCoordinator());
  ExpectNothingInDoubt();
  ExpectAtomic(client, Outcome::kCommitted);
}

}  // namespace
}  // namespace twopc::testing
