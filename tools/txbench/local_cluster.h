// txbench --local: a private twopc cluster on 127.0.0.1 — one txcoord and P
// txpart agents (named p0..p{P-1}), each beside a fresh bank database, all
// files and logs in a directory the caller owns. Everything it starts is
// stopped by PID when it is stopped or destroyed.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "thrift/rpc/rpc_util.h"
#include "tools/process/process.h"
#include "tools/txbench/txbench_options.h"

namespace twopc::txbench {

struct LocalClusterOptions {
  int participants = 3;
  int accounts = 1000;
  std::string dir;      // data and logs go here
  std::string bin_dir;  // where txcoord and txpart are
  // TLS files every process uses and presents, and the token they require
  // (from token_file, passed on to the processes); none: plain TCP, no token.
  rpc::SecurityOptions security;
  std::string token_file;
};

// The directory holding the running executable (from /proc/self/exe).
std::string ProgramDir();

class LocalCluster {
 public:
  explicit LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {}
  ~LocalCluster() { Stop(); }
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // Creates the databases, starts the processes and waits until every one
  // answers health. On failure says why in *error (see LogTails).
  bool Start(std::string* error);
  // SIGTERM to everything started, SIGKILL to whatever has not exited after a
  // grace period, then reaps. Idempotent.
  void Stop();

  const rpc::HostPort& coordinator_address() const { return coordinator_address_; }
  const std::vector<NamedAddress>& participants() const { return participant_addresses_; }
  // ("coordinator", pid), then (participant name, pid) for each agent.
  std::vector<std::pair<std::string, pid_t>> Pids() const;
  // The end of every process's log, for failure messages.
  std::string LogTails(size_t bytes_each) const;

 private:
  bool CreateDatabases(std::string* error);
  bool StartProcesses(std::string* error);
  bool WaitHealthy(std::string* error);
  std::vector<std::string> SecurityFlags() const;
  std::string DbPath(int i) const;

  LocalClusterOptions options_;
  rpc::HostPort coordinator_address_;
  std::vector<NamedAddress> participant_addresses_;
  std::unique_ptr<tools::Process> coordinator_;
  std::vector<std::unique_ptr<tools::Process>> agents_;
};

}  // namespace twopc::txbench
