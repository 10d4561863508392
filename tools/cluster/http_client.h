// Minimal HTTP/1.0 client for local test servers (etcd's /health and JSON
// gateway): one request per connection, numeric IPv4 host, body read to EOF.
// HTTP/1.0 so that the server closes the connection and never sends chunks.
#pragma once

#include <chrono>
#include <string>

#include "wal/base/status.h"

namespace twopc::tools {

struct HttpResponse {
  int status = 0;  // e.g. 200
  std::string body;
};

// Sends `method` `path` with `body` (as application/json when not empty) to
// host:port and returns the response; an error if it cannot connect, or no
// full response arrives within `timeout`.
StatusOr<HttpResponse> HttpRequest(const std::string& host, int port, const std::string& method,
                                   const std::string& path, const std::string& body,
                                   std::chrono::milliseconds timeout);

inline StatusOr<HttpResponse> HttpGet(const std::string& host, int port, const std::string& path,
                                      std::chrono::milliseconds timeout) {
  return HttpRequest(host, port, "GET", path, "", timeout);
}

}  // namespace twopc::tools
