// The committed balances a participant holds, read over RPC after the
// workload (tools/cluster/probes.h has the health and prepared probes).
#pragma once

#include <cstdint>
#include <string>

#include "thrift/rpc/rpc_util.h"
#include "wal/base/status.h"

namespace twopc::txbench {

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
