// What etcd's v3 KV and lease APIs take and return, as plain C++ values
// (the subset twopc's decision register uses). Keys and values are bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace twopc::etcd {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;  // 0: none
};

// One condition of a transaction: the key's `target` EQUAL to `number`
// (revisions, version, lease id) or to `value` (kValue). A key that does not
// exist has create revision 0 and lease 0.
struct Compare {
  enum class Target { kCreateRevision, kModRevision, kVersion, kValue, kLease };
  std::string key;
  Target target = Target::kCreateRevision;
  int64_t number = 0;
  std::string value;
};

struct Operation {
  enum class Kind { kPut, kRange, kDelete };
  Kind kind = Kind::kRange;
  std::string key;
  bool prefix = false;  // kRange, kDelete: every key starting with `key`
  std::string value;    // kPut
  int64_t lease = 0;    // kPut: attach to this lease (0: none)
};

// If every compare holds, the success operations run, else the failure ones;
// atomically, in one revision.
struct TxnRequest {
  std::vector<Compare> compare;
  std::vector<Operation> success;
  std::vector<Operation> failure;
};

struct OperationResult {
  std::vector<KeyValue> kvs;  // kRange
  int64_t deleted = 0;        // kDelete
};

struct TxnResult {
  bool succeeded = false;
  int64_t revision = 0;                  // the store's revision after the transaction
  std::vector<OperationResult> results;  // one per operation that ran
};

struct Lease {
  int64_t id = 0;
  int64_t ttl_s = 0;  // remaining seconds; 0: expired or unknown
};

}  // namespace twopc::etcd
