// A twopc cluster of real processes on 127.0.0.1 for integration tests: one
// txcoord and N txpart agents, each beside a bank database created here, with
// logs in the test's own temporary directory. Everything it starts is killed
// and reaped when it is destroyed.
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

namespace twopc::testing {

// A fresh directory, removed with its contents on destruction.
// A fresh directory, removed with everything in it afterwards.
using TempDir = ::twopc::test::TempDir;

// An open Thrift client of the participant at HOST:PORT (plain TCP), for a
// test that speaks to an agent as a coordinator would; calls time out after
// timeout_ms.
std::unique_ptr<rpc::RpcClient<rpc::ParticipantClient>> ConnectParticipant(
    const std::string& address, int timeout_ms);

// `count` distinct TCP ports on 127.0.0.1 that nothing listens on right now.
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

// The bank schema of the standard workload: accounts 0..accounts-1, each `balance`.
bool CreateBankDatabase(const std::string& db_path, int accounts, int64_t balance,
                        std::string* error);

// The first column of the first row of `sql`, read with a read-only connection;
// nullopt when there is no row, the value is NULL, or the query fails.
std::optional<int64_t> QueryInt(const std::string& db_path, const std::string& sql);

// Every balance, ordered by id, read with a read-only connection.
std::vector<int64_t> ReadBalances(const std::string& db_path);

// --- RPC probes (over TLS and with a token when `security` says so) ------------

bool CoordinatorServing(const std::string& address, const rpc::SecurityOptions& security = {});
bool ParticipantServing(const std::string& address, const rpc::SecurityOptions& security = {});
// The txids the participant holds prepared; nullopt if it does not answer.
std::optional<std::vector<int64_t>> ListPrepared(const std::string& address,
                                                 const rpc::SecurityOptions& security = {});
// How many committed transactions the coordinator has yet to deliver (its
// health detail "undelivered_commits"); nullopt if it does not answer.
std::optional<int64_t> UndeliveredCommits(const std::string& address,
                                          const rpc::SecurityOptions& security = {});

// --- the cluster ----------------------------------------------------------------

class Cluster {
 public:
  struct Options {
    int participants = 2;
    int accounts = 10;
    int64_t balance = 1000;
    int prepare_timeout_ms = 0;  // 0: txcoord's default
    // More flags for every txpart / for txcoord (e.g. "--in_doubt_after_ms=300").
    std::vector<std::string> participant_flags;
    std::vector<std::string> coordinator_flags;
    // More flags for participant i only (missing or empty: none), e.g. its own
    // "--admin-listen=127.0.0.1:PORT".
    std::vector<std::vector<std::string>> participant_own_flags;
    // Environment ("NAME=VALUE") for participant i's first start (missing or
    // empty: none), and for txcoord's; e.g. "TWOPC_FAILPOINTS=...".
    std::vector<std::vector<std::string>> participant_env;
    std::vector<std::string> coordinator_env;
    // More SQL run on every database after the bank schema, before the start.
    std::string schema_sql;
    // TLS files and token of every process, and of the cluster's own clients
    // (probes, Txctl). The token is written to DIR/token (mode 600) and
    // passed as --token-file. tls_require_client_cert: mutual TLS.
    rpc::SecurityOptions security;
  };

  // Files and logs go under `dir`, which the caller owns.
  explicit Cluster(std::string dir) : dir_(std::move(dir)) {}
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Creates the databases, starts every process and waits until all answer
  // health. On failure says why (with the processes' logs) in *error.
  bool Start(const Options& options, std::string* error);

  int size() const { return static_cast<int>(participants_.size()); }
  std::string participant_name(int i) const { return "p" + std::to_string(i); }
  std::string participant_address(int i) const;
  std::string db_path(int i) const;
  // The balance of account `id` in participant i's database, read from the
  // file; -1 if there is no such account.
  int64_t Balance(int participant, int id) const;
  Process& participant(int i) { return *participants_.at(i); }
  std::string coordinator_address() const;
  Process& coordinator() { return *coordinator_; }
  const std::string& dir() const { return dir_; }

  // Runs build/bin/txctl with the cluster's client security options and `args`.
  RunResult Txctl(const std::vector<std::string>& args) const;
  // txctl's --tls-*/--token-file options for this cluster (none if it has no security).
  std::vector<std::string> ClientSecurityArgs() const;
  const rpc::SecurityOptions& security() const { return security_; }
  // The file holding the cluster's token ("" without one).
  const std::string& token_file() const { return token_file_; }
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
  std::unique_ptr<Process> StartParticipant(int i, const std::vector<std::string>& env,
                                            std::string* error) const;
  std::unique_ptr<Process> StartCoordinator(const std::vector<std::string>& env,
                                            std::string* error) const;
  // Waits until `serving()` (a health probe of `process`); false with the
  // reason in *error if `process` exits first or never answers.
  static bool WaitServing(Process& process, const std::function<bool()>& serving,
                          const std::string& what, std::string* error);

  // The --tls-*/--token-file flags of txcoord and txpart.
  std::vector<std::string> ServerSecurityFlags() const;

  std::string dir_;
  rpc::SecurityOptions security_;
  std::string token_file_;
  std::vector<std::string> participant_flags_;
  std::vector<std::vector<std::string>> participant_own_flags_;
  std::vector<std::string> coordinator_args_;
  std::vector<int> participant_ports_;
  int coordinator_port_ = 0;
  std::vector<std::unique_ptr<Process>> participants_;
  std::unique_ptr<Process> coordinator_;
};

}  // namespace twopc::testing
