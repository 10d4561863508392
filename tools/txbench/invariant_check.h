// The workload's invariant: every participant holds its K accounts, the
// balances add up to P*K*1000, and no transaction is left in doubt.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "tools/txbench/txbench_options.h"

namespace twopc::txbench {

struct InvariantResult {
  bool ok = false;
  std::string detail;  // what was found, for stderr
};

// Polls until the invariant holds or `settle` has passed (decisions still in
// flight when the clients stopped need a moment to reach every participant),
// then reports the last observation.
InvariantResult CheckInvariant(const std::vector<NamedAddress>& participants, int accounts,
                               std::chrono::milliseconds settle,
                               const rpc::SecurityOptions& security = {});

}  // namespace twopc::txbench
