// Short RPC calls txbench makes besides the workload: health, the prepared
// transactions of a participant, and the committed balances it holds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "thrift/rpc/rpc_util.h"
#include "wal/base/status.h"

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
// with Participant.query. Returns IoError when the call fails and Corruption
// when the answer is not one row of two integers, with a one-line reason.
StatusOr<BalanceTotals> ReadBalanceTotals(const rpc::HostPort& address,
                                          const rpc::SecurityOptions& security = {});

}  // namespace twopc::txbench
