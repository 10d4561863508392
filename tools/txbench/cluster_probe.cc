#include "tools/txbench/cluster_probe.h"

#include "gen-cpp/Coordinator.h"
#include "gen-cpp/Participant.h"

namespace twopc::txbench {
namespace {

constexpr int kConnectTimeoutMs = 1000;
constexpr int kIoTimeoutMs = 10000;

// Calls `call` with a fresh client; false and a reason in *error on any failure.
template <typename ClientT, typename Call>
bool WithClient(const rpc::HostPort& address, const rpc::SecurityOptions& security,
                const Call& call, std::string* error) {
  try {
    rpc::RpcClient<ClientT> client(address, kConnectTimeoutMs, kIoTimeoutMs, security);
    client.EnsureOpen();
    call(client);
    return true;
  } catch (const rpc::TxError& e) {
    *error = address.ToString() + ": " + e.message;
  } catch (const apache::thrift::TException& e) {
    *error = address.ToString() + ": " + e.what();
  }
  return false;
}

}  // namespace

bool CoordinatorHealthy(const rpc::HostPort& address, const rpc::SecurityOptions& security) {
  std::string ignored;
  return WithClient<rpc::CoordinatorClient>(
      address, security,
      [](auto& client) {
        rpc::Health health;
        client->health(health);
      },
      &ignored);
}

bool ParticipantHealthy(const rpc::HostPort& address, const rpc::SecurityOptions& security) {
  std::string ignored;
  return WithClient<rpc::ParticipantClient>(
      address, security,
      [](auto& client) {
        rpc::Health health;
        client->health(health);
      },
      &ignored);
}

std::optional<std::vector<int64_t>> ListPrepared(const rpc::HostPort& address,
                                                 const rpc::SecurityOptions& security) {
  std::vector<int64_t> txids;
  std::string ignored;
  if (!WithClient<rpc::ParticipantClient>(
          address, security, [&](auto& client) { client->list_prepared(txids); }, &ignored)) {
    return std::nullopt;
  }
  return txids;
}

std::optional<BalanceTotals> ReadBalanceTotals(const rpc::HostPort& address, std::string* error,
                                               const rpc::SecurityOptions& security) {
  rpc::QueryResult result;
  if (!WithClient<rpc::ParticipantClient>(
          address, security,
          [&](auto& client) {
            client->query(result, "SELECT COALESCE(SUM(balance), 0), COUNT(*) FROM accounts", {});
          },
          error)) {
    return std::nullopt;
  }
  if (result.rows.size() != 1 || result.rows[0].values.size() != 2 ||
      result.rows[0].values[0].kind != rpc::ValueKind::INTEGER ||
      result.rows[0].values[1].kind != rpc::ValueKind::INTEGER) {
    *error = address.ToString() + ": unexpected answer to the balance query";
    return std::nullopt;
  }
  return BalanceTotals{result.rows[0].values[0].integer_value,
                       result.rows[0].values[1].integer_value};
}

}  // namespace twopc::txbench
