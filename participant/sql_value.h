// SQL values and statements as the participant's logic sees them (no Thrift types).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace twopc::participant {

struct Blob {
  std::string bytes;
  bool operator==(const Blob& other) const { return bytes == other.bytes; }
};

// NULL, INTEGER, REAL, TEXT, BLOB: SQLite's storage classes.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string, Blob>;

struct SqlStatement {
  std::string sql;
  std::vector<SqlValue> params;
  // When set, the branch is refused unless the statement changed exactly this
  // many rows (a write), or returned exactly this many (a read).
  std::optional<int64_t> expect_changes;
};

struct QueryRows {
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;
};

}  // namespace twopc::participant
