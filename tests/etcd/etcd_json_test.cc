// The JSON of etcd's gateway without a server: what twopc sends, and what it
// reads from answers captured from etcd 3.4.
#include "thrift/etcd/etcd_json.h"

#include <gtest/gtest.h>

namespace twopc::etcd {
namespace {

TEST(EtcdJsonTest, Base64RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (size_t n = 0; n <= 7; ++n) {
    const std::string part = bytes.substr(250 - n, n);
    const StatusOr<std::string> back = Base64Decode(Base64Encode(part));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, part);
  }
  EXPECT_EQ(Base64Encode("/t/decisions/1"), "L3QvZGVjaXNpb25zLzE=");
  EXPECT_EQ(*Base64Decode("Q09NTUlU"), "COMMIT");
  EXPECT_EQ(*Base64Decode(Base64Encode(bytes)), bytes);
}

TEST(EtcdJsonTest, Base64RefusesWhatIsNotBase64) {
  EXPECT_TRUE(Base64Decode("abc").status().IsInvalidArgument());
  EXPECT_TRUE(Base64Decode("ab!d").status().IsInvalidArgument());
}

TEST(EtcdJsonTest, PrefixEndIsTheNextKeyAfterEveryKeyWithThePrefix) {
  EXPECT_EQ(PrefixEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff", 1)), std::string(1, '\0'));
}

TEST(EtcdJsonTest, ACreateOnceTransactionComparesTheCreateRevisionAndALease) {
  TxnRequest request;
  request.compare.push_back({"k", Compare::Target::kCreateRevision, 0, ""});
  request.compare.push_back({"m", Compare::Target::kLease, 7, ""});
  request.success.push_back({Operation::Kind::kPut, "k", false, "v", 7});
  request.failure.push_back({Operation::Kind::kRange, "k", false, "", 0});
  request.failure.push_back({Operation::Kind::kDelete, "p/", true, "", 0});
  EXPECT_EQ(
      TxnBody(request),
      "{\"compare\":["
      "{\"key\":\"aw==\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"},"
      "{\"key\":\"bQ==\",\"target\":\"LEASE\",\"result\":\"EQUAL\",\"lease\":\"7\"}],"
      "\"success\":[{\"request_put\":{\"key\":\"aw==\",\"value\":\"dg==\",\"lease\":\"7\"}}],"
      "\"failure\":[{\"request_range\":{\"key\":\"aw==\"}},"
      "{\"request_delete_range\":{\"key\":\"cC8=\",\"range_end\":\"cDA=\"}}]}");
}

TEST(EtcdJsonTest, ASucceededTransactionAndAFailedOneWithTheKeyItFound) {
  const StatusOr<TxnResult> won =
      ParseTxn(R"({"header":{"cluster_id":"1","member_id":"2","revision":"2","raft_term":"2"},)"
               R"("succeeded":true,"responses":[{"response_put":{"header":{"revision":"2"}}}]})");
  ASSERT_TRUE(won.ok()) << won.status().ToString();
  EXPECT_TRUE(won->succeeded);
  EXPECT_EQ(won->revision, 2);
  ASSERT_EQ(won->results.size(), 1u);

  // "succeeded" is left out when false.
  const StatusOr<TxnResult> lost = ParseTxn(
      R"({"header":{"revision":"2"},"responses":[{"response_range":{"header":{"revision":"2"},)"
      R"("kvs":[{"key":"L3QvZGVjaXNpb25zLzE=","create_revision":"2","mod_revision":"2",)"
      R"("version":"1","value":"Q09NTUlU","lease":"9"}],"count":"1"}}]})");
  ASSERT_TRUE(lost.ok()) << lost.status().ToString();
  EXPECT_FALSE(lost->succeeded);
  ASSERT_EQ(lost->results.size(), 1u);
  ASSERT_EQ(lost->results[0].kvs.size(), 1u);
  const KeyValue& kv = lost->results[0].kvs[0];
  EXPECT_EQ(kv.key, "/t/decisions/1");
  EXPECT_EQ(kv.value, "COMMIT");
  EXPECT_EQ(kv.create_revision, 2);
  EXPECT_EQ(kv.version, 1);
  EXPECT_EQ(kv.lease, 9);

  // A range that found nothing has no "kvs".
  const StatusOr<TxnResult> empty =
      ParseTxn(R"({"header":{"revision":"4"},"responses":[{"response_range":{"header":{}}}]})");
  ASSERT_TRUE(empty.ok());
  ASSERT_EQ(empty->results.size(), 1u);
  EXPECT_TRUE(empty->results[0].kvs.empty());
}

TEST(EtcdJsonTest, LeasesGrantedKeptAliveAndGone) {
  const StatusOr<Lease> granted =
      ParseLeaseGrant(R"({"header":{"revision":"1"},"ID":"4111120514460719365","TTL":"5"})");
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(granted->id, 4111120514460719365);
  EXPECT_EQ(granted->ttl_s, 5);
  const StatusOr<Lease> alive =
      ParseKeepAlive(R"({"result":{"header":{"revision":"3"},"ID":"12","TTL":"5"}})");
  ASSERT_TRUE(alive.ok());
  EXPECT_EQ(alive->ttl_s, 5);
  // After a revoke or expiry the keep-alive answers without a TTL.
  const StatusOr<Lease> gone =
      ParseKeepAlive(R"({"result":{"header":{"revision":"4"},"ID":"12"}})");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->ttl_s, 0);
  EXPECT_EQ(LeaseGrantBody(5), "{\"TTL\":\"5\"}");
  EXPECT_EQ(LeaseIdBody(12), "{\"ID\":\"12\"}");
}

