#include "coordinator/register/commit_point.h"

namespace twopc::coordinator {

namespace {

using etcd::Compare;
using etcd::Operation;

RegisterDecision Unknown(const Status& status) {
  RegisterDecision decision;
  decision.outcome = RegisterDecision::Outcome::kUnknown;
  decision.error = status.message();
  return decision;
}

// What a found decision key says; kUnknown if it holds something else.
RegisterDecision FromKey(const etcd::KeyValue& kv) {
  StatusOr<DecisionValue> value = DecodeDecision(kv.value);
  if (!value.ok()) return Unknown(value.status());
  RegisterDecision decision;
  decision.outcome = value->kind == DecisionValue::Kind::kCommit
                         ? RegisterDecision::Outcome::kCommitted
                         : RegisterDecision::Outcome::kAborted;
  decision.value = std::move(*value);
  return decision;
}

// If decisions/TXID was never created and `fence_key` is held by `lease_id`:
// put `value`. Otherwise read the decision key.
RegisterDecision WriteOnce(etcd::EtcdClient* client, const RegisterKeys& keys, int64_t txid,
                           const std::string& fence_key, int64_t lease_id,
                           const DecisionValue& value) {
  const std::string key = keys.Decision(txid);
  etcd::TxnRequest txn;
  txn.compare.push_back({key, Compare::Target::kCreateRevision, 0, ""});
  txn.compare.push_back({fence_key, Compare::Target::kLease, lease_id, ""});
  txn.success.push_back({Operation::Kind::kPut, key, false, EncodeDecision(value), 0});
  txn.failure.push_back({Operation::Kind::kRange, key, false, "", 0});
  StatusOr<etcd::TxnResult> result = client->Txn(txn);
  if (!result.ok()) return Unknown(result.status());
  if (result->succeeded) {
    RegisterDecision decision;
    decision.outcome = value.kind == DecisionValue::Kind::kCommit
                           ? RegisterDecision::Outcome::kCommitted
                           : RegisterDecision::Outcome::kAborted;
    decision.value = value;
    return decision;
  }
  // The key decides first: a COMMIT found stands even if the fence is gone
  // (an earlier attempt of this writer may have landed).
  if (!result->results.empty() && !result->results[0].kvs.empty()) {
    return FromKey(result->results[0].kvs[0]);
  }
  RegisterDecision fenced;
  fenced.outcome = RegisterDecision::Outcome::kFenced;
  return fenced;
}

}  // namespace

RegisterDecision WriteCommit(etcd::EtcdClient* client, const RegisterKeys& keys, int64_t txid,
                             uint64_t epoch, int64_t lease_id,
                             const std::vector<std::string>& yes_voters) {
  return WriteOnce(client, keys, txid, keys.Member(epoch), lease_id,
                   DecisionValue{DecisionValue::Kind::kCommit, yes_voters});
}

RegisterDecision WriteAbort(etcd::EtcdClient* client, const RegisterKeys& keys, int64_t txid,
                            const std::string& name, const std::string& fence_key,
                            int64_t lease_id) {
  return WriteOnce(client, keys, txid, fence_key, lease_id,
                   DecisionValue{DecisionValue::Kind::kAbort, {name}});
}

RegisterDecision ReadDecision(etcd::EtcdClient* client, const RegisterKeys& keys, int64_t txid) {
  StatusOr<std::vector<etcd::KeyValue>> found = client->Range(keys.Decision(txid));
  if (!found.ok()) return Unknown(found.status());
  if (!found->empty()) return FromKey(found->front());
  RegisterDecision absent;
  absent.outcome = RegisterDecision::Outcome::kAbsent;
  return absent;
}

}  // namespace twopc::coordinator
