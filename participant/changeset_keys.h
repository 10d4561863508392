// The rows a changeset touches, as lock-table keys.
#pragma once

#include <string>
#include <vector>

#include "wal/status.h"

namespace twopc::participant {

// One key per changed row: the table name and the row's primary key, encoded
// so that equal rows give equal strings. Sorted, without duplicates.
StatusOr<std::vector<std::string>> ChangesetKeys(const std::string& changeset);

// Number of row changes in a changeset.
StatusOr<size_t> ChangesetSize(const std::string& changeset);

}  // namespace twopc::participant
