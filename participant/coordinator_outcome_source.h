// Asks the coordinator for a transaction's outcome over Thrift.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "gen-cpp/Coordinator.h"
#include "participant/resolver.h"
#include "thrift/rpc/rpc_util.h"

namespace twopc::participant {

class CoordinatorOutcomeSource : public OutcomeSource {
 public:
  CoordinatorOutcomeSource(const rpc::HostPort& coordinator, std::string participant_name,
                           rpc::SecurityOptions security = {})
      : coordinator_(coordinator),
        name_(std::move(participant_name)),
        security_(std::move(security)) {}
  StatusOr<Decision> Resolve(int64_t txid) override;
  Status ReportMismatch(int64_t txid, Decision heuristic) override;

 private:
  const rpc::HostPort coordinator_;
  const std::string name_;
  const rpc::SecurityOptions security_;
  std::mutex mu_;
  std::unique_ptr<rpc::RpcClient<rpc::CoordinatorClient>> client_;
};

}  // namespace twopc::participant
