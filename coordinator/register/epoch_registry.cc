#include "coordinator/register/epoch_registry.h"

#include <algorithm>
#include <optional>

#include "coordinator/core/txid_allocator.h"

namespace twopc::coordinator {

namespace {

using etcd::Compare;
using etcd::Operation;

// The decimal number a key holds; nullopt if it is not one.
std::optional<uint64_t> NumberIn(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

StatusOr<uint64_t> RegisterEpoch(etcd::EtcdClient* client, const RegisterKeys& keys,
                                 int64_t lease_id, const std::string& member_value, uint64_t floor,
                                 int attempts) {
  if (lease_id == 0) return Status::InvalidArgument("a coordinator epoch needs a lease");
  for (int attempt = 0; attempt < attempts; ++attempt) {
    StatusOr<std::vector<etcd::KeyValue>> counter = client->Range(keys.EpochCounter());
    if (!counter.ok()) return counter.status();
    uint64_t last = 0;
    int64_t seen_revision = 0;  // 0: the counter does not exist yet
    if (!counter->empty()) {
      const std::optional<uint64_t> number = NumberIn(counter->front().value);
      if (!number) {
        return Status::Corruption("the register's epoch counter " + keys.EpochCounter() +
                                  " holds '" + counter->front().value + "', not a number");
      }
      last = *number;
      seen_revision = counter->front().mod_revision;
    }
    const uint64_t epoch = std::max(last + 1, floor);
    if (epoch > TxidAllocator::kMaxEpoch) {
      return Status::LimitExceeded("the register's coordinator epochs are used up (" +
                                   std::to_string(epoch) + ")");
    }
    etcd::TxnRequest txn;
    // Unchanged since read (or still absent), and the member key never made.
    txn.compare.push_back(
        seen_revision == 0
            ? Compare{keys.EpochCounter(), Compare::Target::kCreateRevision, 0, ""}
            : Compare{keys.EpochCounter(), Compare::Target::kModRevision, seen_revision, ""});
    txn.compare.push_back({keys.Member(epoch), Compare::Target::kCreateRevision, 0, ""});
    txn.success.push_back(
        {Operation::Kind::kPut, keys.EpochCounter(), false, std::to_string(epoch), 0});
    txn.success.push_back(
        {Operation::Kind::kPut, keys.Member(epoch), false, member_value, lease_id});
    // Read on failure: the member key under our own lease means an earlier
    // attempt whose reply was lost did land (the client may send a request
    // again to another member): that epoch is ours.
    txn.failure.push_back({Operation::Kind::kRange, keys.Member(epoch), false, "", 0});
    StatusOr<etcd::TxnResult> result = client->Txn(txn);
    if (!result.ok()) return result.status();
    if (result->succeeded) return epoch;
    if (!result->results.empty() && !result->results[0].kvs.empty() &&
        result->results[0].kvs[0].lease == lease_id) {
      return epoch;
    }
  }
  return Status::Busy("could not take a coordinator epoch in " + std::to_string(attempts) +
                      " attempts: other coordinators keep registering");
}

StatusOr<std::map<uint64_t, std::string>> LiveMembers(etcd::EtcdClient* client,
                                                      const RegisterKeys& keys) {
  StatusOr<std::vector<etcd::KeyValue>> found = client->Range(keys.MembersPrefix(), true);
  if (!found.ok()) return found.status();
  std::map<uint64_t, std::string> members;
  for (const etcd::KeyValue& kv : *found) {
    const std::optional<uint64_t> epoch = NumberIn(kv.key.substr(keys.MembersPrefix().size()));
    if (epoch) members[*epoch] = kv.value;
  }
  return members;
}

}  // namespace twopc::coordinator
