// One HTTP/1.1 keep-alive connection for etcd's JSON gateway (POST) and its
// /health (GET). Not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "thrift/rpc/rpc_util.h"

namespace twopc::etcd {

struct HttpAnswer {
  int status = 0;  // 0: no answer (see error)
  std::string body;
  std::string error;
  bool closed_by_peer = false;  // no answer because the peer closed the connection
};

class HttpConnection {
 public:
  explicit HttpConnection(rpc::HostPort address);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Connects if needed, sends, reads the answer; everything within
  // timeout_ms. After a failure the connection is closed (the next Post
  // opens a new one).
  HttpAnswer Post(const std::string& path, const std::string& body, int timeout_ms) {
    return Request(Method::kPost, path, body, timeout_ms);
  }
  enum class Method { kGet, kPost };
  HttpAnswer Request(Method method, const std::string& path, const std::string& body,
                     int timeout_ms);
  const rpc::HostPort& address() const { return address_; }

 private:
  struct State;
  HttpAnswer RequestOnce(Method method, const std::string& path, const std::string& body,
                         int timeout_ms);
  rpc::HostPort address_;
  std::unique_ptr<State> state_;
};

}  // namespace twopc::etcd
