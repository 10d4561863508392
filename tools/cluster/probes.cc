#include "tools/cluster/probes.h"

#include <exception>

#include <thrift/TOutput.h>

#include "gen-cpp/Coordinator.h"
#include "gen-cpp/Participant.h"
#include "thrift/rpc/rpc_util.h"

namespace twopc::tools {
namespace {

constexpr int kProbeConnectTimeoutMs = 1000;
constexpr int kProbeIoTimeoutMs = 5000;

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

}  // namespace

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

}  // namespace twopc::tools
