// The coordinator's driver over fake participants and an in-memory decision
// log: its threads (RPC callers, call workers, the timer) against the core.
// Runs under ThreadSanitizer in CI. Waits are on conditions, never on time.
#include "coordinator/coordinator.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace twopc::coordinator {
namespace {

// What one participant answers, and what it saw. Checks that the driver keeps
// at most one prepare call in flight to it.
class FakeParticipant final : public ParticipantChannel {
 public:
  explicit FakeParticipant(std::string name) : name_(std::move(name)) {}

  std::string address() const override { return name_ + ":1"; }

  std::optional<CallFailure> PrepareMany(const std::vector<PrepareItem>& items,
                                         const std::vector<int64_t>& commits, int64_t,
                                         PrepareManyReply* reply) override {
    if (prepares_in_flight_.fetch_add(1) != 0) overlapped_ = true;
    std::optional<CallFailure> failure;
    {
      std::unique_lock<std::mutex> lock(mu_);
      held_calls_ += hold_ ? 1 : 0;
      cv_.notify_all();
      cv_.wait(lock, [this] { return !hold_; });
      if (unreachable_) {
        failure = CallFailure{CallFailure::Kind::kTransport, "connection refused"};
      } else {
        for (const PrepareItem& item : items) {
          PrepareReply& result = reply->results.emplace_back();
          result.vote = vote_;
          if (vote_ == BranchVote::kNo) result.reason = "refused by " + name_;
          if (vote_ == BranchVote::kYes) prepared_.insert(item.txid);
        }
        for (int64_t txid : commits) Commit(txid);
        reply->commit_acks.resize(commits.size());
      }
    }
    prepares_in_flight_.fetch_sub(1);
    cv_.notify_all();
    return failure;
  }

  std::optional<CallFailure> CommitMany(const std::vector<int64_t>& txids, int64_t,
                                        CommitAcks* acks) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (unreachable_ || failing_commits_ > 0) {
      if (failing_commits_ > 0) --failing_commits_;
      return CallFailure{CallFailure::Kind::kTransport, "connection reset"};
    }
    for (int64_t txid : txids) Commit(txid);
    acks->resize(txids.size());
    cv_.notify_all();
    return std::nullopt;
  }

  std::optional<CallFailure> Abort(int64_t txid, int64_t) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (unreachable_) return CallFailure{CallFailure::Kind::kTransport, "connection refused"};
    prepared_.erase(txid);
    aborted_.insert(txid);
    cv_.notify_all();
    return std::nullopt;
  }

  std::optional<CallFailure> ListInDoubt(int64_t, std::vector<PreparedBranch>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (unreachable_) return CallFailure{CallFailure::Kind::kTransport, "connection refused"};
    for (int64_t txid : prepared_) out->push_back(PreparedBranch{txid, 5, false});
    return std::nullopt;
  }

  // Prepare calls wait until Release.
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  void AwaitHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return held_calls_ > 0; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }
  void Vote(BranchVote vote) {
    std::lock_guard<std::mutex> lock(mu_);
    vote_ = vote;
  }
  void SetUnreachable(bool unreachable) {
    std::lock_guard<std::mutex> lock(mu_);
    unreachable_ = unreachable;
  }
  void FailCommits(int calls) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_commits_ = calls;
  }
  void AwaitCommitted(int64_t txid) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return committed_.count(txid) > 0; });
  }
  void AwaitAborted(int64_t txid) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return aborted_.count(txid) > 0; });
  }
  size_t committed() {
    std::lock_guard<std::mutex> lock(mu_);
    return committed_.size();
  }
  bool overlapped() const { return overlapped_; }

 private:
  void Commit(int64_t txid) {
    prepared_.erase(txid);
    committed_.insert(txid);
  }

  const std::string name_;
  std::atomic<int> prepares_in_flight_{0};
  std::atomic<bool> overlapped_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  BranchVote vote_ = BranchVote::kYes;
  bool unreachable_ = false;
  bool hold_ = false;
  int held_calls_ = 0;
  int failing_commits_ = 0;
  std::set<int64_t> prepared_;
  std::set<int64_t> committed_;
  std::set<int64_t> aborted_;
};

