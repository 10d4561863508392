#include "tests/integration/cluster.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "gen-cpp/Participant.h"
#include "thrift/rpc/rpc_util.h"
#include "tools/cluster/free_ports.h"

namespace twopc::testing {

std::unique_ptr<rpc::RpcClient<rpc::ParticipantClient>> ConnectParticipant(
    const std::string& address, int timeout_ms) {
  const StatusOr<rpc::HostPort> host_port = rpc::ParseHostPort(address);
  if (!host_port.ok()) throw std::invalid_argument(address + ": " + host_port.status().message());
  auto client =
      std::make_unique<rpc::RpcClient<rpc::ParticipantClient>>(*host_port, 5000, timeout_ms);
  client->EnsureOpen();
  return client;
}
namespace {

// Where the programs are: $TWOPC_BIN_DIR, or build/bin.
std::string BinaryDir() {
  const char* dir = std::getenv("TWOPC_BIN_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "build/bin";
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
  const Status written = tools::WriteTokenFile(path, token);
  if (!written.ok()) *error = written.message();
  return written.ok();
}

std::vector<int> FreePorts(int count) {
  StatusOr<std::vector<int>> ports = tools::FreePorts(count);
  if (!ports.ok()) {
    ADD_FAILURE() << "no free ports: " << ports.status().message();
    std::abort();  // nothing can start without them
  }
  return std::move(ports).value();
}

std::string BinaryPath(const std::string& name) { return BinaryDir() + "/" + name; }

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

int64_t Cluster::Balance(int participant, int id) const {
  return QueryInt(db_path(participant),
                  "SELECT balance FROM accounts WHERE id = " + std::to_string(id))
      .value_or(-1);
}

bool Cluster::Start(const Options& options, std::string* error) {
  Options with_programs = options;
  if (with_programs.bin_dir.empty()) with_programs.bin_dir = BinaryDir();
  const Status started = cluster_.Start(with_programs);
  if (!started.ok()) *error = started.message() + "\n" + Logs();
  return started.ok();
}

bool Cluster::RestartParticipant(int i, std::string* error, const std::vector<std::string>& env) {
  const Status restarted = cluster_.RestartParticipant(i, env);
  if (!restarted.ok()) *error = restarted.message();
  return restarted.ok();
}

bool Cluster::RestartCoordinator(std::string* error, const std::vector<std::string>& env) {
  const Status restarted = cluster_.RestartCoordinator(env);
  if (!restarted.ok()) *error = restarted.message();
  return restarted.ok();
}

RunResult Cluster::Txctl(const std::vector<std::string>& args) const {
  std::vector<std::string> all = ClientSecurityArgs();
  all.insert(all.end(), args.begin(), args.end());
  return RunProgram(BinaryPath("txctl"), all);
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

std::string Cluster::Logs() const { return cluster_.LogTails(4000); }

bool Cluster::NothingInDoubt() const {
  for (int i = 0; i < size(); ++i) {
    const auto prepared = ListPrepared(participant_address(i), security());
    if (!prepared || !prepared->empty()) return false;
  }
  return UndeliveredCommits(coordinator_address(), security()) == 0;
}

}  // namespace twopc::testing
