#include "participant/changeset_format.h"

#include <cstdint>
#include <string>
#include <vector>

namespace twopc::participant {
namespace {

// Values from sqlite3.h, repeated so that this file needs no SQLite.
constexpr uint8_t kDelete = 9;
constexpr uint8_t kInsert = 18;
constexpr uint8_t kUpdate = 23;
constexpr uint8_t kTableHeader = 'T';
constexpr uint8_t kPatchsetHeader = 'P';
// Value types in a changeset record (0: undefined, i.e. not present).
constexpr uint8_t kUndefined = 0;
constexpr uint8_t kInteger = 1;
constexpr uint8_t kFloat = 2;
constexpr uint8_t kText = 3;
constexpr uint8_t kBlob = 4;
constexpr uint8_t kNull = 5;
// The session extension refuses more columns than this itself.
constexpr uint64_t kMaxColumns = 65536;

class Parser {
 public:
  explicit Parser(std::string_view data) : data_(data) {}

  Status Run() {
    while (pos_ < data_.size()) {
      const uint8_t byte = Byte(pos_);
      if (byte == kTableHeader) {
        Status status = TableHeader();
        if (!status.ok()) return status;
        continue;
      }
      if (byte == kPatchsetHeader) return Bad("a patchset, not a changeset");
      if (pk_flags_.empty()) return Bad("change before any table header");
      Status status = Change();
      if (!status.ok()) return status;
    }
    return Status::Ok();
  }

 private:
  uint8_t Byte(size_t at) const { return static_cast<uint8_t>(data_[at]); }
  size_t Left() const { return data_.size() - pos_; }

  Status Bad(const std::string& what) const {
    return Status::Corruption("changeset offset " + std::to_string(pos_) + ": " + what);
  }

  // SQLite's varint: big-endian groups of 7 bits, the 9th byte contributes 8.
  bool Varint(uint64_t* value) {
    uint64_t v = 0;
    for (int i = 0; i < 9; ++i) {
      if (pos_ >= data_.size()) return false;
      const uint8_t b = Byte(pos_++);
      if (i == 8) {
        *value = (v << 8) | b;
        return true;
      }
      v = (v << 7) | (b & 0x7f);
      if ((b & 0x80) == 0) {
        *value = v;
        return true;
      }
    }
    return false;  // not reached
  }

  Status TableHeader() {
    ++pos_;  // 'T'
    uint64_t columns = 0;
    if (!Varint(&columns)) return Bad("table header ends inside its column count");
    if (columns == 0 || columns > kMaxColumns) {
      return Bad("table header has " + std::to_string(columns) + " columns");
    }
    if (Left() < columns) return Bad("table header ends inside its primary-key flags");
    pk_flags_ = data_.substr(pos_, columns);  // non-zero: part of the primary key
    pos_ += columns;
    const size_t nul = data_.find('\0', pos_);
    if (nul == std::string_view::npos) return Bad("table name is not terminated");
    pos_ = nul + 1;
    return Status::Ok();
  }

  // SQLite 3.40.1 also crashes (a null dereference in sqlite3changeset_apply)
  // on a change that lacks a value it needs, so every rule below holds for
  // what sqlite3session_changeset() writes and is enforced: an INSERT
  // defines every new value, a DELETE every old value; an UPDATE defines the
  // old primary key (and leaves the new one undefined, a key change being a
  // DELETE and an INSERT), and any other column either in both records or in
  // neither.
  Status Change() {
    const size_t start = pos_;
    const uint8_t op = Byte(pos_);
    if (op != kInsert && op != kUpdate && op != kDelete) {
      return Bad("unknown change type " + std::to_string(op));
    }
    if (Left() < 2) return Bad("change ends before its indirect flag");
    pos_ += 2;
    const size_t columns = pk_flags_.size();
    std::vector<char> first(columns);  // defined: 1
    std::vector<char> second(columns);
    for (size_t c = 0; c < columns; ++c) {
      Status status = Value(&first[c]);
      if (!status.ok()) return status;
    }
    if (op == kUpdate) {
      for (size_t c = 0; c < columns; ++c) {
        Status status = Value(&second[c]);
        if (!status.ok()) return status;
      }
    }
    for (size_t c = 0; c < columns; ++c) {
      const bool key = pk_flags_[c] != 0;
      const bool complete =
          op == kUpdate ? (key ? first[c] && !second[c] : first[c] == second[c]) : first[c];
      if (!complete) {
        pos_ = start;
        return Bad(std::string(op == kInsert   ? "INSERT"
                               : op == kDelete ? "DELETE"
                                               : "UPDATE") +
                   " with an undefined or unexpected value in column " + std::to_string(c));
      }
    }
    return Status::Ok();
  }

  // Skips one value; *defined is 0 for the "undefined" type, else 1.
  Status Value(char* defined) {
    if (Left() < 1) return Bad("record ends before all its values");
    const uint8_t type = Byte(pos_++);
    *defined = type != kUndefined;
    switch (type) {
      case kUndefined:
      case kNull:
        return Status::Ok();
      case kInteger:
      case kFloat:
        if (Left() < 8) return Bad("number runs past the end");
        pos_ += 8;
        return Status::Ok();
      case kText:
      case kBlob: {
        uint64_t length = 0;
        if (!Varint(&length)) return Bad("value ends inside its length");
        if (length > Left())
          return Bad("value of " + std::to_string(length) + " bytes runs past the end");
        pos_ += length;
        return Status::Ok();
      }
      default:
        --pos_;
        return Bad("unknown value type " + std::to_string(type));
    }
  }

  std::string_view data_;
  size_t pos_ = 0;
  std::string_view pk_flags_;  // of the current table; empty before the first header
};

}  // namespace

Status ValidateChangeset(std::string_view changeset) { return Parser(changeset).Run(); }

}  // namespace twopc::participant
