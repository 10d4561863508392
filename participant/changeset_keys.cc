#include "participant/changeset_keys.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "participant/changeset_format.h"
#include "participant/sqlite_session.h"

namespace twopc::participant {

std::string RowKeyPrefix(const char* table) {
  std::string key(table);
  key.push_back('\0');
  return key;
}

void AppendKeyValue(sqlite3_value* value, std::string* key) {
  if (value == nullptr) {
    key->push_back('?');
    return;
  }
  switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER: {
      const sqlite3_int64 v = sqlite3_value_int64(value);
      key->push_back('i');
      key->append(reinterpret_cast<const char*>(&v), sizeof(v));
      break;
    }
    case SQLITE_FLOAT: {
      const double v = sqlite3_value_double(value);
      key->push_back('r');
      key->append(reinterpret_cast<const char*>(&v), sizeof(v));
      break;
    }
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
      const int n = sqlite3_value_bytes(value);
      const uint32_t len = static_cast<uint32_t>(n);
      key->push_back(sqlite3_value_type(value) == SQLITE_TEXT ? 't' : 'b');
      key->append(reinterpret_cast<const char*>(&len), sizeof(len));
      key->append(static_cast<const char*>(sqlite3_value_blob(value)), static_cast<size_t>(n));
      break;
    }
    default:
      key->push_back('n');
  }
}

namespace {

// Calls visit(iterator) for every change; stops with the first error.
Status ForEachChange(const std::string& changeset,
                     const std::function<Status(sqlite3_changeset_iter*)>& visit) {
  // SQLite may never return on a malformed changeset (see changeset_format.h).
  Status valid = ValidateChangeset(changeset);
  if (!valid.ok()) return valid;
  sqlite3_changeset_iter* iter = nullptr;
  int rc = sqlite3changeset_start(&iter, static_cast<int>(changeset.size()),
                                  const_cast<char*>(changeset.data()));
  if (rc != SQLITE_OK) return Status::Corruption("changeset: " + std::string(sqlite3_errstr(rc)));
  Status status;
  while ((rc = sqlite3changeset_next(iter)) == SQLITE_ROW) {
    status = visit(iter);
    if (!status.ok()) break;
  }
  const int finalize_rc = sqlite3changeset_finalize(iter);
  if (!status.ok()) return status;
  if (rc != SQLITE_DONE || finalize_rc != SQLITE_OK) {
    return Status::Corruption("changeset: " + std::string(sqlite3_errstr(finalize_rc)));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<std::string>> ChangesetKeys(const std::string& changeset) {
  std::vector<std::string> keys;
  Status status = ForEachChange(changeset, [&keys](sqlite3_changeset_iter* iter) {
    const char* table = nullptr;
    int columns = 0;
    int op = 0;
    int indirect = 0;
    if (sqlite3changeset_op(iter, &table, &columns, &op, &indirect) != SQLITE_OK) {
      return Status::Corruption("changeset: bad operation");
    }
    unsigned char* pk_flags = nullptr;
    if (sqlite3changeset_pk(iter, &pk_flags, &columns) != SQLITE_OK) {
      return Status::Corruption("changeset: bad primary key");
    }
    std::string key = RowKeyPrefix(table);
    for (int i = 0; i < columns; ++i) {
      if (!pk_flags[i]) continue;
      sqlite3_value* value = nullptr;
      // An INSERT has only new values; UPDATE and DELETE carry the old primary key.
      const int rc = op == SQLITE_INSERT ? sqlite3changeset_new(iter, i, &value)
                                         : sqlite3changeset_old(iter, i, &value);
      if (rc != SQLITE_OK) return Status::Corruption("changeset: missing primary key value");
      AppendKeyValue(value, &key);
    }
    keys.push_back(std::move(key));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

StatusOr<size_t> ChangesetSize(const std::string& changeset) {
  size_t count = 0;
  Status status = ForEachChange(changeset, [&count](sqlite3_changeset_iter*) {
    ++count;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return count;
}

}  // namespace twopc::participant
