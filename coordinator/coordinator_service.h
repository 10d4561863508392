// The Thrift edge of the coordinator.
#pragma once

#include <cstdint>
#include <string>

#include "coordinator/coordinator.h"
#include "gen-cpp/Coordinator.h"

namespace twopc::coordinator {

class CoordinatorService : public rpc::CoordinatorIf {
 public:
  // `admin`: HOST:PORT of the admin endpoint (--admin-listen), or empty; told
  // in health so that `txctl --coordinator ... top` can find it.
  CoordinatorService(Coordinator* coordinator, std::string listen, std::string admin = "")
      : coordinator_(coordinator), listen_(std::move(listen)), admin_(std::move(admin)) {}

  // Checks the request (limits, known participants), converts it, runs it.
  // Throws rpc::TxError for a request that cannot be run.
  void execute(rpc::ExecuteResult& result, const rpc::ExecuteRequest& request) override;
  rpc::Outcome::type status(int64_t txid) override;
  rpc::Decision::type resolve(int64_t txid, const std::string& participant) override;
  void in_doubt(std::vector<rpc::InDoubtTransaction>& result) override;
  void report_heuristic_mismatch(int64_t txid, const std::string& participant,
                                 rpc::Decision::type heuristic) override;
  void health(rpc::Health& health) override;

 private:
  Coordinator* coordinator_;
  const std::string listen_;
  const std::string admin_;
};

}  // namespace twopc::coordinator
