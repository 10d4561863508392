#include "coordinator/client/connection_pool.h"
#include "gen-cpp/Participant.h"
#include "twopc/client.h"

namespace twopc {

using client_internal::ConnectionPool;
using client_internal::FromWire;
using client_internal::ToWire;

struct ParticipantClient::Impl {
  explicit Impl(ClientOptions options) : pool("participant", std::move(options)) {}
  ConnectionPool<rpc::ParticipantClient> pool;
};

ParticipantClient::ParticipantClient(ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
ParticipantClient::~ParticipantClient() = default;

const std::string& ParticipantClient::address() const { return impl_->pool.address(); }

void ParticipantClient::Connect() { impl_->pool.Connect(); }

QueryResult ParticipantClient::Query(const std::string& sql, const std::vector<Value>& params) {
  std::vector<rpc::Value> wire_params(params.size());
  for (size_t i = 0; i < params.size(); ++i) ToWire(params[i], &wire_params[i]);
  rpc::QueryResult result;
  impl_->pool.Run(impl_->pool.options().call_timeout_ms, /*retry=*/true,
                  [&](auto& connection) { connection.rpc->query(result, sql, wire_params); });
  return FromWire(result);
}

HealthInfo ParticipantClient::Health() {
  rpc::Health health;
  impl_->pool.Run(impl_->pool.options().call_timeout_ms, /*retry=*/true,
                  [&](auto& connection) { connection.rpc->health(health); });
  return FromWire(health);
}

std::vector<int64_t> ParticipantClient::ListPrepared() {
  std::vector<int64_t> txids;
  impl_->pool.Run(impl_->pool.options().call_timeout_ms, /*retry=*/true,
                  [&](auto& connection) { connection.rpc->list_prepared(txids); });
  return txids;
}

}  // namespace twopc
