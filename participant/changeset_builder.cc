#include "participant/changeset_builder.h"

#include <cstring>
#include <optional>
#include <unordered_map>
#include <utility>

namespace twopc::participant {
namespace {

// Value types in a changeset record (0: undefined, i.e. not present).
constexpr uint8_t kUndefined = 0;
constexpr uint8_t kInteger = 1;
constexpr uint8_t kFloat = 2;
constexpr uint8_t kText = 3;
constexpr uint8_t kBlob = 4;
constexpr uint8_t kNull = 5;
constexpr char kTableHeader = 'T';

void PutBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

// SQLite's varint: big-endian groups of 7 bits, the 9th byte carries 8.
void PutVarint(std::string* out, uint64_t value) {
  if (value > 0x00ffffffffffffffULL) {
    // Nine bytes: eight groups of 7 bits, then the low 8 bits whole.
    const uint64_t high = value >> 8;
    for (int group = 7; group >= 0; --group) {
      out->push_back(static_cast<char>(((high >> (7 * group)) & 0x7f) | 0x80));
    }
    out->push_back(static_cast<char>(value & 0xff));
    return;
  }
  char groups[9];
  int n = 0;
  do {
    groups[n++] = static_cast<char>(value & 0x7f);
    value >>= 7;
  } while (value != 0);
  while (n > 1) out->push_back(static_cast<char>(groups[--n] | 0x80));
  out->push_back(groups[0]);
}

double RealOf(std::string_view column) {
  uint64_t bits = 0;
  for (size_t i = 1; i < 9; ++i) bits = (bits << 8) | static_cast<uint8_t>(column[i]);
  double value = 0;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// Whether a column kept its value, as the session extension judges it: the
// same type and bytes, reals compared as numbers (0.0 equals -0.0).
bool SameValue(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty() || a[0] != b[0]) return false;
  if (static_cast<uint8_t>(a[0]) == kFloat && a.size() == 9 && b.size() == 9) {
    return RealOf(a) == RealOf(b);
  }
  return a == b;
}

// The net change of one row over the branch.
struct RowState {
  const RowImage* original = nullptr;  // the row before the first change; null if absent
  const RowImage* current = nullptr;   // the row after the last change; null if absent
  bool indirect = true;                // every change to it was indirect
};

void AppendWhole(std::string* out, const RowImage& row) {
  for (size_t i = 0; i < row.columns(); ++i) out->append(row.Column(i));
}

// Appends the change for `row`, or nothing when its net effect is none.
void AppendRow(std::string* out, const CaptureShape& shape, const RowState& row) {
  const char indirect = row.indirect ? 1 : 0;
  if (row.original == nullptr && row.current == nullptr) return;
  if (row.original == nullptr) {
    out->push_back(static_cast<char>(ChangesetBuilder::kInsert));
    out->push_back(indirect);
    AppendWhole(out, *row.current);
    return;
  }
  if (row.current == nullptr) {
    out->push_back(static_cast<char>(ChangesetBuilder::kDelete));
    out->push_back(indirect);
    AppendWhole(out, *row.original);
    return;
  }
  // An UPDATE: the old record has the key and the old value of each changed
  // column, the new record the new value of each changed column.
  std::string before;
  std::string after;
  bool changed_any = false;
  for (size_t i = 0; i < shape.primary_key.size(); ++i) {
    const std::string_view old_value = row.original->Column(i);
    const std::string_view new_value = row.current->Column(i);
    const bool changed = !SameValue(old_value, new_value);
    changed_any = changed_any || changed;
    if (changed || shape.primary_key[i] != 0) {
      before.append(old_value);
    } else {
      before.push_back(static_cast<char>(kUndefined));
    }
    if (changed) {
      after.append(new_value);
    } else {
      after.push_back(static_cast<char>(kUndefined));
    }
  }
  if (!changed_any) return;
  out->push_back(static_cast<char>(ChangesetBuilder::kUpdate));
  out->push_back(indirect);
  out->append(before);
  out->append(after);
}

}  // namespace

void RowImage::AppendInteger(int64_t value) {
  bytes_.push_back(static_cast<char>(kInteger));
  PutBigEndian64(&bytes_, static_cast<uint64_t>(value));
  EndColumn();
}

void RowImage::AppendReal(double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  bytes_.push_back(static_cast<char>(kFloat));
  PutBigEndian64(&bytes_, bits);
  EndColumn();
}

void RowImage::AppendText(const char* data, size_t size) { AppendBytes(kText, data, size); }

void RowImage::AppendBlob(const void* data, size_t size) { AppendBytes(kBlob, data, size); }

void RowImage::AppendNull() {
  bytes_.push_back(static_cast<char>(kNull));
  EndColumn();
}

void RowImage::AppendBytes(uint8_t type, const void* data, size_t size) {
  bytes_.push_back(static_cast<char>(type));
  PutVarint(&bytes_, size);
  if (size > 0) bytes_.append(static_cast<const char*>(data), size);
  EndColumn();
}

std::string_view RowImage::Column(size_t i) const {
  const size_t begin = i == 0 ? 0 : ends_[i - 1];
  return std::string_view(bytes_).substr(begin, ends_[i] - begin);
}

void ChangesetBuilder::Record(std::string_view table, int op, bool indirect, RowImage before,
                              RowImage after) {
  size_t index = 0;
  while (index < tables_.size() && tables_[index] != table) ++index;
  if (index == tables_.size()) tables_.emplace_back(table);
  changes_.push_back(Change{index, op, indirect, std::move(before), std::move(after)});
}

StatusOr<std::string> ChangesetBuilder::Build(const ShapeOf& shape_of) const {
  std::vector<const CaptureShape*> shapes(tables_.size());
  for (size_t t = 0; t < tables_.size(); ++t) {
    shapes[t] = shape_of(tables_[t]);
    if (shapes[t] == nullptr) return Status::NotSupported("no shape for table " + tables_[t]);
  }
  // Per table, the rows in the order first changed, found by their key.
  std::vector<std::vector<RowState>> rows(tables_.size());
  std::vector<std::unordered_map<std::string, size_t>> by_key(tables_.size());
  auto key_of = [&](size_t table, const RowImage& image) -> StatusOr<std::string> {
    const CaptureShape& shape = *shapes[table];
    if (image.columns() != shape.primary_key.size()) {
      return Status::NotSupported("table " + tables_[table] + " has " +
                                  std::to_string(shape.primary_key.size()) + " columns, its row " +
                                  std::to_string(image.columns()));
    }
    std::string key;
    for (size_t i = 0; i < shape.primary_key.size(); ++i) {
      if (shape.primary_key[i] == 0) continue;
      const std::string_view value = image.Column(i);
      if (static_cast<uint8_t>(value[0]) == kNull) {
        // SQLite allows it outside INTEGER PRIMARY KEY and WITHOUT ROWID
        // tables, but such a row has no key to apply it by after a crash.
        return Status::Aborted("table '" + tables_[table] +
                               "': a row whose PRIMARY KEY is NULL cannot be captured for a "
                               "crash-safe commit (give every row a key)");
      }
      key.append(value);
    }
    return key;
  };
  // Finds or adds the row; a new one existed before this change iff `existed`.
  auto row_for = [&](size_t table, std::string key, const RowImage* before) -> RowState& {
    auto [it, added] = by_key[table].try_emplace(std::move(key), rows[table].size());
    if (added) {
      rows[table].emplace_back();
      rows[table].back().original = before;
      rows[table].back().current = before;
    }
    return rows[table][it->second];
  };
  for (const Change& change : changes_) {
    std::optional<std::string> old_key;
    if (change.op != kInsert) {
      StatusOr<std::string> key = key_of(change.table, change.before);
      if (!key.ok()) return key.status();
      old_key = std::move(*key);
      RowState& row = row_for(change.table, *old_key, &change.before);
      row.current = nullptr;  // gone, unless the UPDATE's new row has this key
      row.indirect = row.indirect && change.indirect;
    }
    if (change.op != kDelete) {
      StatusOr<std::string> key = key_of(change.table, change.after);
      if (!key.ok()) return key.status();
      RowState& row = row_for(change.table, std::move(*key), nullptr);
      row.current = &change.after;
      row.indirect = row.indirect && change.indirect;
    }
  }
  std::string out;
  for (size_t t = 0; t < tables_.size(); ++t) {
    const size_t header_at = out.size();
    const CaptureShape& shape = *shapes[t];
    out.push_back(kTableHeader);
    PutVarint(&out, shape.primary_key.size());
    out.append(reinterpret_cast<const char*>(shape.primary_key.data()), shape.primary_key.size());
    out.append(tables_[t]);
    out.push_back('\0');
    const size_t changes_at = out.size();
    for (const RowState& row : rows[t]) AppendRow(&out, shape, row);
    if (out.size() == changes_at) out.resize(header_at);  // no net change: no header
  }
  return out;
}

}  // namespace twopc::participant
