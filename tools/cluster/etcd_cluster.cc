#include "tools/cluster/etcd_cluster.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "thrift/etcd/http_connection.h"
#include "tools/cluster/free_ports.h"

namespace twopc::tools {
namespace {

const char kHost[] = "127.0.0.1";
// A bound on start-up, not an expectation: a member is healthy within seconds.
constexpr std::chrono::seconds kHealthDeadline(30);
constexpr std::chrono::milliseconds kPollInterval(50);
constexpr std::chrono::milliseconds kProbeTimeout(1000);

std::string Url(int port) { return std::string("http://") + kHost + ":" + std::to_string(port); }

// Distinct per cluster so that members of two clusters never join each other.
std::string UniqueToken() {
  static std::atomic<int> counter{0};
  return "twopc-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace

Status EtcdCluster::Start() {
  if (options_.members < 1) return Status::InvalidArgument("an etcd cluster needs a member");
  StatusOr<std::vector<int>> ports = FreePorts(2 * options_.members);
  if (!ports.ok()) return ports.status();
  client_ports_.assign(ports->begin(), ports->begin() + options_.members);
  peer_ports_.assign(ports->begin() + options_.members, ports->end());
  token_ = UniqueToken();
  members_.resize(static_cast<size_t>(options_.members));
  std::vector<int> all;
  for (int i = 0; i < options_.members; ++i) {
    TWOPC_RETURN_IF_ERROR(StartMember(i, "new"));
    all.push_back(i);
  }
  return WaitHealthy(all);
}

Status EtcdCluster::StartMember(int i, const std::string& state) {
  std::string initial_cluster;
  for (int j = 0; j < options_.members; ++j) {
    if (j > 0) initial_cluster += ",";
    initial_cluster += member_name(j) + "=" + Url(peer_ports_[static_cast<size_t>(j)]);
  }
  const std::string name = member_name(i);
  const std::string client_url = Url(client_port(i));
  const std::string peer_url = Url(peer_ports_.at(static_cast<size_t>(i)));
  const std::vector<std::string> args = {
      "--name", name, "--data-dir", options_.dir + "/" + name,  //
      "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
      "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
      "--initial-cluster", initial_cluster, "--initial-cluster-state", state,
      "--initial-cluster-token", token_,
      // Half etcd's defaults (100, 1000): quicker elections after a kill,
      // still far above a heartbeat's round trip on a loaded loopback.
      "--heartbeat-interval", "50", "--election-timeout", "500",
      // A restarted member asks before campaigning, so it does not depose a
      // healthy leader with a higher term.
      "--pre-vote=true",
      // zap: capnslog (3.4's default) is deprecated and warns at every start.
      "--logger", "zap", "--log-outputs", "stderr"};
  std::string error;
  std::unique_ptr<Process> process =
      Process::Start(options_.etcd_binary, args, options_.dir + "/" + name + ".log", &error);
  if (!process) return Status::IoError("cannot start etcd " + name + ": " + error);
  members_.at(static_cast<size_t>(i)) = std::move(process);
  return Status::Ok();
}

Status EtcdCluster::WaitHealthy(const std::vector<int>& which) const {
  const auto deadline = std::chrono::steady_clock::now() + kHealthDeadline;
  std::vector<bool> healthy(which.size(), false);
  while (true) {
    bool all = true;
    for (size_t k = 0; k < which.size(); ++k) {
      const int i = which[k];
      if (healthy[k]) continue;
      Process& process = *members_.at(static_cast<size_t>(i));
      if (!process.Running()) {
        return Status::Aborted("etcd " + member_name(i) + " exited (signal " +
                               std::to_string(process.term_signal()) + ", exit code " +
                               std::to_string(process.exit_code()) + ")\n" + LogTails());
      }
      healthy[k] = MemberHealthy(i);
      all = all && healthy[k];
    }
    if (all) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Aborted("etcd did not answer health within " +
                             std::to_string(kHealthDeadline.count()) + " s\n" + LogTails());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

bool EtcdCluster::MemberHealthy(int i) const {
  etcd::HttpConnection connection(rpc::HostPort{kHost, client_port(i)});
  const etcd::HttpAnswer answer = connection.Request(etcd::HttpConnection::Method::kGet, "/health",
                                                     "", static_cast<int>(kProbeTimeout.count()));
  return answer.status == 200 && answer.body.find("\"health\":\"true\"") != std::string::npos;
}

void EtcdCluster::KillMember(int i) {
  std::unique_ptr<Process>& member = members_.at(static_cast<size_t>(i));
  if (member) member->Kill();
}

Status EtcdCluster::RestartMember(int i) {
  KillMember(i);
  // "existing": the member rejoins from its data directory.
  TWOPC_RETURN_IF_ERROR(StartMember(i, "existing"));
  return WaitHealthy({i});
}

void EtcdCluster::Stop() {
  // SIGKILL rather than SIGTERM: the data is throwaway, and a leader asked to
  // stop first tries to hand its leadership over, which only slows tests.
  for (std::unique_ptr<Process>& member : members_) {
    if (member) member->Kill();
  }
}

std::vector<std::string> EtcdCluster::client_endpoints() const {
  std::vector<std::string> endpoints;
  for (const int port : client_ports_) endpoints.push_back(kHost + (":" + std::to_string(port)));
  return endpoints;
}

std::string EtcdCluster::endpoints_flag() const {
  std::string flag;
  for (const std::string& endpoint : client_endpoints()) {
    flag += (flag.empty() ? "" : ",") + endpoint;
  }
  return flag;
}

std::string EtcdCluster::LogTails(size_t bytes_each) const {
  std::string text;
  for (size_t i = 0; i < members_.size(); ++i) {
    if (!members_[i]) continue;
    text += "--- etcd " + member_name(static_cast<int>(i)) + " (" + members_[i]->log_path() +
            ")\n" + members_[i]->LogTail(bytes_each) + "\n";
  }
  return text;
}

}  // namespace twopc::tools