TEST(EtcdJsonTest, EtcdsErrorsKeepTheirMeaning) {
  const Status not_found = ErrorFromBody(
      404,
      R"({"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5})");
  EXPECT_TRUE(not_found.IsNotFound());
  EXPECT_EQ(not_found.message(), "etcd: etcdserver: requested lease not found");
  EXPECT_TRUE(ErrorFromBody(400, R"({"error":"x","message":"bad","code":3})").IsInvalidArgument());
  EXPECT_TRUE(ErrorFromBody(502, "<html>").IsIoError());
  // Unavailable: another member may serve it.
  EXPECT_TRUE(ErrorFromBody(503, R"({"error":"etcdserver: no leader","code":14})").IsBusy());
  // A streamed call nests its error.
  const Status nested = ErrorFromBody(
      200, R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader"}})");
  EXPECT_TRUE(nested.IsBusy());
  EXPECT_EQ(nested.message(), "etcd: etcdserver: no leader");
  EXPECT_TRUE(BodyIsError(R"({"error":{"grpc_code":5,"message":"x"}})"));
  EXPECT_FALSE(BodyIsError(R"({"result":{"ID":"1"}})"));
  // An error inside a 200 answer (a streamed call) is an error too.
  EXPECT_TRUE(
      ParseKeepAlive(R"({"error":"gone","message":"gone","code":5})").status().IsNotFound());
}

TEST(EtcdJsonTest, WhatIsNotTheExpectedJsonIsCorruption) {
  EXPECT_TRUE(ParseTxn("not json").status().IsCorruption());
  EXPECT_TRUE(ParseTxn(R"({"header":{"revision":"x"}})").status().IsCorruption());
  EXPECT_TRUE(ParseRange(R"({"kvs":[{"key":"!!!!","value":""}]})").status().IsInvalidArgument());
  EXPECT_TRUE(ParseLeaseGrant(R"({"TTL":"5"})").status().IsCorruption());
  EXPECT_TRUE(ParseKeepAlive(R"({"header":{}})").status().IsCorruption());
}

}  // namespace
}  // namespace twopc::etcd
