// The HA commit point and the participants' abort, as create-once writes of
// decisions/TXID in the register (../shared/DESIGN.md, HA mode, rules 1-3).
//
// The coordinator owning epoch E writes COMMIT only if the key was never
// created and members/E is still held by its lease (the lease of T's own
// epoch, not the coordinator's current one). A participant writes ABORT only
// if the key was never created and its own fence key is still held by its
// lease. Whoever loses reads what the key holds and follows it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coordinator/register/decision_value.h"
#include "coordinator/register/register_keys.h"
#include "thrift/etcd/etcd_client.h"

namespace twopc::coordinator {

struct RegisterDecision {
  enum class Outcome {
    kCommitted,  // the key holds COMMIT (written now or before)
    kAborted,    // the key holds ABORT
    // Nothing written: the key is absent and the writer's fence (members/E,
    // or the participant's key) is gone or held by another lease. For a
    // coordinator: epoch E is over; it decides nothing more for E.
    kFenced,
    // ReadDecision: no key (the caller decides by its rules, e.g. rule 7).
    kAbsent,
    // The store did not answer or the reply was lost: the write may still
    // land. Never read as an abort (rule 2): ask again, read the key.
    kUnknown,
  };
  Outcome outcome = Outcome::kUnknown;
  DecisionValue value;  // what the key holds (kCommitted, kAborted)
  std::string error;    // kUnknown: why
};

// Rule 1: COMMIT for `yes_voters`, fenced by members/E held by `lease_id`.
RegisterDecision WriteCommit(etcd::EtcdClient* client, const RegisterKeys& keys, int64_t txid,
                             uint64_t epoch, int64_t lease_id,
                             const std::vector<std::string>& yes_voters);

// Rule 3: ABORT by participant `name`, fenced by `fence_key` held by `lease_id`.
RegisterDecision WriteAbort(etcd::EtcdClient* client, const RegisterKeys& keys, int64_t txid,
                            const std::string& name, const std::string& fence_key,
                            int64_t lease_id);

// What decisions/TXID holds now: kCommitted, kAborted, kAbsent; kUnknown on a
// store error.
RegisterDecision ReadDecision(etcd::EtcdClient* client, const RegisterKeys& keys, int64_t txid);

}  // namespace twopc::coordinator