class MemoryDecisionLog final : public DecisionLog {
 public:
  StatusOr<uint64_t> BeginEpoch() override { return uint64_t{1}; }
  Status LogCommit(int64_t txid, const std::vector<std::string>& participants) override {
    std::lock_guard<std::mutex> lock(mu_);
    commits_[txid] = participants;
    return Status();
  }
  Status LogEnd(int64_t txid) override {
    std::lock_guard<std::mutex> lock(mu_);
    // END only after COMMIT, never twice.
    if (!commits_.count(txid) || !ends_.insert(txid).second) bad_end_ = true;
    cv_.notify_all();
    return Status();
  }
  Status LogMismatch(const MismatchRecord&) override { return Status(); }

  void AwaitEnd(int64_t txid) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return ends_.count(txid) > 0; });
  }
  bool committed(int64_t txid) {
    std::lock_guard<std::mutex> lock(mu_);
    return commits_.count(txid) > 0;
  }
  bool bad_end() {
    std::lock_guard<std::mutex> lock(mu_);
    return bad_end_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, std::vector<std::string>> commits_;
  std::set<int64_t> ends_;
  bool bad_end_ = false;
};

Branch Write(const std::string& participant) {
  return Branch{participant, {Statement{"UPDATE t SET v = v + 1", {}, std::nullopt}}};
}

class CoordinatorDriverTest : public ::testing::Test {
 protected:
  CoordinatorDriverTest() {
    std::map<std::string, std::unique_ptr<ParticipantChannel>> channels;
    for (const char* name : {"p0", "p1", "p2"}) {
      auto fake = std::make_unique<FakeParticipant>(name);
      fakes_[name] = fake.get();
      channels[name] = std::move(fake);
    }
    CoordinatorOptions options;
    options.redelivery_interval = std::chrono::milliseconds(20);
    options.fanout_threads = 8;
    coordinator_ =
        std::make_unique<Coordinator>(options, &log_, std::move(channels), 1, RecoveredDecisions{});
    coordinator_->Start();
  }
  ~CoordinatorDriverTest() override { coordinator_->Stop(); }

  ExecuteResult Run(std::vector<Branch> branches, ExecuteOptions options = {}) {
    StatusOr<ExecuteResult> result = coordinator_->Execute(std::move(branches), options);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : ExecuteResult{};
  }

  MemoryDecisionLog log_;
  std::map<std::string, FakeParticipant*> fakes_;
  std::unique_ptr<Coordinator> coordinator_;
};

TEST_F(CoordinatorDriverTest, ATransactionCommitsEverywhereAndItsEndIsLogged) {
  const ExecuteResult result = Run({Write("p0"), Write("p1"), Write("p2")});
  ASSERT_EQ(result.outcome, Outcome::kCommitted);
  EXPECT_TRUE(log_.committed(result.txid));
  // Answered at the commit point; the lingering commits leave on the timer.
  log_.AwaitEnd(result.txid);
  for (auto& [name, fake] : fakes_) EXPECT_EQ(fake->committed(), 1u) << name;
  EXPECT_EQ(coordinator_->StatusOf(result.txid), Outcome::kCommitted);
  EXPECT_EQ(coordinator_->undelivered(), 0u);
}

