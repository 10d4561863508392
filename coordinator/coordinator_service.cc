#include "coordinator/coordinator_service.h"

namespace twopc::coordinator {

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
