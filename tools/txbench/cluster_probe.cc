#include "tools/txbench/cluster_probe.h"

#include "twopc/client.h"

namespace twopc::txbench {
namespace {

constexpr int kConnectTimeoutMs = 1000;
constexpr int kIoTimeoutMs = 10000;

ClientOptions ProbeOptions(const rpc::HostPort& address, const rpc::SecurityOptions& security) {
  ClientOptions options;
  options.security = security;
  options.address = address.ToString();
  options.connect_timeout_ms = kConnectTimeoutMs;
  options.call_timeout_ms = kIoTimeoutMs;
  options.max_idle_connections = 1;
  return options;
}

// Calls `call` with a fresh client; false and a reason in *error on any failure.
template <typename ClientT, typename Call>
bool WithClient(const rpc::HostPort& address, const rpc::SecurityOptions& security,
                const Call& call, std::string* error) {
  try {
    ClientT client(ProbeOptions(address, security));
    call(client);
    return true;
  } catch (const ClientError& e) {
    *error = address.ToString() + ": " + e.detail();
  }
  return false;
}

}  // namespace

bool CoordinatorHealthy(const rpc::HostPort& address, const rpc::SecurityOptions& security) {
  std::string ignored;
  return WithClient<Client>(
      address, security, [](Client& client) { client.Health(); }, &ignored);
}

bool ParticipantHealthy(const rpc::HostPort& address, const rpc::SecurityOptions& security) {
  std::string ignored;
  return WithClient<ParticipantClient>(
      address, security, [](ParticipantClient& client) { client.Health(); }, &ignored);
}

std::optional<std::vector<int64_t>> ListPrepared(const rpc::HostPort& address,
                                                 const rpc::SecurityOptions& security) {
  std::vector<int64_t> txids;
  std::string ignored;
  if (!WithClient<ParticipantClient>(
          address, security, [&](ParticipantClient& client) { txids = client.ListPrepared(); },
          &ignored)) {
    return std::nullopt;
  }
  return txids;
}

std::optional<BalanceTotals> ReadBalanceTotals(const rpc::HostPort& address, std::string* error,
                                               const rpc::SecurityOptions& security) {
  QueryResult result;
  if (!WithClient<ParticipantClient>(
          address, security,
          [&](ParticipantClient& client) {
            result = client.Query("SELECT COALESCE(SUM(balance), 0), COUNT(*) FROM accounts");
          },
          error)) {
    return std::nullopt;
  }
  if (result.rows.size() != 1 || result.rows[0].size() != 2 ||
      result.rows[0][0].kind() != ValueKind::kInteger ||
      result.rows[0][1].kind() != ValueKind::kInteger) {
    *error = address.ToString() + ": unexpected answer to the balance query";
    return std::nullopt;
  }
  return BalanceTotals{result.rows[0][0].integer(), result.rows[0][1].integer()};
}

}  // namespace twopc::txbench
