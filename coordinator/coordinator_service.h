// The Thrift edge of the coordinator.
#pragma once

#include <glog/logging.h>

#include <cstdint>
#include <string>

#include "coordinator/coordinator.h"
#include "gen-cpp/Coordinator.h"
#include "thrift/wire_enum.h"

namespace twopc::coordinator {

class CoordinatorService : public rpc::CoordinatorIf {
 public:
  // `admin`: HOST:PORT of the admin endpoint (--admin-listen), or empty; told
  // in health so that `txctl --coordinator ... top` can find it.
  CoordinatorService(Coordinator* coordinator, std::string listen, std::string admin = "")
      : coordinator_(coordinator), listen_(std::move(listen)), admin_(std::move(admin)) {}

  void execute(rpc::ExecuteResult& result, const rpc::ExecuteRequest& request) override {
    result = coordinator_->Execute(request);
  }
  rpc::Outcome::type status(int64_t txid) override { return coordinator_->StatusOf(txid); }
  rpc::Decision::type resolve(int64_t txid, const std::string& participant) override {
    return coordinator_->Resolve(txid, participant);
  }
  void in_doubt(std::vector<rpc::InDoubtTransaction>& result) override {
    result = coordinator_->InDoubt();
  }
  void report_heuristic_mismatch(int64_t txid, const std::string& participant,
                                 rpc::Decision::type heuristic) override {
    const int32_t raw = rpc::WireEnumValue(heuristic);  // any number may arrive
    if (raw != rpc::Decision::COMMIT && raw != rpc::Decision::ABORT) {
      LOG(WARNING) << "ignored a heuristic mismatch report from " << participant
                   << " with decision " << raw << " (neither COMMIT nor ABORT)";
      return;
    }
    coordinator_->ReportHeuristicMismatch(txid, participant, heuristic);
  }
  void health(rpc::Health& health) override;

 private:
  Coordinator* coordinator_;
  const std::string listen_;
  const std::string admin_;
};

}  // namespace twopc::coordinator
