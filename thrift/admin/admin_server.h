// The admin HTTP endpoint of txcoord and txpart (--admin-listen): serves a
// fixed set of GET routes (metrics, status page, status JSON) on its own
// thread, separate from the Thrift service. Handlers run on that thread, so
// they must be quick: they read counters and cached state, never block on RPCs.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "thrift/rpc/rpc_util.h"
#include "wal/base/status.h"

namespace twopc::admin {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Path (without the query string) -> handler.
using Routes = std::map<std::string, std::function<HttpResponse()>>;

class AdminServer {
 public:
  AdminServer(rpc::HostPort address, Routes routes);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds, listens and starts serving; an error if the address cannot be used.
  Status Start();
  // Stops serving and joins the thread (also done by the destructor).
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twopc::admin
