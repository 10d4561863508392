// The keys of the HA decision register under a cluster prefix
// (../shared/DESIGN.md, "HA mode"): the epoch counter, one member key per
// live coordinator epoch, one decision key per transaction.
#pragma once

#include <cstdint>
#include <string>

namespace twopc::coordinator {

class RegisterKeys {
 public:
  // `prefix` without a trailing slash, e.g. "/twopc/bank".
  explicit RegisterKeys(std::string prefix) : prefix_(std::move(prefix)) {}

  const std::string& prefix() const { return prefix_; }
  std::string EpochCounter() const { return prefix_ + "/epoch"; }
  std::string MembersPrefix() const { return prefix_ + "/members/"; }
  std::string Member(uint64_t epoch) const { return MembersPrefix() + std::to_string(epoch); }
  std::string DecisionsPrefix() const { return prefix_ + "/decisions/"; }
  std::string Decision(int64_t txid) const { return DecisionsPrefix() + std::to_string(txid); }

 private:
  std::string prefix_;
};

}  // namespace twopc::coordinator