TEST_F(CoordinatorDriverTest, ManyClientsAtOnceAllCommitAndNoParticipantSeesTwoPreparesAtOnce) {
  constexpr int kClients = 8;
  constexpr int kEach = 40;
  std::vector<std::thread> clients;
  std::atomic<int> committed{0};
  std::vector<int64_t> txids(kClients * kEach);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        const std::string a = "p" + std::to_string((c + i) % 3);
        const std::string b = "p" + std::to_string((c + i + 1) % 3);
        ExecuteOptions options;
        options.wait_applied = i % 2 == 0;
        StatusOr<ExecuteResult> result = coordinator_->Execute({Write(a), Write(b)}, options);
        if (result.ok() && result->outcome == Outcome::kCommitted) committed.fetch_add(1);
        if (result.ok()) txids[c * kEach + i] = result->txid;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(committed.load(), kClients * kEach);
  for (int64_t txid : txids) log_.AwaitEnd(txid);
  EXPECT_FALSE(log_.bad_end());
  for (auto& [name, fake] : fakes_) EXPECT_FALSE(fake->overlapped()) << name;
  EXPECT_EQ(std::set<int64_t>(txids.begin(), txids.end()).size(), txids.size());
}

TEST_F(CoordinatorDriverTest, ANoVoteAbortsAndTheYesVoterHearsTheAbort) {
  fakes_["p1"]->Vote(BranchVote::kNo);
  const ExecuteResult result = Run({Write("p0"), Write("p1")});
  EXPECT_EQ(result.outcome, Outcome::kAborted);
  EXPECT_EQ(result.reason, "participant p1: refused by p1");
  fakes_["p0"]->AwaitAborted(result.txid);
  EXPECT_FALSE(log_.committed(result.txid));
  EXPECT_EQ(coordinator_->Resolve(result.txid, "p0"), Decision::kAbort);
}

TEST_F(CoordinatorDriverTest, AnUnreachableParticipantAbortsWithWhy) {
  fakes_["p2"]->SetUnreachable(true);
  const ExecuteResult result = Run({Write("p0"), Write("p2")});
  EXPECT_EQ(result.outcome, Outcome::kAborted);
  EXPECT_EQ(result.reason, "participant p2: unreachable: connection refused");
  fakes_["p0"]->AwaitAborted(result.txid);
}

TEST_F(CoordinatorDriverTest, ACommitThatFailsIsRedeliveredByTheTimerUntilApplied) {
  fakes_["p1"]->FailCommits(2);
  ExecuteOptions options;
  options.wait_applied = true;
  const ExecuteResult result = Run({Write("p0"), Write("p1")}, options);
  ASSERT_EQ(result.outcome, Outcome::kCommitted);
  EXPECT_EQ(result.reason, "committed; some participants have not applied it yet (retrying)");
  fakes_["p1"]->AwaitCommitted(result.txid);
  log_.AwaitEnd(result.txid);
  EXPECT_GE(coordinator_->metrics().delivery_retries.load(), 1u);
}

TEST_F(CoordinatorDriverTest, InDoubtMergesWhatParticipantsHoldAndNamesTheUnreachable) {
  fakes_["p2"]->SetUnreachable(true);
  const std::vector<InDoubtTransaction> listed = coordinator_->InDoubt();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state, "PARTICIPANT_UNREACHABLE");
  EXPECT_EQ(listed[0].participants, std::vector<std::string>{"p2"});
}

TEST_F(CoordinatorDriverTest, StopAnswersAClientStillWaitingWithUnknownAndRefusesNewOnes) {
  // The client's thread makes its first prepare call itself: held there.
  fakes_["p0"]->Hold();
  StatusOr<ExecuteResult> waiting = Status::Aborted("not run");
  std::thread client([&] { waiting = coordinator_->Execute({Write("p0"), Write("p1")}, {}); });
  fakes_["p0"]->AwaitHeld();
  coordinator_->Stop();
  fakes_["p0"]->Release();
  client.join();
  ASSERT_TRUE(waiting.ok()) << waiting.status().ToString();
  EXPECT_EQ(waiting->outcome, Outcome::kUnknown);
  EXPECT_EQ(waiting->reason, "the coordinator is stopping; ask for the transaction's status later");
  EXPECT_NE(waiting->txid, 0);

  StatusOr<ExecuteResult> after = coordinator_->Execute({Write("p1"), Write("p2")}, {});
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().message(), "the coordinator is stopping");
}

}  // namespace
}  // namespace twopc::coordinator
