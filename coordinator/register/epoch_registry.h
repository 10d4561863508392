// Coordinator epochs in the HA register: each coordinator start takes a new
// epoch from a counter bumped by compare-and-swap, and creates its member
// key with its own lease in the same etcd transaction. An epoch is never
// reused and its member key is created once: when the lease ends, the epoch
// is over for good (a coordinator that lost it registers anew).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "coordinator/register/register_keys.h"
#include "thrift/etcd/etcd_client.h"
#include "wal/base/status.h"

namespace twopc::coordinator {

// Takes the next epoch, at least `floor` (txids must also stay unique
// against epochs a participant saw from a coordinator in local mode), and
// creates members/E = `member_value` attached to `lease_id`. Retries when
// another coordinator bumped the counter meanwhile (at most `attempts`
// times: then Busy). Errors of the store are returned as they are; after
// one, the call may have taken an epoch all the same, whose member key then
// lives, unused, as long as the lease (calling again takes a later epoch).
// InvalidArgument without a lease, LimitExceeded past the last epoch a txid
// can hold.
StatusOr<uint64_t> RegisterEpoch(etcd::EtcdClient* client, const RegisterKeys& keys,
                                 int64_t lease_id, const std::string& member_value, uint64_t floor,
                                 int attempts = 16);

// The live epochs (their member keys) and what each member wrote.
StatusOr<std::map<uint64_t, std::string>> LiveMembers(etcd::EtcdClient* client,
                                                      const RegisterKeys& keys);

}  // namespace twopc::coordinator
