#include "twopc/client.h"

#include <algorithm>
#include <climits>

#include "coordinator/client/connection_pool.h"
#include "gen-cpp/Coordinator.h"

namespace twopc {

using client_internal::ConnectionPool;
using client_internal::FromWire;
using client_internal::ToWire;

namespace {

// Request and reply of the last Execute on a connection, kept so the next one
// reuses their memory.
struct ExecuteScratch {
  rpc::ExecuteRequest request;
  rpc::ExecuteResult reply;
};

}  // namespace

struct Client::Impl {
  explicit Impl(ClientOptions options) : pool("coordinator", std::move(options)) {}
  ConnectionPool<rpc::CoordinatorClient, ExecuteScratch> pool;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

const std::string& Client::address() const { return impl_->pool.address(); }

void Client::Connect() { impl_->pool.Connect(); }

ExecuteResult Client::Execute(const Transaction& transaction, const ExecuteOptions& options) {
  ExecuteResult result;
  Execute(transaction, options, &result);
  return result;
}

void Client::Execute(const Transaction& transaction, const ExecuteOptions& options,
                     ExecuteResult* result) {
  // The reply may take the prepare timeout, then commit delivery.
  const int64_t io_timeout_ms = std::min<int64_t>(
      INT_MAX, int64_t{std::max(options.timeout_ms, 0)} + impl_->pool.options().execute_slack_ms);
  impl_->pool.Run(static_cast<int>(io_timeout_ms), /*retry=*/false, [&](auto& connection) {
    ExecuteScratch& scratch = connection.scratch;
    ToWire(transaction, options, &scratch.request);
    connection.rpc->execute(scratch.reply, scratch.request);
    FromWire(scratch.reply, result);
  });
}

Outcome Client::Status(int64_t txid) {
  Outcome outcome = Outcome::kUnknown;
  impl_->pool.Run(impl_->pool.options().call_timeout_ms, /*retry=*/true,
                  [&](auto& connection) { outcome = FromWire(connection.rpc->status(txid)); });
  return outcome;
}

std::vector<InDoubtTransaction> Client::InDoubt() {
  std::vector<rpc::InDoubtTransaction> found;
  impl_->pool.Run(impl_->pool.options().call_timeout_ms, /*retry=*/true,
                  [&](auto& connection) { connection.rpc->in_doubt(found); });
  std::vector<InDoubtTransaction> out;
  out.reserve(found.size());
  for (const rpc::InDoubtTransaction& transaction : found) out.push_back(FromWire(transaction));
  return out;
}

HealthInfo Client::Health() {
  rpc::Health health;
  impl_->pool.Run(impl_->pool.options().call_timeout_ms, /*retry=*/true,
                  [&](auto& connection) { connection.rpc->health(health); });
  return FromWire(health);
}

}  // namespace twopc
