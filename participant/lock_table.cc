#include "participant/lock_table.h"

namespace twopc::participant {

std::optional<int64_t> LockTable::TryLockAll(int64_t txid, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    auto it = holder_.find(key);
    if (it != holder_.end() && it->second != txid) return it->second;
  }
  std::vector<std::string>& held = keys_of_[txid];
  for (const std::string& key : keys) {
    if (holder_.emplace(key, txid).second) held.push_back(key);
  }
  return std::nullopt;
}

std::optional<int64_t> LockTable::HolderOf(const std::string& key) const {
  auto it = holder_.find(key);
  if (it == holder_.end()) return std::nullopt;
  return it->second;
}

void LockTable::ReleaseAll(int64_t txid) {
  auto it = keys_of_.find(txid);
  if (it == keys_of_.end()) return;
  for (const std::string& key : it->second) holder_.erase(key);
  keys_of_.erase(it);
}

}  // namespace twopc::participant
