#include "tools/txbench/local_cluster.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "tools/txbench/bank_database.h"
#include "tools/txbench/cluster_probe.h"
#include "tools/txbench/free_ports.h"
#include "tools/txbench/interrupt.h"

namespace twopc::txbench {
namespace {

const char kHost[] = "127.0.0.1";
// A bound on start-up, not an expectation: the agents answer within a second.
constexpr std::chrono::seconds kHealthDeadline(30);
constexpr std::chrono::milliseconds kStopGrace(5000);
// The agents log every transaction at INFO; warnings and errors are enough.
const char kQuietLogs[] = "--minloglevel=1";

std::string TailOf(const tools::Process& process, const std::string& name, size_t bytes) {
  return "--- " + name + " (" + process.log_path() + ")\n" + process.LogTail(bytes) + "\n";
}

}  // namespace

std::string ProgramDir() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string(".") : self.parent_path().string();
}

bool LocalCluster::Start(std::string* error) {
  if (!CreateDatabases(error)) return false;
  if (!StartProcesses(error)) return false;
  return WaitHealthy(error);
}

std::string LocalCluster::DbPath(int i) const {
  return options_.dir + "/p" + std::to_string(i) + ".db";
}

bool LocalCluster::CreateDatabases(std::string* error) {
  for (int i = 0; i < options_.participants; ++i) {
    if (!CreateBankDatabase(DbPath(i), options_.accounts, error)) return false;
  }
  return true;
}

bool LocalCluster::StartProcesses(std::string* error) {
  const std::vector<int> ports = FreePorts(options_.participants + 1, error);
  if (ports.empty()) return false;
  coordinator_address_ = {kHost, ports[0]};
  for (int i = 0; i < options_.participants; ++i) {
    participant_addresses_.push_back({"p" + std::to_string(i), {kHost, ports[i + 1]}});
  }

  const std::vector<std::string> security_flags = SecurityFlags();
  for (int i = 0; i < options_.participants; ++i) {
    const NamedAddress& participant = participant_addresses_[i];
    std::vector<std::string> args = {
        "--name",        participant.name,
        "--listen",      participant.address.ToString(),
        "--db",          DbPath(i),
        "--wal-dir",     options_.dir + "/" + participant.name + "-wal",
        "--coordinator", coordinator_address_.ToString(),
        kQuietLogs};
    args.insert(args.end(), security_flags.begin(), security_flags.end());
    auto agent = tools::Process::Start(options_.bin_dir + "/txpart", args,
                                       options_.dir + "/" + participant.name + ".log", error);
    if (!agent) return false;
    agents_.push_back(std::move(agent));
  }

  std::vector<std::string> args = {"--listen", coordinator_address_.ToString(), "--wal-dir",
                                   options_.dir + "/coordinator-wal", kQuietLogs};
  args.insert(args.end(), security_flags.begin(), security_flags.end());
  for (const NamedAddress& participant : participant_addresses_) {
    args.push_back("--participant");
    args.push_back(participant.name + "=" + participant.address.ToString());
  }
  coordinator_ = tools::Process::Start(options_.bin_dir + "/txcoord", args,
                                       options_.dir + "/coordinator.log", error);
  return coordinator_ != nullptr;
}

bool LocalCluster::WaitHealthy(std::string* error) {
  const auto deadline = std::chrono::steady_clock::now() + kHealthDeadline;
  std::vector<bool> healthy(agents_.size(), false);
  bool coordinator_healthy = false;
  while (true) {
    bool all = true;
    for (size_t i = 0; i < agents_.size(); ++i) {
      if (!healthy[i] && !agents_[i]->Running()) {
        *error = "txpart " + participant_addresses_[i].name + " exited during start-up";
        return false;
      }
      if (!healthy[i])
        healthy[i] = ParticipantHealthy(participant_addresses_[i].address, options_.security);
      all = all && healthy[i];
    }
    if (!coordinator_healthy && !coordinator_->Running()) {
      *error = "txcoord exited during start-up";
      return false;
    }
    if (!coordinator_healthy)
      coordinator_healthy = CoordinatorHealthy(coordinator_address_, options_.security);
    if (all && coordinator_healthy) return true;
    if (Interrupted()) {
      *error = "interrupted during start-up";
      return false;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      *error = "the cluster did not answer health within " +
               std::to_string(kHealthDeadline.count()) + " s";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<std::string> LocalCluster::SecurityFlags() const {
  const rpc::SecurityOptions& security = options_.security;
  std::vector<std::string> flags;
  if (!security.tls_cert.empty()) {
    flags.insert(flags.end(), {"--tls-cert", security.tls_cert, "--tls-key", security.tls_key});
  }
  if (!security.tls_ca.empty()) flags.insert(flags.end(), {"--tls-ca", security.tls_ca});
  if (!options_.token_file.empty())
    flags.insert(flags.end(), {"--token-file", options_.token_file});
  return flags;
}

void LocalCluster::Stop() {
  // Coordinator first, so it does not spend its last moments retrying the agents.
  if (coordinator_) coordinator_->Stop(kStopGrace);
  for (auto& agent : agents_) agent->Terminate();
  const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  for (auto& agent : agents_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    agent->Stop(std::max(left, std::chrono::milliseconds(0)));
  }
}

std::vector<std::pair<std::string, pid_t>> LocalCluster::Pids() const {
  std::vector<std::pair<std::string, pid_t>> pids;
  if (coordinator_) pids.emplace_back("coordinator", coordinator_->pid());
  for (size_t i = 0; i < agents_.size(); ++i) {
    pids.emplace_back(participant_addresses_[i].name, agents_[i]->pid());
  }
  return pids;
}

std::string LocalCluster::LogTails(size_t bytes_each) const {
  std::string text;
  if (coordinator_) text += TailOf(*coordinator_, "txcoord", bytes_each);
  for (size_t i = 0; i < agents_.size(); ++i) {
    text += TailOf(*agents_[i], "txpart " + participant_addresses_[i].name, bytes_each);
  }
  return text;
}

}  // namespace twopc::txbench
