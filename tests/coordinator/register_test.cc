// HA mode's register pieces against a real three-member etcd cluster:
// epochs taken by several coordinators are distinct and never reused, a
// member key lives as long as its lease, and the lease keeper renews a lease
// and reports it lost when etcd drops it.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>

#include "coordinator/core/txid_allocator.h"
#include "coordinator/register/commit_point.h"
#include "coordinator/register/epoch_registry.h"
#include "coordinator/register/lease_keeper.h"
#include "tests/temp_dir.h"
#include "tools/cluster/etcd_cluster.h"

namespace twopc::coordinator {
namespace {

// Polls `condition` until true or 30 s pass (a bound, not a timing check).
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

class RegisterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<tools::EtcdCluster>(tools::EtcdClusterOptions{3, dir_.path()});
    const Status started = cluster_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    client_ = NewClient();
    ASSERT_NE(client_, nullptr);
  }

  std::unique_ptr<etcd::EtcdClient> NewClient() {
    etcd::EtcdClientOptions options;
    for (const std::string& endpoint : cluster_->client_endpoints()) {
      options.endpoints.push_back(*rpc::ParseHostPort(endpoint));
    }
    StatusOr<std::unique_ptr<etcd::EtcdClient>> client = etcd::EtcdClient::Create(options);
    return client.ok() ? std::move(*client) : nullptr;
  }

  int64_t NewLease(int64_t ttl_s) {
    const StatusOr<etcd::Lease> lease = client_->GrantLease(ttl_s);
    EXPECT_TRUE(lease.ok()) << lease.status().ToString();
    return lease.ok() ? lease->id : 0;
  }

  test::TempDir dir_;
  std::unique_ptr<tools::EtcdCluster> cluster_;
  std::unique_ptr<etcd::EtcdClient> client_;
  const RegisterKeys keys_{"/twopc/test"};
};

TEST_F(RegisterTest, EveryRegistrationTakesANewEpochWithItsOwnMemberKey) {
  const int64_t first_lease = NewLease(30);
  const int64_t second_lease = NewLease(30);
  const StatusOr<uint64_t> first = RegisterEpoch(client_.get(), keys_, first_lease, "a", 100);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, 100u);  // the floor, on an empty register
  std::unique_ptr<etcd::EtcdClient> other = NewClient();
  const StatusOr<uint64_t> second = RegisterEpoch(other.get(), keys_, second_lease, "b", 100);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(*second, 101u);
  const StatusOr<std::map<uint64_t, std::string>> members = LiveMembers(client_.get(), keys_);
  ASSERT_TRUE(members.ok()) << members.status().ToString();
  EXPECT_EQ(*members, (std::map<uint64_t, std::string>{{100, "a"}, {101, "b"}}));

  // An epoch whose lease ended is over, and is not taken again.
  ASSERT_TRUE(client_->RevokeLease(first_lease).ok());
  const StatusOr<uint64_t> third = RegisterEpoch(client_.get(), keys_, NewLease(30), "c", 0);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, 102u);
  EXPECT_EQ(*LiveMembers(client_.get(), keys_),
            (std::map<uint64_t, std::string>{{101, "b"}, {102, "c"}}));
}

