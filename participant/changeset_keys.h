// The rows a changeset touches, as lock-table keys.
#pragma once

#include <string>
#include <vector>

#include "wal/base/status.h"

struct sqlite3_value;

namespace twopc::participant {

// A row's lock key is its table's name, a NUL, then each primary key value
// (in the table's column order) appended with AppendKeyValue.
std::string RowKeyPrefix(const char* table);
void AppendKeyValue(sqlite3_value* value, std::string* key);

// One key per changed row: the table name and the row's primary key, encoded
// so that equal rows give equal strings. Sorted, without duplicates.
StatusOr<std::vector<std::string>> ChangesetKeys(const std::string& changeset);

// Number of row changes in a changeset.
StatusOr<size_t> ChangesetSize(const std::string& changeset);

}  // namespace twopc::participant
