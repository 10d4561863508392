#include "tests/integration/cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <thrift/TOutput.h>

#include "gen-cpp/Coordinator.h"
#include "gen-cpp/Participant.h"
#include "thrift/rpc/rpc_util.h"
#include "tools/txbench/bank_database.h"
#include "tools/txbench/free_ports.h"

namespace twopc::testing {

std::unique_ptr<rpc::RpcClient<rpc::ParticipantClient>> ConnectParticipant(
    const std::string& address, int timeout_ms) {
  const StatusOr<rpc::HostPort> host_port = rpc::ParseHostPort(address);
  if (!host_port.ok()) {
    throw std::invalid_argument(address + ": " + host_port.status().message());
  }
  auto client =
      std::make_unique<rpc::RpcClient<rpc::ParticipantClient>>(*host_port, 5000, timeout_ms);
  client->EnsureOpen();
  return client;
}
namespace {

constexpr int kProbeConnectTimeoutMs = 1000;
constexpr int kProbeIoTimeoutMs = 5000;
// How long the processes get to start answering (a bound, not an expectation).
constexpr int kStartDeadlineMs = 30000;

const char kHost[] = "127.0.0.1";

std::string Address(int port) { return std::string(kHost) + ":" + std::to_string(port); }

rpc::HostPort ParseAddress(const std::string& address) {
  const StatusOr<rpc::HostPort> host_port = rpc::ParseHostPort(address);
  return host_port.ok() ? *host_port : rpc::HostPort();
}

void QuietThrift(const char* /*message*/) {}

// Calls `call` on a fresh client of ClientT; false if anything fails.
template <typename ClientT, typename Call>
bool WithClient(const std::string& address, const rpc::SecurityOptions& security,
                const Call& call) {
  apache::thrift::GlobalOutput.setOutputFunction(QuietThrift);
  try {
    rpc::RpcClient<ClientT> client(ParseAddress(address), kProbeConnectTimeoutMs, kProbeIoTimeoutMs,
                                   security);
    client.EnsureOpen();
    call(client);
    return true;
  } catch (const apache::thrift::TException&) {
    return false;
  }
}

// A read-only connection; null on failure.
sqlite3* OpenReadOnly(const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

}  // namespace

bool WriteTokenFile(const std::string& path, const std::string& token, std::string* error) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const bool ok =
      fd >= 0 && write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size());
  if (fd >= 0) close(fd);
  if (!ok) *error = "cannot write " + path;
  return ok;
}

std::vector<int> FreePorts(int count) {
  std::string error;
  std::vector<int> ports = txbench::FreePorts(count, &error);
  if (ports.empty()) {
    ADD_FAILURE() << "no free ports: " << error;
    std::abort();  // nothing can start without them
  }
  return ports;
}

std::string BinaryPath(const std::string& name) {
  const char* dir = std::getenv("TWOPC_BIN_DIR");
  return std::string(dir != nullptr && *dir != '\0' ? dir : "build/bin") + "/" + name;
}

