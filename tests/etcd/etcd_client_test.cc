// The etcd client against a real three-member etcd cluster on loopback
// (Debian's etcd 3.4): create-once decisions, a commit fenced by a lease,
// leases kept alive and revoked, failover when the member in use is killed,
// and a clear error when none is left.
#include "thrift/etcd/etcd_client.h"

#include <gtest/gtest.h>

#include "tests/temp_dir.h"
#include "tools/cluster/etcd_cluster.h"

namespace twopc::etcd {
namespace {

class EtcdClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tools::EtcdClusterOptions options;
    options.members = 3;
    options.dir = dir_.path();
    cluster_ = std::make_unique<tools::EtcdCluster>(options);
    const Status started = cluster_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    client_ = NewClient();
    ASSERT_NE(client_, nullptr);
  }

  std::unique_ptr<EtcdClient> NewClient() {
    EtcdClientOptions options;
    for (const std::string& endpoint : cluster_->client_endpoints()) {
      StatusOr<rpc::HostPort> address = rpc::ParseHostPort(endpoint);
      if (!address.ok()) return nullptr;
      options.endpoints.push_back(*address);
    }
    StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Create(options);
    return client.ok() ? std::move(*client) : nullptr;
  }

  // If `key` was never created, put `value`; else read what it holds.
  static TxnRequest CreateOnce(const std::string& key, const std::string& value) {
    TxnRequest request;
    request.compare.push_back({key, Compare::Target::kCreateRevision, 0, ""});
    request.success.push_back({Operation::Kind::kPut, key, false, value, 0});
    request.failure.push_back({Operation::Kind::kRange, key, false, "", 0});
    return request;
  }

  test::TempDir dir_;
  std::unique_ptr<tools::EtcdCluster> cluster_;
  std::unique_ptr<EtcdClient> client_;
};

TEST_F(EtcdClientTest, TheFirstCreateOnceWinsAndTheSecondReadsIt) {
  const StatusOr<TxnResult> first = client_->Txn(CreateOnce("/t/decisions/1", "COMMIT p0,p1"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->succeeded);
  const StatusOr<TxnResult> second = client_->Txn(CreateOnce("/t/decisions/1", "ABORT p1"));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->succeeded);
  ASSERT_EQ(second->results.size(), 1u);
  ASSERT_EQ(second->results[0].kvs.size(), 1u);
  EXPECT_EQ(second->results[0].kvs[0].value, "COMMIT p0,p1");
  // A second client (any coordinator) reads the same.
  std::unique_ptr<EtcdClient> other = NewClient();
  ASSERT_NE(other, nullptr);
  const StatusOr<std::vector<KeyValue>> read = other->Range("/t/decisions/1");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].value, "COMMIT p0,p1");
}

TEST_F(EtcdClientTest, ACommitFencedByALeaseLandsOnlyWhileTheLeaseLives) {
  const StatusOr<Lease> lease = client_->GrantLease(30);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_GT(lease->ttl_s, 0);
  TxnRequest member;
  member.success.push_back({Operation::Kind::kPut, "/t/members/1", false, "epoch 1", lease->id});
  ASSERT_TRUE(client_->Txn(member).ok());

  auto fenced = [&](const std::string& key) {
    TxnRequest request = CreateOnce(key, "COMMIT");
    request.compare.push_back({"/t/members/1", Compare::Target::kLease, lease->id, ""});
    request.failure.push_back({Operation::Kind::kRange, "/t/members/1", false, "", 0});
    return client_->Txn(request);
  };
  const StatusOr<TxnResult> before = fenced("/t/decisions/2");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_TRUE(before->succeeded);

  const StatusOr<Lease> renewed = client_->KeepAlive(lease->id);
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_GT(renewed->ttl_s, 0);
  ASSERT_TRUE(client_->RevokeLease(lease->id).ok());

  // The member key went with its lease: no COMMIT for that epoch any more.
  const StatusOr<TxnResult> after = fenced("/t/decisions/3");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_FALSE(after->succeeded);
  ASSERT_EQ(after->results.size(), 2u);
  EXPECT_TRUE(after->results[0].kvs.empty());  // the decision: absent
  EXPECT_TRUE(after->results[1].kvs.empty());  // the member: gone
  const StatusOr<Lease> gone = client_->KeepAlive(lease->id);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_EQ(gone->ttl_s, 0);
  EXPECT_TRUE(client_->RevokeLease(lease->id).IsNotFound());
}

TEST_F(EtcdClientTest, APrefixIsReadAndDeletedWhole) {
  for (const char* key : {"/t/decisions/7", "/t/decisions/8", "/t/decisionsX", "/t/other"}) {
    ASSERT_TRUE(client_->Txn(CreateOnce(key, "v")).ok());
  }
  const StatusOr<std::vector<KeyValue>> all = client_->Range("/t/decisions/", /*prefix=*/true);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].key, "/t/decisions/7");
  EXPECT_EQ((*all)[1].key, "/t/decisions/8");
  const StatusOr<int64_t> deleted = client_->Delete("/t/decisions/", /*prefix=*/true);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 2);
  const StatusOr<std::vector<KeyValue>> left = client_->Range("/t/", /*prefix=*/true);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->size(), 2u);
}

TEST_F(EtcdClientTest, WhenTheMemberInUseDiesTheNextCallGoesToAnother) {
  ASSERT_TRUE(client_->Txn(CreateOnce("/t/decisions/10", "COMMIT")).ok());
  const std::string used = client_->current_endpoint();
  const std::vector<std::string> endpoints = cluster_->client_endpoints();
  int member = -1;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    if (endpoints[i] == used) member = static_cast<int>(i);
  }
  ASSERT_GE(member, 0) << used;
  cluster_->KillMember(member);

  const StatusOr<TxnResult> next = client_->Txn(CreateOnce("/t/decisions/11", "COMMIT"));
  ASSERT_TRUE(next.ok()) << next.status().ToString() << cluster_->LogTails();
  EXPECT_TRUE(next->succeeded);
  EXPECT_NE(client_->current_endpoint(), used);
  const StatusOr<std::vector<KeyValue>> earlier = client_->Range("/t/decisions/10");
  ASSERT_TRUE(earlier.ok());
  EXPECT_EQ(earlier->size(), 1u);
}

TEST_F(EtcdClientTest, WithNoMemberLeftACallSaysTheStoreIsUnavailable) {
  cluster_->Stop();
  const StatusOr<TxnResult> txn = client_->Txn(CreateOnce("/t/decisions/12", "COMMIT"));
  ASSERT_FALSE(txn.ok());
  EXPECT_TRUE(txn.status().IsIoError());
  EXPECT_EQ(txn.status().message().rfind("decision store unavailable: ", 0), 0u)
      << txn.status().message();
  for (const std::string& endpoint : cluster_->client_endpoints()) {
    EXPECT_NE(txn.status().message().find(endpoint), std::string::npos) << txn.status().message();
  }
}

TEST(EtcdClientOptionsTest, NoEndpointIsRefused) {
  EXPECT_TRUE(EtcdClient::Create(EtcdClientOptions{}).status().IsInvalidArgument());
}

}  // namespace
}  // namespace twopc::etcd
