// The participant channel over Thrift: pooled connections to one txpart,
// domain types converted at this edge.
#pragma once

#include <string>

#include "coordinator/core/participant_channel.h"
#include "coordinator/participant_pool.h"

namespace twopc::coordinator {

class ThriftParticipantChannel final : public ParticipantChannel {
 public:
  ThriftParticipantChannel(std::string name, const rpc::HostPort& address,
                           int connect_timeout_ms = 2000, rpc::SecurityOptions security = {},
                           const Clock* clock = SystemClock::Get())
      : pool_(std::move(name), address, connect_timeout_ms, std::move(security)), clock_(clock) {}

  std::string address() const override { return pool_.address().ToString(); }
  std::optional<CallFailure> PrepareMany(const std::vector<PrepareItem>& items,
                                         const std::vector<int64_t>& commits, int64_t timeout_ms,
                                         PrepareManyReply* reply) override;
  std::optional<CallFailure> CommitMany(const std::vector<int64_t>& txids, int64_t timeout_ms,
                                        CommitAcks* acks) override;
  std::optional<CallFailure> Abort(int64_t txid, int64_t timeout_ms) override;
  std::optional<CallFailure> ListInDoubt(int64_t timeout_ms,
                                         std::vector<PreparedBranch>* branches) override;

 private:
  // Runs call(client) on a pooled connection; the failure if it had one.
  template <typename Call>
  std::optional<CallFailure> Run(int64_t timeout_ms, const Call& call);

  ParticipantPool pool_;
  const Clock* const clock_;  // the one the items' deadlines are on
};

}  // namespace twopc::coordinator
