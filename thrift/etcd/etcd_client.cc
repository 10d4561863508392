#include "thrift/etcd/etcd_client.h"

#include "thrift/etcd/etcd_json.h"
#include "thrift/etcd/http_connection.h"

namespace twopc::etcd {

StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(EtcdClientOptions options) {
  if (options.endpoints.empty()) return Status::InvalidArgument("no etcd endpoint given");
  if (options.call_timeout_ms <= 0) {
    return Status::InvalidArgument("the etcd call timeout must be positive");
  }
  return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(options)));
}

EtcdClient::EtcdClient(EtcdClientOptions options) : options_(std::move(options)) {}

EtcdClient::~EtcdClient() = default;

std::string EtcdClient::current_endpoint() const {
  std::lock_guard<std::mutex> lock(mu_);
  return options_.endpoints[current_].ToString();
}

namespace {

// An answer that says this member cannot serve now (no leader, a request
// timed out, overloaded, stopping): the next member may. What it was asked
// may still have been applied: callers treat the outcome as unknown.
bool TryElsewhere(const HttpAnswer& answer, const Status& error) {
  if (answer.status == 0 || answer.status >= 500 || answer.status == 429 || answer.status == 408) {
    return true;
  }
  return error.IsBusy();
}

}  // namespace

StatusOr<std::string> EtcdClient::Post(const std::string& path, const std::string& body) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string failures;
  for (size_t tried = 0; tried < options_.endpoints.size(); ++tried) {
    if (!connection_) connection_ = std::make_unique<HttpConnection>(options_.endpoints[current_]);
    HttpAnswer answer = connection_->Post(path, body, options_.call_timeout_ms);
    const bool success = answer.status >= 200 && answer.status < 300;
    // A streamed call (keep-alive) reports its errors inside a 2xx answer.
    const Status error = answer.status == 0 ? Status::IoError(answer.error)
                         : !success || BodyIsError(answer.body)
                             ? ErrorFromBody(answer.status, answer.body)
                             : Status::Ok();
    if (error.ok()) return std::move(answer.body);
    if (!TryElsewhere(answer, error)) return error;
    failures += (failures.empty() ? "" : "; ") + options_.endpoints[current_].ToString() + ": " +
                error.message();
    connection_.reset();
    current_ = (current_ + 1) % options_.endpoints.size();
  }
  return Status::IoError("decision store unavailable: " + failures);
}

StatusOr<TxnResult> EtcdClient::Txn(const TxnRequest& request) {
  StatusOr<std::string> body = Post("/v3/kv/txn", TxnBody(request));
  if (!body.ok()) return body.status();
  return ParseTxn(*body);
}

StatusOr<std::vector<KeyValue>> EtcdClient::Range(const std::string& key, bool prefix) {
  StatusOr<std::string> body = Post("/v3/kv/range", RangeBody(key, prefix));
  if (!body.ok()) return body.status();
  return ParseRange(*body);
}

StatusOr<int64_t> EtcdClient::Delete(const std::string& key, bool prefix) {
  StatusOr<std::string> body = Post("/v3/kv/deleterange", DeleteRangeBody(key, prefix));
  if (!body.ok()) return body.status();
  return ParseDeleted(*body);
}

StatusOr<Lease> EtcdClient::GrantLease(int64_t ttl_s) {
  StatusOr<std::string> body = Post("/v3/lease/grant", LeaseGrantBody(ttl_s));
  if (!body.ok()) return body.status();
  return ParseLeaseGrant(*body);
}

Status EtcdClient::RevokeLease(int64_t id) {
  StatusOr<std::string> body = Post("/v3/lease/revoke", LeaseIdBody(id));
  return body.ok() ? Status::Ok() : body.status();
}

StatusOr<Lease> EtcdClient::KeepAlive(int64_t id) {
  StatusOr<std::string> body = Post("/v3/lease/keepalive", LeaseIdBody(id));
  if (!body.ok()) return body.status();
  return ParseKeepAlive(*body);
}

}  // namespace twopc::etcd