bool WaitFor(const std::function<bool()>& condition, int deadline_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool ExecSql(const std::string& db_path, const std::string& sql, std::string* error) {
  sqlite3* db = nullptr;
  bool ok = sqlite3_open(db_path.c_str(), &db) == SQLITE_OK;
  char* message = nullptr;
  ok = ok && sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK;
  if (!ok) *error = db_path + ": " + (message != nullptr ? message : sqlite3_errmsg(db));
  sqlite3_free(message);
  sqlite3_close(db);
  return ok;
}

bool CreateBankDatabase(const std::string& db_path, int accounts, int64_t balance,
                        std::string* error) {
  return txbench::CreateBankDatabase(db_path, accounts, error, balance);
}

std::optional<int64_t> QueryInt(const std::string& db_path, const std::string& sql) {
  sqlite3* db = OpenReadOnly(db_path);
  if (db == nullptr) return std::nullopt;
  std::optional<int64_t> result;
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_type(statement, 0) != SQLITE_NULL) {
    result = sqlite3_column_int64(statement, 0);
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return result;
}

std::vector<int64_t> ReadBalances(const std::string& db_path) {
  std::vector<int64_t> balances;
  sqlite3* db = OpenReadOnly(db_path);
  if (db == nullptr) return balances;
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT balance FROM accounts ORDER BY id", -1, &statement, nullptr) ==
      SQLITE_OK) {
    while (sqlite3_step(statement) == SQLITE_ROW) {
      balances.push_back(sqlite3_column_int64(statement, 0));
    }
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return balances;
}

bool CoordinatorServing(const std::string& address, const rpc::SecurityOptions& security) {
  return WithClient<rpc::CoordinatorClient>(address, security, [](auto& client) {
    rpc::Health health;
    client->health(health);
  });
}

bool ParticipantServing(const std::string& address, const rpc::SecurityOptions& security) {
  return WithClient<rpc::ParticipantClient>(address, security, [](auto& client) {
    rpc::Health health;
    client->health(health);
  });
}

std::optional<std::vector<int64_t>> ListPrepared(const std::string& address,
                                                 const rpc::SecurityOptions& security) {
  std::vector<int64_t> txids;
  if (!WithClient<rpc::ParticipantClient>(address, security,
                                          [&](auto& client) { client->list_prepared(txids); })) {
    return std::nullopt;
  }
  return txids;
}

std::optional<int64_t> UndeliveredCommits(const std::string& address,
                                          const rpc::SecurityOptions& security) {
  rpc::Health health;
  if (!WithClient<rpc::CoordinatorClient>(address, security,
                                          [&](auto& client) { client->health(health); })) {
    return std::nullopt;
  }
  auto it = health.details.find("undelivered_commits");
  if (it == health.details.end()) return std::nullopt;
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Cluster::~Cluster() {
  // Coordinator first, so it does not spend its last moments retrying the others.
  if (coordinator_) coordinator_->Kill();
  for (auto& participant : participants_) participant->Kill();
}

std::string Cluster::participant_address(int i) const { return Address(participant_ports_.at(i)); }

std::string Cluster::db_path(int i) const { return dir_ + "/" + participant_name(i) + ".db"; }

int64_t Cluster::Balance(int participant, int id) const {
  return QueryInt(db_path(participant),
                  "SELECT balance FROM accounts WHERE id = " + std::to_string(id))
      .value_or(-1);
}

std::string Cluster::coordinator_address() const { return Address(coordinator_port_); }

bool Cluster::Start(const Options& options, std::string* error) {
  const std::vector<int> ports = FreePorts(options.participants + 1);
  coordinator_port_ = ports[0];
  participant_ports_.assign(ports.begin() + 1, ports.end());
  security_ = options.security;
  if (security_.token_enabled()) {
    token_file_ = dir_ + "/token";
    if (!WriteTokenFile(token_file_, security_.token, error)) return false;
  }
  const std::vector<std::string> security_flags = ServerSecurityFlags();
  participant_flags_ = security_flags;
  participant_flags_.insert(participant_flags_.end(), options.participant_flags.begin(),
                            options.participant_flags.end());
  participant_own_flags_ = options.participant_own_flags;

  coordinator_args_ = {"--listen", coordinator_address(), "--wal-dir", dir_ + "/coordinator-wal"};
  std::filesystem::create_directories(dir_ + "/coordinator-wal");
  for (int i = 0; i < options.participants; ++i) {
    const std::string name = participant_name(i);
    if (!CreateBankDatabase(db_path(i), options.accounts, options.balance, error)) return false;
    if (!options.schema_sql.empty() && !ExecSql(db_path(i), options.schema_sql, error)) {
      return false;
    }
    std::filesystem::create_directories(dir_ + "/" + name + "-wal");
    const std::vector<std::string> no_env;
    const size_t index = static_cast<size_t>(i);
    auto process = StartParticipant(
        i, index < options.participant_env.size() ? options.participant_env[index] : no_env, error);
    if (!process) return false;
    participants_.push_back(std::move(process));
    coordinator_args_.push_back("--participant");
    coordinator_args_.push_back(name + "=" + participant_address(i));
  }
  if (options.prepare_timeout_ms > 0) {
    coordinator_args_.push_back("--prepare-timeout-ms");
    coordinator_args_.push_back(std::to_string(options.prepare_timeout_ms));
  }
  coordinator_args_.insert(coordinator_args_.end(), security_flags.begin(), security_flags.end());
  coordinator_args_.insert(coordinator_args_.end(), options.coordinator_flags.begin(),
                           options.coordinator_flags.end());
  coordinator_ = StartCoordinator(options.coordinator_env, error);
  if (!coordinator_) return false;

  const bool serving = WaitFor(
      [&] {
        for (auto& participant : participants_) {
          if (!participant->Running()) return true;  // stop waiting: it died
        }
        if (!coordinator_->Running()) return true;
        for (int i = 0; i < size(); ++i) {
          if (!ParticipantServing(participant_address(i), security_)) return false;
        }
        return CoordinatorServing(coordinator_address(), security_);
      },
      kStartDeadlineMs);
  bool all_running = coordinator_->Running();
  for (auto& participant : participants_) all_running = all_running && participant->Running();
  if (!serving || !all_running) {
    *error = std::string(all_running ? "cluster did not answer health in time"
                                     : "a process exited during start-up") +
             "\n" + Logs();
    return false;
  }
  return true;
}

std::unique_ptr<Process> Cluster::StartParticipant(int i, const std::vector<std::string>& env,
                                                   std::string* error) const {
  const std::string name = participant_name(i);
  std::vector<std::string> args = {"--name",        name,
                                   "--listen",      participant_address(i),
                                   "--db",          db_path(i),
                                   "--wal-dir",     dir_ + "/" + name + "-wal",
                                   "--coordinator", coordinator_address()};
  args.insert(args.end(), participant_flags_.begin(), participant_flags_.end());
  if (static_cast<size_t>(i) < participant_own_flags_.size()) {
    const std::vector<std::string>& own = participant_own_flags_[static_cast<size_t>(i)];
    args.insert(args.end(), own.begin(), own.end());
  }
  return Process::Start(BinaryPath("txpart"), args, dir_ + "/" + name + ".log", error, env);
}

std::unique_ptr<Process> Cluster::StartCoordinator(const std::vector<std::string>& env,
                                                   std::string* error) const {
  return Process::Start(BinaryPath("txcoord"), coordinator_args_, dir_ + "/coordinator.log", error,
                        env);
}

bool Cluster::WaitServing(Process& process, const std::function<bool()>& serving,
                          const std::string& what, std::string* error) {
  const bool answered = WaitFor([&] { return !process.Running() || serving(); }, kStartDeadlineMs);
  if (!process.Running()) {
    *error = what + " exited after its restart (signal " + std::to_string(process.term_signal()) +
             ", exit code " + std::to_string(process.exit_code()) + ")\n" + process.LogTail();
    return false;
  }
  if (!answered) {
    *error = what + " did not answer health in time after its restart\n" + process.LogTail();
    return false;
  }
  return true;
}

bool Cluster::RestartParticipant(int i, std::string* error, const std::vector<std::string>& env) {
  std::unique_ptr<Process>& slot = participants_.at(static_cast<size_t>(i));
  slot->Kill();  // reaped: its WAL directory lock is free again
  std::unique_ptr<Process> process = StartParticipant(i, env, error);
  if (!process) return false;
  slot = std::move(process);
  const std::string address = participant_address(i);
  return WaitServing(
      *slot, [&] { return ParticipantServing(address, security_); }, participant_name(i), error);
}

bool Cluster::RestartCoordinator(std::string* error, const std::vector<std::string>& env) {
  coordinator_->Kill();
  std::unique_ptr<Process> process = StartCoordinator(env, error);
  if (!process) return false;
  coordinator_ = std::move(process);
  const std::string address = coordinator_address();
  return WaitServing(
      *coordinator_, [&] { return CoordinatorServing(address, security_); }, "the coordinator",
      error);
}

RunResult Cluster::Txctl(const std::vector<std::string>& args) const {
  std::vector<std::string> all = ClientSecurityArgs();
  all.insert(all.end(), args.begin(), args.end());
  return RunProgram(BinaryPath("txctl"), all);
}

std::vector<std::string> Cluster::ClientSecurityArgs() const {
  std::vector<std::string> args;
  if (!security_.tls_ca.empty()) args.insert(args.end(), {"--tls-ca", security_.tls_ca});
  if (!security_.tls_cert.empty()) {
    args.insert(args.end(), {"--tls-cert", security_.tls_cert, "--tls-key", security_.tls_key});
  }
  if (!token_file_.empty()) args.insert(args.end(), {"--token-file", token_file_});
  return args;
}

std::vector<std::string> Cluster::ServerSecurityFlags() const {
  std::vector<std::string> flags;
  if (!security_.tls_cert.empty()) {
    flags.insert(flags.end(), {"--tls-cert", security_.tls_cert, "--tls-key", security_.tls_key});
  }
  if (!security_.tls_ca.empty()) flags.insert(flags.end(), {"--tls-ca", security_.tls_ca});
  if (security_.tls_require_client_cert) flags.push_back("--tls-require-client-cert");
  if (!token_file_.empty()) flags.insert(flags.end(), {"--token-file", token_file_});
  return flags;
}

RunResult Cluster::Exec(const std::vector<std::pair<std::string, std::string>>& branches,
                        const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {"--coordinator", coordinator_address(), "exec"};
  for (const auto& [name, sql] : branches) {
    args.push_back("--branch");
    args.push_back(name + ":" + sql);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return Txctl(args);
}

std::string Cluster::Logs() const {
  std::string text;
  if (coordinator_) text += "--- coordinator log:\n" + coordinator_->LogTail();
  for (size_t i = 0; i < participants_.size(); ++i) {
    text +=
        "--- " + participant_name(static_cast<int>(i)) + " log:\n" + participants_[i]->LogTail();
  }
  return text;
}

bool Cluster::NothingInDoubt() const {
  for (int i = 0; i < size(); ++i) {
    const auto prepared = ListPrepared(participant_address(i), security_);
    if (!prepared || !prepared->empty()) return false;
  }
  return UndeliveredCommits(coordinator_address(), security_) == 0;
}

}  // namespace twopc::testing
