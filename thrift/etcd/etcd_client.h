// A client of etcd's v3 API through its JSON gateway (HTTP/1.1 POST to
// /v3/...), over one keep-alive connection at a time. When an endpoint does
// not answer, the call goes to the next one (in the order given, wrapping
// around) and the client stays there. Calls are serialised (one in flight).
//
// A call whose reply was lost may have been applied, and the failover may
// then send it a second time to another member: callers send only requests
// whose repeat is harmless (create-once transactions, reads, deletes, lease
// calls) and treat a failed transaction's outcome as unknown, never as
// "not applied".
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "thrift/etcd/etcd_types.h"
#include "thrift/rpc/rpc_util.h"
#include "wal/base/status.h"

namespace twopc::etcd {

class HttpConnection;

struct EtcdClientOptions {
  std::vector<rpc::HostPort> endpoints;
  // Per call and endpoint: connecting, sending and reading the answer.
  int call_timeout_ms = 2000;
};

class EtcdClient {
 public:
  // InvalidArgument without endpoints.
  static StatusOr<std::unique_ptr<EtcdClient>> Create(EtcdClientOptions options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // Every method returns IoError "decision store unavailable: ..." when no
  // endpoint answered, and the error etcd gave otherwise (NotFound for a
  // lease that is gone).
  StatusOr<TxnResult> Txn(const TxnRequest& request);
  StatusOr<std::vector<KeyValue>> Range(const std::string& key, bool prefix = false);
  StatusOr<int64_t> Delete(const std::string& key, bool prefix = false);  // how many
  StatusOr<Lease> GrantLease(int64_t ttl_s);
  Status RevokeLease(int64_t id);
  // The lease's remaining TTL after renewing it; ttl_s 0: it expired.
  StatusOr<Lease> KeepAlive(int64_t id);

  // The endpoint the next call goes to first.
  std::string current_endpoint() const;

 private:
  explicit EtcdClient(EtcdClientOptions options);
  // POSTs `body` to `path`; the body of a 2xx answer, or its error.
  StatusOr<std::string> Post(const std::string& path, const std::string& body);

  const EtcdClientOptions options_;
  mutable std::mutex mu_;
  size_t current_ = 0;
  std::unique_ptr<HttpConnection> connection_;  // to endpoints[current_], when open
};

}  // namespace twopc::etcd
