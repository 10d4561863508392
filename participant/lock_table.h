// Which transaction holds which row, and how. Pure bookkeeping: no waiting, no
// I/O; the agent decides whether a conflicting branch waits or is refused.
//
// A row is held exclusively by one transaction (it writes the row, or read it
// FOR UPDATE) or shared by any number (read FOR SHARE). Shared and exclusive
// conflict; a transaction never conflicts with itself, so one that shares a
// row alone may take it exclusively.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace twopc::participant {

enum class LockMode : uint8_t { kShared = 1, kExclusive = 2 };

struct RowLock {
  std::string key;  // table and primary key, as ChangesetKeys encodes them
  LockMode mode = LockMode::kExclusive;
  bool operator==(const RowLock& other) const { return key == other.key && mode == other.mode; }
};

// Exclusive locks on the keys (the rows a changeset writes).
std::vector<RowLock> WriteLocks(std::vector<std::string> keys);

// Sorted by key, one lock per key, in the strongest mode asked for it.
std::vector<RowLock> MergeRowLocks(std::vector<RowLock> locks);

class LockTable {
 public:
  // Locks every row for txid, or none of them: returns a transaction holding
  // one of them in a conflicting mode.
  std::optional<int64_t> TryLockAll(int64_t txid, const std::vector<RowLock>& rows);
  // The exclusive holder of a key, if any.
  std::optional<int64_t> HolderOf(const std::string& key) const;
  // The transactions sharing a key, in the order they took it.
  std::vector<int64_t> SharersOf(const std::string& key) const;
  // Whether txid holds any key.
  bool Holds(int64_t txid) const {
    auto it = keys_of_.find(txid);
    return it != keys_of_.end() && !it->second.empty();
  }
  // Releases every key txid holds.
  void ReleaseAll(int64_t txid);
  size_t locked_keys() const { return rows_.size(); }
  // Rows held only shared (a walk over the table: for metrics, not hot paths).
  size_t SharedOnlyRows() const;

 private:
  struct Holders {
    std::optional<int64_t> exclusive;
    std::vector<int64_t> shared;
  };
  // Who stands in the way of txid taking `holders` in `mode`, if anyone.
  static std::optional<int64_t> ConflictOf(int64_t txid, LockMode mode, const Holders& holders);

  std::unordered_map<std::string, Holders> rows_;
  std::unordered_map<int64_t, std::vector<std::string>> keys_of_;
};

}  // namespace twopc::participant
