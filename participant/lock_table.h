// Which transaction holds which row. Pure bookkeeping: no waiting, no I/O; the
// agent decides whether a conflicting branch waits or is refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace twopc::participant {

class LockTable {
 public:
  // Locks every key for txid, or none of them: returns the txid holding the
  // first key that another transaction holds.
  std::optional<int64_t> TryLockAll(int64_t txid, const std::vector<std::string>& keys);
  // The holder of a key, if any.
  std::optional<int64_t> HolderOf(const std::string& key) const;
  // Whether txid holds any key.
  bool Holds(int64_t txid) const {
    auto it = keys_of_.find(txid);
    return it != keys_of_.end() && !it->second.empty();
  }
  // Releases every key txid holds.
  void ReleaseAll(int64_t txid);
  size_t locked_keys() const { return holder_.size(); }

 private:
  std::unordered_map<std::string, int64_t> holder_;
  std::unordered_map<int64_t, std::vector<std::string>> keys_of_;
};

}  // namespace twopc::participant
