#include "coordinator/coordinator_service.h"

#include <glog/logging.h>

#include "coordinator/client/wire.h"
#include "thrift/rpc/request_limits.h"
#include "thrift/rpc/wire_enum.h"

namespace twopc::coordinator {

void CoordinatorService::execute(rpc::ExecuteResult& result, const rpc::ExecuteRequest& request) {
  if (auto refusal = rpc::CheckExecuteRequest(request, coordinator_->limits(),
                                              coordinator_->participant_names())) {
    rpc::ThrowTxError(refusal->code, refusal->message);
  }
  std::vector<Branch> branches;
  ExecuteOptions options;
  client_internal::FromWire(request, &branches, &options);
  StatusOr<ExecuteResult> done = coordinator_->Execute(std::move(branches), options);
  if (!done.ok()) {
    rpc::ThrowTxError(
        done.status().IsBusy() ? rpc::ErrorCode::OVERLOADED : rpc::ErrorCode::INTERNAL,
        done.status().message());
  }
  client_internal::ToWire(*done, &result);
}

rpc::Outcome::type CoordinatorService::status(int64_t txid) {
  return client_internal::ToWire(coordinator_->StatusOf(txid));
}

rpc::Decision::type CoordinatorService::resolve(int64_t txid, const std::string& participant) {
  switch (coordinator_->Resolve(txid, participant)) {
    case Decision::kCommit:
      return rpc::Decision::COMMIT;
    case Decision::kInProgress:
      return rpc::Decision::IN_PROGRESS;
    case Decision::kAbort:
      break;
  }
  return rpc::Decision::ABORT;
}

void CoordinatorService::in_doubt(std::vector<rpc::InDoubtTransaction>& result) {
  result.clear();
  for (const InDoubtTransaction& t : coordinator_->InDoubt()) {
    result.push_back(client_internal::ToWire(t));
  }
}

void CoordinatorService::report_heuristic_mismatch(int64_t txid, const std::string& participant,
                                                   rpc::Decision::type heuristic) {
  const int32_t raw = rpc::WireEnumValue(heuristic);  // any number may arrive
  if (raw != rpc::Decision::COMMIT && raw != rpc::Decision::ABORT) {
    LOG(WARNING) << "ignored a heuristic mismatch report from " << participant << " with decision "
                 << raw << " (neither COMMIT nor ABORT)";
    return;
  }
  coordinator_->ReportHeuristicMismatch(txid, participant, raw == rpc::Decision::COMMIT);
}

void CoordinatorService::health(rpc::Health& health) {
  health.role = "coordinator";
  health.name = listen_;
  std::string names;
  for (const std::string& name : coordinator_->participant_names()) {
    names += (names.empty() ? "" : ",") + name;
  }
  std::map<std::string, std::string> details = {
      {"participants", names},
      {"undelivered_commits", std::to_string(coordinator_->undelivered())}};
  if (!admin_.empty()) details["admin"] = admin_;
  health.__set_details(std::move(details));
}

}  // namespace twopc::coordinator
