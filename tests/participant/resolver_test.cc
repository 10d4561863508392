#include "participant/resolver.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "tests/participant/test_util.h"

namespace twopc::participant {
namespace {

using namespace std::chrono_literals;
using test::Debit;

// Answers from a table; txids not in it make the coordinator look unreachable.
class FakeOutcomeSource : public OutcomeSource {
 public:
  void Answer(int64_t txid, Decision decision) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_[txid] = decision;
  }
  StatusOr<Decision> Resolve(int64_t txid) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++asked_[txid];
    cv_.notify_all();
    auto it = answers_.find(txid);
    if (it == answers_.end()) return Status::IoError("coordinator unreachable");
    return it->second;
  }
  int asked(int64_t txid) {
    std::lock_guard<std::mutex> lock(mu_);
    return asked_[txid];
  }
  void WaitUntilAsked(int64_t txid) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return asked_[txid] > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, Decision> answers_;
  std::map<int64_t, int> asked_;
};

ResolverOptions AskAtOnce() {
  ResolverOptions options;
  options.in_doubt_after = 0ms;
  options.interval = 1ms;
  return options;
}

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::ExecRaw(db_path_, test::kBankSchema);
    ASSERT_NO_FATAL_FAILURE(Restart());
  }

  void Restart() {
    agent_.reset();
    store_.reset();
    store_ = test::OpenStore(db_path_);
    ASSERT_NE(store_, nullptr);
    Status status = test::OpenAgent(store_.get(), dir_.Join("wal"), 50ms, nullptr, &agent_);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  void PrepareYes(int64_t txid, const SqlStatement& statement) {
    const PrepareReply reply = agent_->Prepare(txid, {statement}, /*one_phase=*/false);
    ASSERT_EQ(reply.vote, Vote::kYes) << reply.reason;
  }

  int RunOnce(const ResolverOptions& options, bool* unreachable) {
    Resolver resolver(agent_.get(), &source_, options);
    return resolver.RunOnce(unreachable);
  }

  int64_t Balance(int64_t id) { return test::Balance(store_.get(), id); }

  test::TempDir dir_;
  const std::string db_path_ = dir_.Join("bank.db");
  FakeOutcomeSource source_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Agent> agent_;
};

TEST_F(ResolverTest, CommitAnswerMakesTheAgentCommit) {
  ASSERT_NO_FATAL_FAILURE(PrepareYes(1, Debit(1, 30)));
  source_.Answer(1, Decision::kCommit);
  bool unreachable = true;
  EXPECT_EQ(RunOnce(AskAtOnce(), &unreachable), 1);
  EXPECT_FALSE(unreachable);
  EXPECT_TRUE(agent_->ListPrepared().empty());
  EXPECT_EQ(Balance(1), 70);
}

TEST_F(ResolverTest, AbortAnswerReleasesTheBranch) {
  ASSERT_NO_FATAL_FAILURE(PrepareYes(1, Debit(1, 30)));
  source_.Answer(1, Decision::kAbort);
  bool unreachable = true;
  EXPECT_EQ(RunOnce(AskAtOnce(), &unreachable), 1);
  EXPECT_FALSE(unreachable);
  EXPECT_TRUE(agent_->ListPrepared().empty());
  EXPECT_EQ(Balance(1), 100);
  EXPECT_EQ(agent_->Prepare(2, {Debit(1, 5)}, false).vote, Vote::kYes) << "row still locked";
}

TEST_F(ResolverTest, UnreachableCoordinatorIsReportedAndNothingChanges) {
  ASSERT_NO_FATAL_FAILURE(PrepareYes(1, Debit(1, 30)));
  bool unreachable = false;
  EXPECT_EQ(RunOnce(AskAtOnce(), &unreachable), 0);
  EXPECT_TRUE(unreachable);
  EXPECT_EQ(source_.asked(1), 1);
  EXPECT_EQ(agent_->ListPrepared(), std::vector<int64_t>{1});
}

TEST_F(ResolverTest, InProgressAnswerKeepsTheBranchPrepared) {
  ASSERT_NO_FATAL_FAILURE(PrepareYes(1, Debit(1, 30)));
  source_.Answer(1, Decision::kInProgress);
  bool unreachable = true;
  EXPECT_EQ(RunOnce(AskAtOnce(), &unreachable), 0);
  EXPECT_FALSE(unreachable);
  EXPECT_EQ(source_.asked(1), 1);
  EXPECT_EQ(agent_->ListPrepared(), std::vector<int64_t>{1});
  EXPECT_EQ(Balance(1), 100);
}

TEST_F(ResolverTest, EachPreparedBranchGetsItsOwnAnswer) {
  ASSERT_NO_FATAL_FAILURE(PrepareYes(1, Debit(1, 30)));
  ASSERT_NO_FATAL_FAILURE(PrepareYes(2, Debit(2, 20)));
  ASSERT_NO_FATAL_FAILURE(PrepareYes(3, Debit(3, 5)));
  source_.Answer(1, Decision::kCommit);
  source_.Answer(2, Decision::kAbort);
  source_.Answer(3, Decision::kInProgress);
  bool unreachable = true;
  EXPECT_EQ(RunOnce(AskAtOnce(), &unreachable), 2);
  EXPECT_EQ(agent_->ListPrepared(), std::vector<int64_t>{3});
  EXPECT_EQ(Balance(1), 70);
  EXPECT_EQ(Balance(2), 50);
}

TEST_F(ResolverTest, YoungLiveBranchIsNotAskedAbout) {
  ASSERT_NO_FATAL_FAILURE(PrepareYes(1, Debit(1, 30)));
  source_.Answer(1, Decision::kCommit);
  ResolverOptions patient = AskAtOnce();
  patient.in_doubt_after = 1h;
  bool unreachable = true;
  EXPECT_EQ(RunOnce(patient, &unreachable), 0);
  EXPECT_EQ(source_.asked(1), 0);
  EXPECT_EQ(agent_->ListPrepared(), std::vector<int64_t>{1});
}

TEST_F(ResolverTest, RecoveredBranchIsAskedAboutAtOnce) {
  ASSERT_NO_FATAL_FAILURE(PrepareYes(1, Debit(1, 30)));
  ASSERT_NO_FATAL_FAILURE(Restart());
  source_.Answer(1, Decision::kCommit);
  ResolverOptions patient = AskAtOnce();
  patient.in_doubt_after = 1h;
  bool unreachable = true;
  EXPECT_EQ(RunOnce(patient, &unreachable), 1);
  EXPECT_TRUE(agent_->ListPrepared().empty());
  EXPECT_EQ(Balance(1), 70);
}

TEST_F(ResolverTest, BackgroundLoopResolvesAndStops) {
  ASSERT_NO_FATAL_FAILURE(PrepareYes(1, Debit(1, 30)));
  source_.Answer(1, Decision::kCommit);
  Resolver resolver(agent_.get(), &source_, AskAtOnce());
  resolver.Start();
  source_.WaitUntilAsked(1);
  resolver.Stop();  // joins after the pass that asked has finished
  EXPECT_TRUE(agent_->ListPrepared().empty());
  EXPECT_EQ(Balance(1), 70);
}

}  // namespace
}  // namespace twopc::participant
