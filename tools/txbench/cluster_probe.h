// Short RPC calls txbench makes besides the workload: health, the prepared
// transactions of a participant, and the committed balances it holds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "thrift/rpc/rpc_util.h"

namespace twopc::txbench {

bool CoordinatorHealthy(const rpc::HostPort& address, const rpc::SecurityOptions& security = {});
bool ParticipantHealthy(const rpc::HostPort& address, const rpc::SecurityOptions& security = {});

// The txids the participant holds prepared; nullopt if it does not answer.
std::optional<std::vector<int64_t>> ListPrepared(const rpc::HostPort& address,
                                                 const rpc::SecurityOptions& security = {});

struct BalanceTotals {
  int64_t sum = 0;
  int64_t rows = 0;
};

// SUM(balance) and COUNT(*) of the participant's committed accounts table, read
// with Participant.query; nullopt and a reason in *error on failure.
std::optional<BalanceTotals> ReadBalanceTotals(const rpc::HostPort& address, std::string* error,
                                               const rpc::SecurityOptions& security = {});

}  // namespace twopc::txbench
