// Compiled SQLite statements kept across calls, keyed by their SQL text.
// Compiling is most of the cost of a short statement (a one-row UPDATE spends
// more time in SQLite's parser than in the B-tree), and the agent runs the
// same few statements over and over.
#pragma once

#include <cstddef>
#include <list>
#include <set>
#include <string>
#include <unordered_map>

#include "participant/sqlite_session.h"

namespace twopc::participant {

class StatementCache {
 public:
  // What the cache keeps beside a statement: for client SQL, the tables the
  // authorizer saw it write when it was compiled (a cached statement is not
  // authorized again).
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    std::set<std::string> tables_written;
  };

  // Keeps at most `capacity` statements; the least recently used goes first.
  StatementCache(sqlite3* db, size_t capacity) : db_(db), capacity_(capacity) {}
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The entry for `sql`, or nullptr. The statement is reset and unbound.
  const Entry* Find(const std::string& sql);
  // Takes ownership of `entry.stmt` (compiled from `sql`, a single statement).
  const Entry* Insert(const std::string& sql, Entry entry);
  // Find, or compile `sql` (one statement, no authorizer) and insert it.
  // nullptr when it does not compile; sqlite3_errmsg(db) says why.
  sqlite3_stmt* Get(const std::string& sql);

  size_t size() const { return entries_.size(); }

 private:
  using Lru = std::list<std::string>;
  struct Slot {
    Entry entry;
    Lru::iterator position;
  };

  sqlite3* const db_;
  const size_t capacity_;
  Lru lru_;  // most recently used first
  std::unordered_map<std::string, Slot> entries_;
};

// Resets a cached statement (and clears its bindings) when the scope ends, so
// that it neither holds a read transaction open nor keeps old parameters.
class StatementLease {
 public:
  explicit StatementLease(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementLease() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementLease(const StatementLease&) = delete;
  StatementLease& operator=(const StatementLease&) = delete;

  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace twopc::participant
