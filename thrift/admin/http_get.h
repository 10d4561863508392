// A minimal HTTP/1.1 GET client for the admin endpoint (txctl top, tests).
#pragma once

#include <string>

#include "thrift/rpc/rpc_util.h"

namespace twopc::admin {

struct HttpResult {
  int status = 0;  // the HTTP status; 0 when no answer came
  std::string body;
  std::string error;  // why there is no answer
};

// GET http://address/path, giving up after timeout_ms in all.
HttpResult HttpGet(const rpc::HostPort& address, const std::string& path, int timeout_ms);

}  // namespace twopc::admin
