// A twopc cluster of real processes on 127.0.0.1 for integration tests: one
// txcoord and N txpart agents, each beside a bank database created here, with
// logs in the test's own temporary directory. The processes are started by
// tools::LocalCluster (shared with txbench --local); this adds what only the
// tests need: errors as text for gtest, txctl, and RPC and SQLite probes.
// Everything it starts is killed and reaped when it is destroyed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gen-cpp/Participant.h"
#include "tests/integration/process.h"
#include "tests/temp_dir.h"
#include "thrift/rpc/rpc_security.h"
#include "thrift/rpc/rpc_util.h"
#include "tools/cluster/local_cluster.h"
#include "tools/cluster/probes.h"

namespace twopc::testing {

// A fresh directory, removed with everything in it afterwards.
using TempDir = ::twopc::test::TempDir;

// An open Thrift client of the participant at HOST:PORT (plain TCP), for a
// test that speaks to an agent as a coordinator would; calls time out after
// timeout_ms.
std::unique_ptr<rpc::RpcClient<rpc::ParticipantClient>> ConnectParticipant(
    const std::string& address, int timeout_ms);

// `count` distinct TCP ports on 127.0.0.1 that nothing listens on right now
// (tools::FreePorts; the test aborts without them).
std::vector<int> FreePorts(int count);

// Writes `token` to a new file readable by its owner only.
bool WriteTokenFile(const std::string& path, const std::string& token, std::string* error);

// The path of a twopc program: $TWOPC_BIN_DIR/name.
std::string BinaryPath(const std::string& name);

// Calls `condition` until it returns true or `deadline_ms` passes; returns its
// last answer. For waiting on a state, never for timing.
bool WaitFor(const std::function<bool()>& condition, int deadline_ms);

// --- SQLite files, used directly (never through the agents) ------------------

// Runs `sql` (any number of statements) on the database file, creating it.
bool ExecSql(const std::string& db_path, const std::string& sql, std::string* error);

// The first column of the first row of `sql`, read with a read-only connection;
// nullopt when there is no row, the value is NULL, or the query fails.
std::optional<int64_t> QueryInt(const std::string& db_path, const std::string& sql);

// Every balance, ordered by id, read with a read-only connection.
std::vector<int64_t> ReadBalances(const std::string& db_path);

// --- RPC probes (over TLS and with a token when `security` says so) ------------

using tools::CoordinatorServing;
using tools::ListPrepared;
using tools::ParticipantServing;
using tools::UndeliveredCommits;

// --- the cluster ----------------------------------------------------------------

class Cluster {
 public:
  // Every field has the tests' default; bin_dir defaults to $TWOPC_BIN_DIR.
  using Options = tools::LocalClusterOptions;

  // Files and logs go under `dir`, which the caller owns.
  explicit Cluster(std::string dir) : cluster_(std::move(dir)) {}
  ~Cluster() { cluster_.Kill(); }  // no grace: nothing to keep
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Creates the databases, starts every process and waits until all answer
  // health. On failure says why (with the processes' logs) in *error.
  bool Start(const Options& options, std::string* error);

  int size() const { return cluster_.size(); }
  std::string participant_name(int i) const { return cluster_.participant_name(i); }
  std::string participant_address(int i) const { return cluster_.participant_address(i); }
  std::string db_path(int i) const { return cluster_.db_path(i); }
  // The balance of account `id` in participant i's database, read from the
  // file; -1 if there is no such account.
  int64_t Balance(int participant, int id) const;
  Process& participant(int i) { return cluster_.participant(i); }
  std::string coordinator_address() const { return cluster_.coordinator_address(); }
  Process& coordinator() { return cluster_.coordinator(); }
  const std::string& dir() const { return cluster_.dir(); }

  // Runs build/bin/txctl with the cluster's client security options and `args`.
  RunResult Txctl(const std::vector<std::string>& args) const;
  // txctl's --tls-*/--token-file options for this cluster (none if it has no security).
  std::vector<std::string> ClientSecurityArgs() const { return cluster_.ClientSecurityArgs(); }
  const rpc::SecurityOptions& security() const { return cluster_.security(); }
  // The file holding the cluster's token ("" without one).
  const std::string& token_file() const { return cluster_.token_file(); }
  // txctl --coordinator ADDR exec --branch NAME:SQL ... followed by `extra`.
  RunResult Exec(const std::vector<std::pair<std::string, std::string>>& branches,
                 const std::vector<std::string>& extra = {}) const;

  // True when no participant holds anything prepared and the coordinator has
  // delivered every commit (every process answering).
  bool NothingInDoubt() const;

  // The tail of every process's log, for failure messages.
  std::string Logs() const;

  // Starts participant i (or the coordinator) again with the flags of its
  // first start and `env`, after killing and reaping the old process if it
  // still runs (references from participant(i)/coordinator() are then stale).
  // Waits until the new process answers health; false with the reason in
  // *error if it does not, or if it exits first (possibly on purpose: a fail
  // point armed through `env`).
  bool RestartParticipant(int i, std::string* error, const std::vector<std::string>& env = {});
  bool RestartCoordinator(std::string* error, const std::vector<std::string>& env = {});

 private:
  tools::LocalCluster cluster_;
};

}  // namespace twopc::testing
