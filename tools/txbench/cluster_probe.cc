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

// Calls `call` with a fresh client. Returns IoError with a reason on any failure.
template <typename ClientT, typename Call>
Status WithClient(const rpc::HostPort& address, const rpc::SecurityOptions& security,
                  const Call& call) {
  try {
    ClientT client(ProbeOptions(address, security));
    call(client);
    return Status::Ok();
  } catch (const ClientError& e) {
    return Status::IoError(address.ToString() + ": " + e.detail());
  }
}

}  // namespace

StatusOr<BalanceTotals> ReadBalanceTotals(const rpc::HostPort& address,
                                          const rpc::SecurityOptions& security) {
  QueryResult result;
  TWOPC_RETURN_IF_ERROR(
      WithClient<ParticipantClient>(address, security, [&](ParticipantClient& client) {
        result = client.Query("SELECT COALESCE(SUM(balance), 0), COUNT(*) FROM accounts");
      }));
  if (result.rows.size() != 1 || result.rows[0].size() != 2 ||
      result.rows[0][0].kind() != ValueKind::kInteger ||
      result.rows[0][1].kind() != ValueKind::kInteger) {
    return Status::Corruption(address.ToString() + ": unexpected answer to the balance query");
  }
  return BalanceTotals{result.rows[0][0].integer(), result.rows[0][1].integer()};
}

}  // namespace twopc::txbench
