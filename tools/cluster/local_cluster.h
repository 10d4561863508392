// A private twopc cluster of real processes on 127.0.0.1: one txcoord and N
// txpart agents (named p0..p{N-1}), each beside a fresh bank database, all
// files and logs in a directory the caller owns. txbench --local and the
// integration tests (through tests/integration/cluster.h) both use it.
// Everything it starts is stopped by PID when it is destroyed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "thrift/rpc/rpc_security.h"
#include "thrift/rpc/rpc_util.h"
#include "tools/cluster/bank_database.h"
#include "tools/process/process.h"
#include "wal/base/status.h"

namespace twopc::tools {

struct LocalClusterOptions {
  std::string bin_dir;  // where txcoord and txpart are
  int participants = 2;
  int accounts = 10;
  int64_t balance = kInitialBalance;
  // More SQL run on every database after the bank schema, before the start.
  std::string schema_sql;
  int prepare_timeout_ms = 0;  // 0: txcoord's default
  // More flags for every txpart / for txcoord (e.g. "--minloglevel=1").
  std::vector<std::string> participant_flags;
  std::vector<std::string> coordinator_flags;
  // More flags for participant i only (missing or empty: none), e.g. its own
  // "--admin-listen=127.0.0.1:PORT".
  std::vector<std::vector<std::string>> participant_own_flags;
  // Environment ("NAME=VALUE") for participant i's first start (missing or
  // empty: none), and for txcoord's; e.g. "TWOPC_FAILPOINTS=...".
  std::vector<std::vector<std::string>> participant_env;
  std::vector<std::string> coordinator_env;
  // TLS files every process uses and presents (tls_require_client_cert:
  // mutual TLS), and the token they require, none: plain TCP, no token. The
  // processes read the token from token_file; left empty, the token is
  // written to DIR/token (mode 600).
  rpc::SecurityOptions security;
  std::string token_file;
  // Asked while waiting for the start: true gives up (txbench: Ctrl-C).
  std::function<bool()> stop_waiting;
};

// The directory holding the running executable (from /proc/self/exe).
std::string ProgramDir();

// Writes `token` to a new file readable by its owner only.
Status WriteTokenFile(const std::string& path, const std::string& token);

class LocalCluster {
 public:
  // Files and logs go under `dir`, which the caller owns.
  explicit LocalCluster(std::string dir) : dir_(std::move(dir)) {}
  ~LocalCluster() { Stop(); }
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // Creates the databases, starts every process and waits until all answer
  // health (see LogTails when it fails).
  Status Start(const LocalClusterOptions& options);
  // SIGTERM to everything started, SIGKILL to whatever has not exited after a
  // grace period, then reaps. Idempotent.
  void Stop();
  // SIGKILL to everything started, then reaps: no grace, for tests.
  void Kill();

  // Starts participant i (or the coordinator) again with the flags of its
  // first start and `env`, after killing and reaping the old process if it
  // still runs (references from participant(i)/coordinator() are then stale).
  // Fails if the new process does not answer health, or exits first (possibly
  // on purpose: a fail point armed through `env`).
  Status RestartParticipant(int i, const std::vector<std::string>& env = {});
  Status RestartCoordinator(const std::vector<std::string>& env = {});

  const std::string& dir() const { return dir_; }
  int size() const { return static_cast<int>(participants_.size()); }
  std::string participant_name(int i) const { return "p" + std::to_string(i); }
  rpc::HostPort participant_host_port(int i) const;
  std::string participant_address(int i) const { return participant_host_port(i).ToString(); }
  std::string db_path(int i) const;
  Process& participant(int i) { return *participants_.at(static_cast<size_t>(i)); }
  rpc::HostPort coordinator_host_port() const;
  std::string coordinator_address() const { return coordinator_host_port().ToString(); }
  Process& coordinator() { return *coordinator_; }

  const rpc::SecurityOptions& security() const { return options_.security; }
  // The file holding the cluster's token ("" without one).
  const std::string& token_file() const { return token_file_; }
  // txctl's --tls-*/--token-file options for this cluster (none if it has no security).
  std::vector<std::string> ClientSecurityArgs() const;

  // The end of every process's log, for failure messages.
  std::string LogTails(size_t bytes_each) const;

 private:
  std::unique_ptr<Process> StartParticipant(int i, const std::vector<std::string>& env,
                                            std::string* error) const;
  std::unique_ptr<Process> StartCoordinator(const std::vector<std::string>& env,
                                            std::string* error) const;
  // Waits until every process answers health; fails if one exits first.
  Status WaitStarted() const;
  // Waits until `process` (just restarted) answers `serving()`.
  static Status WaitRestarted(Process& process, const std::function<bool()>& serving,
                              const std::string& what);
  // The --tls-*/--token-file flags of txcoord and txpart.
  std::vector<std::string> ServerSecurityFlags() const;

  std::string dir_;
  LocalClusterOptions options_;
  std::string token_file_;
  std::vector<int> participant_ports_;
  int coordinator_port_ = 0;
  std::vector<std::string> coordinator_args_;
  std::vector<std::unique_ptr<Process>> participants_;
  std::unique_ptr<Process> coordinator_;
};

}  // namespace twopc::tools