TEST_F(RegisterTest, ConcurrentRegistrationsNeverShareAnEpoch) {
  constexpr int kCoordinators = 4;
  std::vector<uint64_t> epochs(kCoordinators);
  std::vector<Status> errors(kCoordinators);
  std::vector<int64_t> leases;
  for (int i = 0; i < kCoordinators; ++i) leases.push_back(NewLease(30));
  std::vector<std::thread> threads;
  for (int i = 0; i < kCoordinators; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<etcd::EtcdClient> own = NewClient();
      StatusOr<uint64_t> epoch = RegisterEpoch(own.get(), keys_, leases[i], std::to_string(i), 1);
      if (epoch.ok()) {
        epochs[i] = *epoch;
      } else {
        errors[i] = epoch.status();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const Status& error : errors) ASSERT_TRUE(error.ok()) << error.ToString();
  std::sort(epochs.begin(), epochs.end());
  EXPECT_EQ(epochs, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(LiveMembers(client_.get(), keys_)->size(), 4u);
}

TEST_F(RegisterTest, AnEpochWithoutALeaseOrPastTheLastOneIsRefused) {
  EXPECT_TRUE(RegisterEpoch(client_.get(), keys_, 0, "a", 1).status().IsInvalidArgument());
  EXPECT_TRUE(RegisterEpoch(client_.get(), keys_, NewLease(30), "a", TxidAllocator::kMaxEpoch + 1)
                  .status()
                  .IsLimitExceeded());
  EXPECT_TRUE(LiveMembers(client_.get(), keys_)->empty());
}

TEST_F(RegisterTest, ACounterThatIsNotANumberIsReportedAsCorruption) {
  etcd::TxnRequest put;
  put.success.push_back({etcd::Operation::Kind::kPut, keys_.EpochCounter(), false, "x1", 0});
  ASSERT_TRUE(client_->Txn(put).ok());
  const StatusOr<uint64_t> epoch = RegisterEpoch(client_.get(), keys_, NewLease(30), "a", 1);
  EXPECT_TRUE(epoch.status().IsCorruption()) << epoch.status().ToString();
}

TEST_F(RegisterTest, AKeptLeaseOutlivesItsTtlAndADroppedOneIsReportedLost) {
  const auto granted_at = std::chrono::steady_clock::now();
  const StatusOr<etcd::Lease> lease = client_->GrantLease(1);
  ASSERT_TRUE(lease.ok());
  const StatusOr<uint64_t> epoch = RegisterEpoch(client_.get(), keys_, lease->id, "kept", 1);
  ASSERT_TRUE(epoch.ok());
  std::atomic<int> lost_calls{0};
  LeaseKeeper keeper(NewClient(), *lease, granted_at, [&](const std::string&) { ++lost_calls; });
  keeper.Start();
  // Renewed several times over: more than its one-second TTL has passed.
  ASSERT_TRUE(Eventually([&] { return keeper.renewals() >= 6; }));
  EXPECT_FALSE(keeper.lost());
  EXPECT_EQ(LiveMembers(client_.get(), keys_)->count(*epoch), 1u);

  ASSERT_TRUE(client_->RevokeLease(lease->id).ok());
  ASSERT_TRUE(Eventually([&] { return keeper.lost(); }));
  keeper.Stop();
  EXPECT_EQ(lost_calls.load(), 1);
  EXPECT_TRUE(LiveMembers(client_.get(), keys_)->empty());
}

TEST_F(RegisterTest, ALeaseNobodyCanRenewIsLostOnceItsTtlHasPassed) {
  const auto granted_at = std::chrono::steady_clock::now();
  const StatusOr<etcd::Lease> lease = client_->GrantLease(1);
  ASSERT_TRUE(lease.ok());
  LeaseKeeper keeper(NewClient(), *lease, granted_at, nullptr);
  cluster_->Stop();  // no member left to renew it
  keeper.Start();
  ASSERT_TRUE(Eventually([&] { return keeper.lost(); }));
}

TEST(DecisionValueTest, CommitAndAbortRoundTripAndAnythingElseIsCorruption) {
  const DecisionValue commit{DecisionValue::Kind::kCommit, {"p0", "p1"}};
  EXPECT_EQ(EncodeDecision(commit), "COMMIT p0,p1");
  const StatusOr<DecisionValue> back = DecodeDecision("COMMIT p0,p1");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->kind, DecisionValue::Kind::kCommit);
  EXPECT_EQ(back->names, (std::vector<std::string>{"p0", "p1"}));
  EXPECT_EQ(DecodeDecision("ABORT p1")->names, std::vector<std::string>{"p1"});
  EXPECT_TRUE(DecodeDecision("ABORT")->names.empty());
  EXPECT_TRUE(DecodeDecision("MAYBE p0").status().IsCorruption());
  EXPECT_TRUE(DecodeDecision("COMMIT p0,,p1").status().IsCorruption());
}

// Rules 1 and 3 on a real register: the first create-once write decides.
TEST_F(RegisterTest, TheFirstDecisionWrittenIsTheOneEveryoneFollows) {
  const int64_t coordinator_lease = NewLease(30);
  const StatusOr<uint64_t> epoch = RegisterEpoch(client_.get(), keys_, coordinator_lease, "c", 1);
  ASSERT_TRUE(epoch.ok());
  const int64_t participant_lease = NewLease(30);
  etcd::TxnRequest fence;
  fence.success.push_back(
      {etcd::Operation::Kind::kPut, "/twopc/test/participants/p1", false, "p1", participant_lease});
  ASSERT_TRUE(client_->Txn(fence).ok());
  using Outcome = RegisterDecision::Outcome;

  // The coordinator commits T1; a participant's later ABORT follows it.
  const RegisterDecision committed =
      WriteCommit(client_.get(), keys_, 1, *epoch, coordinator_lease, {"p0", "p1"});
  EXPECT_EQ(committed.outcome, Outcome::kCommitted) << committed.error;
  const RegisterDecision late_abort =
      WriteAbort(client_.get(), keys_, 1, "p1", "/twopc/test/participants/p1", participant_lease);
  EXPECT_EQ(late_abort.outcome, Outcome::kCommitted);
  EXPECT_EQ(late_abort.value.names, (std::vector<std::string>{"p0", "p1"}));

  // A participant aborts T2 first; the coordinator's COMMIT then reads ABORT.
  EXPECT_EQ(
      WriteAbort(client_.get(), keys_, 2, "p1", "/twopc/test/participants/p1", participant_lease)
          .outcome,
      Outcome::kAborted);
  const RegisterDecision too_late =
      WriteCommit(client_.get(), keys_, 2, *epoch, coordinator_lease, {"p0", "p1"});
  EXPECT_EQ(too_late.outcome, Outcome::kAborted);
  EXPECT_EQ(too_late.value.names, std::vector<std::string>{"p1"});

  // Repeating a COMMIT that landed (its reply lost) finds it, also once the
  // epoch is over; a new COMMIT for the ended epoch is fenced off.
  ASSERT_TRUE(client_->RevokeLease(coordinator_lease).ok());
  EXPECT_EQ(WriteCommit(client_.get(), keys_, 1, *epoch, coordinator_lease, {"p0", "p1"}).outcome,
            Outcome::kCommitted);
  EXPECT_EQ(WriteCommit(client_.get(), keys_, 3, *epoch, coordinator_lease, {"p0"}).outcome,
            Outcome::kFenced);
  EXPECT_EQ(ReadDecision(client_.get(), keys_, 3).outcome, Outcome::kAbsent);
  EXPECT_EQ(ReadDecision(client_.get(), keys_, 1).outcome, Outcome::kCommitted);

  // A participant whose own lease ended writes nothing either.
  ASSERT_TRUE(client_->RevokeLease(participant_lease).ok());
  EXPECT_EQ(
      WriteAbort(client_.get(), keys_, 3, "p1", "/twopc/test/participants/p1", participant_lease)
          .outcome,
      Outcome::kFenced);
}

TEST_F(RegisterTest, WithoutTheStoreADecisionIsUnknownNeverAborted) {
  const int64_t lease = NewLease(30);
  const StatusOr<uint64_t> epoch = RegisterEpoch(client_.get(), keys_, lease, "c", 1);
  ASSERT_TRUE(epoch.ok());
  cluster_->Stop();
  const RegisterDecision decision = WriteCommit(client_.get(), keys_, 1, *epoch, lease, {"p0"});
  EXPECT_EQ(decision.outcome, RegisterDecision::Outcome::kUnknown);
  EXPECT_NE(decision.error.find("decision store unavailable"), std::string::npos) << decision.error;
  EXPECT_EQ(ReadDecision(client_.get(), keys_, 1).outcome, RegisterDecision::Outcome::kUnknown);
}

}  // namespace
}  // namespace twopc::coordinator
