#include "tools/cluster/local_cluster.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>

#include "tools/cluster/free_ports.h"
#include "tools/cluster/probes.h"

namespace twopc::tools {
namespace {

const char kHost[] = "127.0.0.1";
// A bound on start-up, not an expectation: the agents answer within a second.
constexpr std::chrono::seconds kHealthDeadline(30);
constexpr std::chrono::milliseconds kPollInterval(20);
constexpr std::chrono::milliseconds kStopGrace(5000);

std::string TailOf(const Process& process, const std::string& name, size_t bytes) {
  return "--- " + name + " (" + process.log_path() + ")\n" + process.LogTail(bytes) + "\n";
}

}  // namespace

std::string ProgramDir() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string(".") : self.parent_path().string();
}

Status WriteTokenFile(const std::string& path, const std::string& token) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const bool ok =
      fd >= 0 && write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size());
  if (fd >= 0) close(fd);
  return ok ? Status::Ok() : Status::IoError("cannot write " + path);
}

rpc::HostPort LocalCluster::participant_host_port(int i) const {
  return {kHost, participant_ports_.at(static_cast<size_t>(i))};
}

rpc::HostPort LocalCluster::coordinator_host_port() const { return {kHost, coordinator_port_}; }

std::string LocalCluster::db_path(int i) const { return dir_ + "/" + participant_name(i) + ".db"; }

Status LocalCluster::Start(const LocalClusterOptions& options) {
  options_ = options;
  for (int i = 0; i < options_.participants; ++i) {
    TWOPC_RETURN_IF_ERROR(
        CreateBankDatabase(db_path(i), options_.accounts, options_.balance, options_.schema_sql));
  }
  StatusOr<std::vector<int>> ports = FreePorts(options_.participants + 1);
  if (!ports.ok()) return ports.status();
  coordinator_port_ = ports->front();
  participant_ports_.assign(ports->begin() + 1, ports->end());
  token_file_ = options_.token_file;
  if (options_.security.token_enabled() && token_file_.empty()) {
    token_file_ = dir_ + "/token";
    TWOPC_RETURN_IF_ERROR(WriteTokenFile(token_file_, options_.security.token));
  }

  std::string error;
  for (int i = 0; i < options_.participants; ++i) {
    std::filesystem::create_directories(dir_ + "/" + participant_name(i) + "-wal");
    const size_t index = static_cast<size_t>(i);
    const std::vector<std::string> no_env;
    auto process = StartParticipant(
        i, index < options_.participant_env.size() ? options_.participant_env[index] : no_env,
        &error);
    if (!process) return Status::IoError(error);
    participants_.push_back(std::move(process));
  }

  coordinator_args_ = {"--listen", coordinator_address(), "--wal-dir", dir_ + "/coordinator-wal"};
  std::filesystem::create_directories(dir_ + "/coordinator-wal");
  for (int i = 0; i < options_.participants; ++i) {
    coordinator_args_.push_back("--participant");
    coordinator_args_.push_back(participant_name(i) + "=" + participant_address(i));
  }
  if (options_.prepare_timeout_ms > 0) {
    coordinator_args_.push_back("--prepare-timeout-ms");
    coordinator_args_.push_back(std::to_string(options_.prepare_timeout_ms));
  }
  const std::vector<std::string> security_flags = ServerSecurityFlags();
  coordinator_args_.insert(coordinator_args_.end(), security_flags.begin(), security_flags.end());
  coordinator_args_.insert(coordinator_args_.end(), options_.coordinator_flags.begin(),
                           options_.coordinator_flags.end());
  coordinator_ = StartCoordinator(options_.coordinator_env, &error);
  if (!coordinator_) return Status::IoError(error);
  return WaitStarted();
}

std::unique_ptr<Process> LocalCluster::StartParticipant(int i, const std::vector<std::string>& env,
                                                        std::string* error) const {
  const std::string name = participant_name(i);
  std::vector<std::string> args = {"--name",        name,
                                   "--listen",      participant_address(i),
                                   "--db",          db_path(i),
                                   "--wal-dir",     dir_ + "/" + name + "-wal",
                                   "--coordinator", coordinator_address()};
  const std::vector<std::string> security_flags = ServerSecurityFlags();
  args.insert(args.end(), security_flags.begin(), security_flags.end());
  args.insert(args.end(), options_.participant_flags.begin(), options_.participant_flags.end());
  if (static_cast<size_t>(i) < options_.participant_own_flags.size()) {
    const std::vector<std::string>& own = options_.participant_own_flags[static_cast<size_t>(i)];
    args.insert(args.end(), own.begin(), own.end());
  }
  return Process::Start(options_.bin_dir + "/txpart", args, dir_ + "/" + name + ".log", error, env);
}

std::unique_ptr<Process> LocalCluster::StartCoordinator(const std::vector<std::string>& env,
                                                        std::string* error) const {
  return Process::Start(options_.bin_dir + "/txcoord", coordinator_args_, dir_ + "/coordinator.log",
                        error, env);
}

