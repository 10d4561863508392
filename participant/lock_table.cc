#include "participant/lock_table.h"

#include <algorithm>

namespace twopc::participant {

std::vector<RowLock> WriteLocks(std::vector<std::string> keys) {
  std::vector<RowLock> locks;
  locks.reserve(keys.size());
  for (std::string& key : keys) locks.push_back(RowLock{std::move(key), LockMode::kExclusive});
  return locks;
}

std::vector<RowLock> MergeRowLocks(std::vector<RowLock> locks) {
  // Exclusive sorts first within a key, so that unique keeps it.
  std::sort(locks.begin(), locks.end(), [](const RowLock& a, const RowLock& b) {
    return a.key != b.key ? a.key < b.key : a.mode > b.mode;
  });
  locks.erase(std::unique(locks.begin(), locks.end(),
                          [](const RowLock& a, const RowLock& b) { return a.key == b.key; }),
              locks.end());
  return locks;
}

std::optional<int64_t> LockTable::ConflictOf(int64_t txid, LockMode mode, const Holders& holders) {
  if (holders.exclusive && *holders.exclusive != txid) return holders.exclusive;
  if (mode == LockMode::kShared) return std::nullopt;
  for (int64_t sharer : holders.shared) {
    if (sharer != txid) return sharer;
  }
  return std::nullopt;
}

std::optional<int64_t> LockTable::TryLockAll(int64_t txid, const std::vector<RowLock>& rows) {
  for (const RowLock& row : rows) {
    auto it = rows_.find(row.key);
    if (it == rows_.end()) continue;
    if (auto holder = ConflictOf(txid, row.mode, it->second)) return holder;
  }
  std::vector<std::string>& held = keys_of_[txid];
  for (const RowLock& row : rows) {
    auto [it, fresh] = rows_.try_emplace(row.key);
    Holders& holders = it->second;
    const bool shares =
        std::find(holders.shared.begin(), holders.shared.end(), txid) != holders.shared.end();
    if (fresh || (holders.exclusive != txid && !shares)) held.push_back(row.key);
    if (row.mode == LockMode::kExclusive) {
      holders.exclusive = txid;  // an upgrade leaves txid among the sharers too
    } else if (holders.exclusive != txid && !shares) {
      holders.shared.push_back(txid);
    }
  }
  return std::nullopt;
}

std::optional<int64_t> LockTable::HolderOf(const std::string& key) const {
  auto it = rows_.find(key);
  if (it == rows_.end()) return std::nullopt;
  return it->second.exclusive;
}

std::vector<int64_t> LockTable::SharersOf(const std::string& key) const {
  auto it = rows_.find(key);
  if (it == rows_.end()) return {};
  return it->second.shared;
}

size_t LockTable::SharedOnlyRows() const {
  size_t shared = 0;
  for (const auto& [key, holders] : rows_) {
    if (!holders.exclusive) ++shared;
  }
  return shared;
}

void LockTable::ReleaseAll(int64_t txid) {
  auto it = keys_of_.find(txid);
  if (it == keys_of_.end()) return;
  for (const std::string& key : it->second) {
    auto row = rows_.find(key);
    if (row == rows_.end()) continue;
    Holders& holders = row->second;
    if (holders.exclusive == txid) holders.exclusive.reset();
    holders.shared.erase(std::remove(holders.shared.begin(), holders.shared.end(), txid),
                         holders.shared.end());
    if (!holders.exclusive && holders.shared.empty()) rows_.erase(row);
  }
  keys_of_.erase(it);
}

}  // namespace twopc::participant
