// A private etcd (v3 API) cluster of real `etcd` processes on 127.0.0.1, on
// free ports, for the tests of the HA mode that keeps decisions on etcd.
// Members are named m0..m{N-1}; data and logs go under a directory the caller
// owns. Every member is killed and reaped by PID on Stop or destruction.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tools/process/process.h"
#include "wal/base/status.h"

namespace twopc::tools {

struct EtcdClusterOptions {
  int members = 3;
  std::string dir;  // data (DIR/mI) and logs (DIR/mI.log)
  std::string etcd_binary = "/usr/bin/etcd";
};

class EtcdCluster {
 public:
  explicit EtcdCluster(EtcdClusterOptions options) : options_(std::move(options)) {}
  ~EtcdCluster() { Stop(); }
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Starts every member and waits until each answers /health with
  // {"health":"true"}; the error carries the members' log tails.
  Status Start();
  // SIGKILL to every member, then reaps. Idempotent.
  void Stop();

  // SIGKILL to member i, then reaps; its data directory stays.
  void KillMember(int i);
  // Starts member i again on its data directory and ports (killing it first if
  // it still runs) and waits until it answers health.
  Status RestartMember(int i);
  // Whether member i answers GET /health with {"health":"true"} now.
  bool MemberHealthy(int i) const;

  int size() const { return options_.members; }
  std::string member_name(int i) const { return "m" + std::to_string(i); }
  int client_port(int i) const { return client_ports_.at(static_cast<size_t>(i)); }
  // "127.0.0.1:PORT" of every member's client URL, and all of them
  // comma-joined (for --endpoints).
  std::vector<std::string> client_endpoints() const;
  std::string endpoints_flag() const;

  // The end of every member's log, for failure messages.
  std::string LogTails(size_t bytes_each = 3000) const;

 private:
  // Starts member i's process; `state` is "new" or "existing".
  Status StartMember(int i, const std::string& state);
  // Waits until every member in `which` answers health; fails if one exits.
  Status WaitHealthy(const std::vector<int>& which) const;

  EtcdClusterOptions options_;
  std::string token_;  // --initial-cluster-token, unique per cluster
  std::vector<int> client_ports_;
  std::vector<int> peer_ports_;
  std::vector<std::unique_ptr<Process>> members_;
};

}  // namespace twopc::tools
