// Builds a changeset, in the format sqlite3session_changeset() writes, from
// the row changes a branch made as SQLite's pre-update hook reports them (see
// preupdate_capture.h). The session extension reads a table's schema when it
// first sees the table in a session and prepares a SELECT per table when the
// changeset is generated: with one session per branch that was a fifth of an
// agent's CPU. Here the schema comes from the caller's cache and the final
// row values from the hook itself. Pure; no SQLite.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wal/base/status.h"

namespace twopc::participant {

// A row as the hook saw it: every column's value encoded as in a changeset
// record (a type byte, then 8 big-endian bytes or a varint length and bytes).
class RowImage {
 public:
  void AppendInteger(int64_t value);
  void AppendReal(double value);
  void AppendText(const char* data, size_t size);
  void AppendBlob(const void* data, size_t size);
  void AppendNull();

  size_t columns() const { return ends_.size(); }
  std::string_view Column(size_t i) const;
  bool empty() const { return ends_.empty(); }

 private:
  void AppendBytes(uint8_t type, const void* data, size_t size);
  void EndColumn() { ends_.push_back(static_cast<uint32_t>(bytes_.size())); }

  std::string bytes_;
  std::vector<uint32_t> ends_;
};

// A table as its changeset header describes it: per column, 0 or the
// column's 1-based position in the primary key.
struct CaptureShape {
  std::vector<uint8_t> primary_key;
};

class ChangesetBuilder {
 public:
  // Values from sqlite3.h (the hook's op codes are the changeset's).
  static constexpr int kDelete = 9;
  static constexpr int kInsert = 18;
  static constexpr int kUpdate = 23;

  // One row change in statement order: `before` for an UPDATE or DELETE,
  // `after` for an INSERT or UPDATE. `indirect` when a trigger or a foreign
  // key action made it.
  void Record(std::string_view table, int op, bool indirect, RowImage before, RowImage after);

  // Tables changed, in the order first changed.
  const std::vector<std::string>& tables() const { return tables_; }
  bool empty() const { return changes_.empty(); }

  // The changeset of the branch's net effect: per row, what it was before
  // the first change and what it is after the last (an insert then an update
  // is one INSERT; an update that ends where it began is nothing). Tables in
  // the order first changed, rows in the order first changed. `shape_of`
  // gives each table's shape (nullptr: unknown); an unknown table or a row
  // whose column count differs from its table's is Status::NotSupported (the
  // caller captures that branch another way). A NULL in a key column is
  // Status::Aborted naming the table: no capture could apply that row again.
  using ShapeOf = std::function<const CaptureShape*(const std::string& table)>;
  StatusOr<std::string> Build(const ShapeOf& shape_of) const;

 private:
  struct Change {
    size_t table;
    int op;
    bool indirect;
    RowImage before;
    RowImage after;
  };
  std::vector<std::string> tables_;
  std::vector<Change> changes_;
};

}  // namespace twopc::participant