Status LocalCluster::WaitStarted() const {
  const auto deadline = std::chrono::steady_clock::now() + kHealthDeadline;
  std::vector<bool> healthy(participants_.size(), false);
  bool coordinator_healthy = false;
  while (true) {
    bool all = true;
    for (size_t i = 0; i < participants_.size(); ++i) {
      const int index = static_cast<int>(i);
      if (!healthy[i] && !participants_[i]->Running()) {
        return Status::Aborted("txpart " + participant_name(index) + " exited during start-up");
      }
      if (!healthy[i]) healthy[i] = ParticipantServing(participant_address(index), security());
      all = all && healthy[i];
    }
    if (!coordinator_healthy && !coordinator_->Running()) {
      return Status::Aborted("txcoord exited during start-up");
    }
    if (!coordinator_healthy) {
      coordinator_healthy = CoordinatorServing(coordinator_address(), security());
    }
    if (all && coordinator_healthy) return Status::Ok();
    if (options_.stop_waiting && options_.stop_waiting()) {
      return Status::Aborted("interrupted during start-up");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Aborted("the cluster did not answer health within " +
                             std::to_string(kHealthDeadline.count()) + " s");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

Status LocalCluster::WaitRestarted(Process& process, const std::function<bool()>& serving,
                                   const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + kHealthDeadline;
  bool answered = false;
  while (process.Running() && !(answered = serving()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
  }
  if (!process.Running()) {
    return Status::Aborted(what + " exited after its restart (signal " +
                           std::to_string(process.term_signal()) + ", exit code " +
                           std::to_string(process.exit_code()) + ")\n" + process.LogTail());
  }
  if (!answered) {
    return Status::Aborted(what + " did not answer health in time after its restart\n" +
                           process.LogTail());
  }
  return Status::Ok();
}

Status LocalCluster::RestartParticipant(int i, const std::vector<std::string>& env) {
  std::unique_ptr<Process>& slot = participants_.at(static_cast<size_t>(i));
  slot->Kill();  // reaped: its WAL directory lock is free again
  std::string error;
  std::unique_ptr<Process> process = StartParticipant(i, env, &error);
  if (!process) return Status::IoError(error);
  slot = std::move(process);
  const std::string address = participant_address(i);
  return WaitRestarted(
      *slot, [&] { return ParticipantServing(address, security()); }, participant_name(i));
}

Status LocalCluster::RestartCoordinator(const std::vector<std::string>& env) {
  coordinator_->Kill();
  std::string error;
  std::unique_ptr<Process> process = StartCoordinator(env, &error);
  if (!process) return Status::IoError(error);
  coordinator_ = std::move(process);
  const std::string address = coordinator_address();
  return WaitRestarted(
      *coordinator_, [&] { return CoordinatorServing(address, security()); }, "the coordinator");
}

std::vector<std::string> LocalCluster::ServerSecurityFlags() const {
  const rpc::SecurityOptions& security = options_.security;
  std::vector<std::string> flags;
  if (!security.tls_cert.empty()) {
    flags.insert(flags.end(), {"--tls-cert", security.tls_cert, "--tls-key", security.tls_key});
  }
  if (!security.tls_ca.empty()) flags.insert(flags.end(), {"--tls-ca", security.tls_ca});
  if (security.tls_require_client_cert) flags.push_back("--tls-require-client-cert");
  if (!token_file_.empty()) flags.insert(flags.end(), {"--token-file", token_file_});
  return flags;
}

std::vector<std::string> LocalCluster::ClientSecurityArgs() const {
  const rpc::SecurityOptions& security = options_.security;
  std::vector<std::string> args;
  if (!security.tls_ca.empty()) args.insert(args.end(), {"--tls-ca", security.tls_ca});
  if (!security.tls_cert.empty()) {
    args.insert(args.end(), {"--tls-cert", security.tls_cert, "--tls-key", security.tls_key});
  }
  if (!token_file_.empty()) args.insert(args.end(), {"--token-file", token_file_});
  return args;
}

void LocalCluster::Stop() {
  // Coordinator first, so it does not spend its last moments retrying the agents.
  if (coordinator_) coordinator_->Stop(kStopGrace);
  for (auto& participant : participants_) participant->Terminate();
  const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  for (auto& participant : participants_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    participant->Stop(std::max(left, std::chrono::milliseconds(0)));
  }
}

void LocalCluster::Kill() {
  if (coordinator_) coordinator_->Kill();
  for (auto& participant : participants_) participant->Kill();
}

std::string LocalCluster::LogTails(size_t bytes_each) const {
  std::string text;
  if (coordinator_) text += TailOf(*coordinator_, "txcoord", bytes_each);
  for (size_t i = 0; i < participants_.size(); ++i) {
    text +=
        TailOf(*participants_[i], "txpart " + participant_name(static_cast<int>(i)), bytes_each);
  }
  return text;
}

}  // namespace twopc::tools
