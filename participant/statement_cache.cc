#include "participant/statement_cache.h"

namespace twopc::participant {

StatementCache::~StatementCache() {
  for (auto& [sql, slot] : entries_) sqlite3_finalize(slot.entry.stmt);
}

const StatementCache::Entry* StatementCache::Find(const std::string& sql) {
  auto it = entries_.find(sql);
  if (it == entries_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.position);
  return &it->second.entry;
}

const StatementCache::Entry* StatementCache::Insert(const std::string& sql, Entry entry) {
  auto existing = entries_.find(sql);
  if (existing != entries_.end()) {
    // Already cached (the caller compiled without looking first): keep the first.
    sqlite3_finalize(entry.stmt);
    return Find(sql);
  }
  while (!entries_.empty() && entries_.size() >= capacity_) {
    auto victim = entries_.find(lru_.back());
    sqlite3_finalize(victim->second.entry.stmt);
    entries_.erase(victim);
    lru_.pop_back();
  }
  lru_.push_front(sql);
  auto [it, inserted] = entries_.emplace(sql, Slot{std::move(entry), lru_.begin()});
  return &it->second.entry;
}

sqlite3_stmt* StatementCache::Get(const std::string& sql) {
  if (const Entry* cached = Find(sql)) return cached->stmt;
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK || stmt == nullptr) {
    sqlite3_finalize(stmt);
    return nullptr;
  }
  return Insert(sql, Entry{stmt, {}})->stmt;
}

}  // namespace twopc::participant
