#include "participant/changeset_format.h"

#include <cstdint>
#include <string>

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
    uint64_t columns = 0;
    while (pos_ < data_.size()) {
      const uint8_t byte = Byte(pos_);
      if (byte == kTableHeader) {
        Status status = TableHeader(&columns);
        if (!status.ok()) return status;
        continue;
      }
      if (byte == kPatchsetHeader) return Bad("a patchset, not a changeset");
      if (columns == 0) return Bad("change before any table header");
      Status status = Change(columns);
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

  Status TableHeader(uint64_t* columns) {
    ++pos_;  // 'T'
    if (!Varint(columns)) return Bad("table header ends inside its column count");
    if (*columns == 0 || *columns > kMaxColumns) {
      return Bad("table header has " + std::to_string(*columns) + " columns");
    }
    if (Left() < *columns) return Bad("table header ends inside its primary-key flags");
    pos_ += *columns;
    const size_t nul = data_.find('\0', pos_);
    if (nul == std::string_view::npos) return Bad("table name is not terminated");
    pos_ = nul + 1;
    return Status::Ok();
  }

  Status Change(uint64_t columns) {
    const uint8_t op = Byte(pos_);
    if (op != kInsert && op != kUpdate && op != kDelete) {
      return Bad("unknown change type " + std::to_string(op));
    }
    if (Left() < 2) return Bad("change ends before its indirect flag");
    pos_ += 2;
    const int records = op == kUpdate ? 2 : 1;
    for (int r = 0; r < records; ++r) {
      for (uint64_t c = 0; c < columns; ++c) {
        Status status = Value();
        if (!status.ok()) return status;
      }
    }
    return Status::Ok();
  }

  Status Value() {
    if (Left() < 1) return Bad("record ends before all its values");
    const uint8_t type = Byte(pos_++);
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
};

}  // namespace

Status ValidateChangeset(std::string_view changeset) { return Parser(changeset).Run(); }

}  // namespace twopc::participant
