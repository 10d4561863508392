#include "tools/txbench/invariant_check.h"

#include <cstdint>
#include <sstream>
#include <thread>

#include "tools/cluster/bank_database.h"
#include "tools/cluster/probes.h"
#include "tools/txbench/cluster_probe.h"
#include "tools/txbench/interrupt.h"

namespace twopc::txbench {
namespace {

constexpr std::chrono::milliseconds kPollInterval(100);

InvariantResult ObserveOnce(const std::vector<NamedAddress>& participants, int accounts,
                            const rpc::SecurityOptions& security) {
  InvariantResult result;
  result.ok = true;
  std::ostringstream detail;
  int64_t sum = 0;
  for (const NamedAddress& participant : participants) {
    const std::optional<std::vector<int64_t>> prepared =
        tools::ListPrepared(participant.address.ToString(), security);
    if (!prepared) {
      result.ok = false;
      detail << participant.name << ": list_prepared failed; ";
    } else if (!prepared->empty()) {
      result.ok = false;
      detail << participant.name << ": " << prepared->size() << " prepared (txid "
             << prepared->front() << ", ...); ";
    }
    const StatusOr<BalanceTotals> totals = ReadBalanceTotals(participant.address, security);
    if (!totals.ok()) {
      result.ok = false;
      detail << participant.name << ": " << totals.status().message() << "; ";
      continue;
    }
    if (totals->rows != accounts) {
      result.ok = false;
      detail << participant.name << ": " << totals->rows << " accounts, want " << accounts << "; ";
    }
    sum += totals->sum;
  }
  const int64_t want =
      static_cast<int64_t>(participants.size()) * accounts * tools::kInitialBalance;
  if (sum != want) result.ok = false;
  detail << "sum " << sum << ", want " << want;
  result.detail = detail.str();
  return result;
}

}  // namespace

InvariantResult CheckInvariant(const std::vector<NamedAddress>& participants, int accounts,
                               std::chrono::milliseconds settle,
                               const rpc::SecurityOptions& security) {
  const auto deadline = std::chrono::steady_clock::now() + settle;
  while (true) {
    InvariantResult result = ObserveOnce(participants, accounts, security);
    if (result.ok || Interrupted() || std::chrono::steady_clock::now() >= deadline) return result;
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace twopc::txbench
