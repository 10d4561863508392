// tools::EtcdCluster against the real etcd: three members on free loopback
// ports serve the v3 JSON gateway, survive the loss of one member, and take it
// back after its restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "tests/temp_dir.h"
#include "thrift/etcd/etcd_json.h"
#include "thrift/etcd/http_connection.h"
#include "tools/cluster/etcd_cluster.h"

namespace twopc::tools {
namespace {

// Bounds on waiting for a condition, not expectations.
constexpr std::chrono::seconds kDeadline(30);
constexpr std::chrono::milliseconds kRequestTimeout(5000);
// Per attempt while retrying: a put forwarded to a leader that just died is
// only answered at etcd's own request timeout (several seconds).
constexpr std::chrono::milliseconds kAttemptTimeout(1000);
constexpr std::chrono::milliseconds kPollInterval(50);

struct HttpResponse {
  int status = 0;
  std::string body;
};

// POSTs `body` to member i's JSON gateway.
StatusOr<HttpResponse> Post(const EtcdCluster& cluster, int i, const std::string& path,
                            const std::string& body, std::chrono::milliseconds timeout) {
  etcd::HttpConnection connection(rpc::HostPort{"127.0.0.1", cluster.client_port(i)});
  etcd::HttpAnswer answer = connection.Post(path, body, static_cast<int>(timeout.count()));
  if (answer.status == 0) return Status::IoError(answer.error);
  return HttpResponse{answer.status, std::move(answer.body)};
}

// PUT key=value through member i's JSON gateway.
Status Put(const EtcdCluster& cluster, int i, const std::string& key, const std::string& value,
           std::chrono::milliseconds timeout = kRequestTimeout) {
  const StatusOr<HttpResponse> response =
      Post(cluster, i, "/v3/kv/put",
           "{\"key\":\"" + etcd::Base64Encode(key) + "\",\"value\":\"" + etcd::Base64Encode(value) +
               "\"}",
           timeout);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return Status::Aborted("put: HTTP " + std::to_string(response->status) + " " + response->body);
  }
  return Status::Ok();
}

// The base64 value of `key` read (linearizably) through member i, "" if absent.
StatusOr<std::string> GetBase64(const EtcdCluster& cluster, int i, const std::string& key) {
  const StatusOr<HttpResponse> response = Post(
      cluster, i, "/v3/kv/range", "{\"key\":\"" + etcd::Base64Encode(key) + "\"}", kRequestTimeout);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return Status::Aborted("range: HTTP " + std::to_string(response->status) + " " +
                           response->body);
  }
  // kvs[0].value: the only "value" field of a one-key answer.
  const std::string field = "\"value\":\"";
  const size_t start = response->body.find(field);
  if (start == std::string::npos) return std::string();
  const size_t begin = start + field.size();
  return response->body.substr(begin, response->body.find('"', begin) - begin);
}

// Retries `put` until it succeeds or the deadline passes: after a kill the
// survivors may first have to elect a leader.
Status PutWithin(const EtcdCluster& cluster, int i, const std::string& key,
                 const std::string& value) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  Status status = Put(cluster, i, key, value, kAttemptTimeout);
  while (!status.ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
    status = Put(cluster, i, key, value, kAttemptTimeout);
  }
  return status;
}

TEST(EtcdClusterTest, ServesThroughAnyMemberSurvivesOneLossAndTakesItBack) {
  test::TempDir dir;
  EtcdCluster cluster({3, dir.path()});
  const Status started = cluster.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  ASSERT_EQ(cluster.client_endpoints().size(), 3u);
  EXPECT_EQ(cluster.endpoints_flag(), cluster.client_endpoints()[0] + "," +
                                          cluster.client_endpoints()[1] + "," +
                                          cluster.client_endpoints()[2]);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(cluster.MemberHealthy(i)) << cluster.member_name(i);

  // Written through m0, read through m1.
  const Status put = Put(cluster, 0, "txn/1", "commit");
  ASSERT_TRUE(put.ok()) << put.message() << "\n" << cluster.LogTails();
  StatusOr<std::string> read = GetBase64(cluster, 1, "txn/1");
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(*read, etcd::Base64Encode("commit"));

  // Two of three still form a majority.
  cluster.KillMember(0);
  EXPECT_FALSE(cluster.MemberHealthy(0));
  const Status put_without_m0 = PutWithin(cluster, 1, "txn/2", "abort");
  ASSERT_TRUE(put_without_m0.ok()) << put_without_m0.message() << "\n" << cluster.LogTails();
  read = GetBase64(cluster, 2, "txn/2");
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(*read, etcd::Base64Encode("abort"));

  // m0 rejoins from its data directory and catches up on what it missed.
  const Status restarted = cluster.RestartMember(0);
  ASSERT_TRUE(restarted.ok()) << restarted.message();
  EXPECT_TRUE(cluster.MemberHealthy(0));
  read = GetBase64(cluster, 0, "txn/2");
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(*read, etcd::Base64Encode("abort"));

  cluster.Stop();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(cluster.MemberHealthy(i)) << cluster.member_name(i);
  cluster.Stop();  // idempotent
}

TEST(EtcdClusterTest, ReportsAMemberThatExitsDuringStart) {
  test::TempDir dir;
  EtcdClusterOptions options{1, dir.path()};
  options.etcd_binary = "/bin/false";
  EtcdCluster cluster(options);
  const Status started = cluster.Start();
  EXPECT_FALSE(started.ok());
  EXPECT_NE(started.message().find("etcd m0 exited"), std::string::npos) << started.message();
  EXPECT_NE(started.message().find(dir.Join("m0.log")), std::string::npos) << started.message();
}

}  // namespace
}  // namespace twopc::tools
