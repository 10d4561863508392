#include "participant/commit_batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/participant/test_util.h"

namespace twopc::participant {
namespace {

using test::Debit;

class CommitBatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::ExecRaw(path_, test::kBankSchema);
    store_ = test::OpenStore(path_);
    ASSERT_NE(store_, nullptr);
  }

  // The changeset of taking amount from account id (not applied).
  std::string ChangesetOf(int64_t id, int64_t amount) {
    SqliteStore::BranchRun run;
    Status status = store_->RunBranch(
        0, {Debit(id, amount)},
        [](const SqliteStore::BranchRun&) -> StatusOr<SqliteStore::Finish> {
          return SqliteStore::Finish::kRollback;
        },
        &run);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return run.changeset;
  }

  void Record(const std::vector<int64_t>& txids) {
    std::lock_guard<std::mutex> lock(mu_);
    reported_.insert(reported_.end(), txids.begin(), txids.end());
  }

  test::TempDir dir_;
  const std::string path_ = dir_.Join("bank.db");
  std::unique_ptr<SqliteStore> store_;
  std::mutex mu_;
  std::vector<int64_t> reported_;
};

TEST_F(CommitBatcherTest, ApplyIsDurableAndReported) {
  CommitBatcher batcher(store_.get(),
                        [this](const std::vector<int64_t>& t, bool) -> StatusOr<uint64_t> {
                          Record(t);
                          return uint64_t{1};
                        });
  const std::string changeset = ChangesetOf(1, 30);
  ASSERT_TRUE(batcher.ApplyMany({{7, &changeset}}).front().ok());
  EXPECT_EQ(test::Balance(store_.get(), 1), 70);
  EXPECT_EQ(reported_, std::vector<int64_t>{7});
  EXPECT_EQ(batcher.batches(), 1u);
}

TEST_F(CommitBatcherTest, ConcurrentAppliesAllLandAndEachIsReportedOnce) {
  CommitBatcher batcher(store_.get(),
                        [this](const std::vector<int64_t>& t, bool) -> StatusOr<uint64_t> {
                          Record(t);
                          return uint64_t{1};
                        });
  const std::vector<std::string> changesets = {ChangesetOf(1, 1), ChangesetOf(2, 2),
                                               ChangesetOf(3, 3)};
  std::vector<Status> results(changesets.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < changesets.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = batcher.ApplyMany({{static_cast<int64_t>(i + 1), &changesets[i]}}).front();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const Status& status : results) EXPECT_TRUE(status.ok()) << status.ToString();
  std::sort(reported_.begin(), reported_.end());
  EXPECT_EQ(reported_, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_LE(batcher.batches(), 3u);
  EXPECT_EQ(test::Balance(store_.get(), 1), 99);
  EXPECT_EQ(test::Balance(store_.get(), 2), 48);
  EXPECT_EQ(test::Balance(store_.get(), 3), 7);
}

TEST_F(CommitBatcherTest, BadChangesetFailsAloneAndIsNotReported) {
  CommitBatcher batcher(store_.get(),
                        [this](const std::vector<int64_t>& t, bool) -> StatusOr<uint64_t> {
                          Record(t);
                          return uint64_t{1};
                        });
  const std::string good = ChangesetOf(1, 30);
  const std::string bad = "not a changeset";
  Status good_status;
  Status bad_status;
  std::thread other([&] { bad_status = batcher.ApplyMany({{2, &bad}}).front(); });
  good_status = batcher.ApplyMany({{1, &good}}).front();
  other.join();
  EXPECT_TRUE(good_status.ok()) << good_status.ToString();
  EXPECT_FALSE(bad_status.ok());
  EXPECT_EQ(reported_, std::vector<int64_t>{1});
  EXPECT_EQ(test::Balance(store_.get(), 1), 70);
}

}  // namespace
}  // namespace twopc::participant
