#include "participant/changeset_applier.h"

#include <memory>

#include <glog/logging.h>

namespace twopc::participant {
namespace {

struct IterCloser {
  void operator()(sqlite3_changeset_iter* iter) const { sqlite3changeset_finalize(iter); }
};
using IterPtr = std::unique_ptr<sqlite3_changeset_iter, IterCloser>;

std::string Quote(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Param(size_t index) { return "?" + std::to_string(index); }

using Change = ChangesetApplier::Change;

Change Current(sqlite3_changeset_iter* iter) {
  Change change;
  int indirect = 0;
  sqlite3changeset_op(iter, &change.table, &change.columns, &change.op, &indirect);
  int pk_columns = 0;
  sqlite3changeset_pk(iter, &change.pk_flags, &pk_columns);
  return change;
}

using ValueOf = int (*)(sqlite3_changeset_iter*, int, sqlite3_value**);

sqlite3_value* Value(sqlite3_changeset_iter* iter, ValueOf which, int column) {
  sqlite3_value* value = nullptr;
  if (which(iter, column, &value) != SQLITE_OK) return nullptr;
  return value;
}

}  // namespace

bool ChangesetApplier::Matches(const TableShape& table, const Change& change) {
  if (table.columns.size() != static_cast<size_t>(change.columns)) return false;
  for (int i = 0; i < change.columns; ++i) {
    if (table.primary_key[static_cast<size_t>(i)] != (change.pk_flags[i] != 0)) return false;
  }
  return true;
}

StatusOr<const ChangesetApplier::TableShape*> ChangesetApplier::ShapeOf(const std::string& table) {
  auto cached = shapes_.find(table);
  if (cached != shapes_.end()) return &cached->second;
  sqlite3_stmt* stmt = statements_.Get("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid");
  if (stmt == nullptr) return Status::IoError(sqlite3_errmsg(db_));
  StatementLease lease(stmt);
  sqlite3_bind_text(stmt, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  TableShape shape;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const unsigned char* name = sqlite3_column_text(stmt, 0);
    shape.columns.push_back(Quote(name ? reinterpret_cast<const char*>(name) : ""));
    shape.primary_key.push_back(sqlite3_column_int(stmt, 1) != 0);
  }
  if (rc != SQLITE_DONE) return Status::IoError(sqlite3_errmsg(db_));
  return &shapes_.emplace(table, std::move(shape)).first->second;
}

StatusOr<sqlite3_stmt*> ChangesetApplier::Statement(int64_t txid, const std::string& sql) {
  sqlite3_stmt* stmt = statements_.Get(sql);
  if (stmt == nullptr) {
    return Status::IoError("apply txid " + std::to_string(txid) + ": " + sqlite3_errmsg(db_));
  }
  return stmt;
}

StatusOr<bool> ChangesetApplier::Fits(const std::string& changeset) {
  sqlite3_changeset_iter* raw = nullptr;
  if (sqlite3changeset_start(&raw, static_cast<int>(changeset.size()),
                             const_cast<char*>(changeset.data())) != SQLITE_OK) {
    return Status::IoError("changeset: " + std::string(sqlite3_errmsg(db_)));
  }
  IterPtr iter(raw);
  while (sqlite3changeset_next(raw) == SQLITE_ROW) {
    // Every change: a changeset may name one table twice, with another shape.
    const Change change = Current(raw);
    StatusOr<const TableShape*> shape = ShapeOf(change.table);
    if (!shape.ok()) return shape.status();
    if (!Matches(**shape, change)) return false;
  }
  if (sqlite3changeset_finalize(iter.release()) != SQLITE_OK) {
    return Status::IoError("changeset: " + std::string(sqlite3_errmsg(db_)));
  }
  return true;
}

Status ChangesetApplier::Apply(int64_t txid, const std::string& changeset) {
  sqlite3_changeset_iter* raw = nullptr;
  if (sqlite3changeset_start(&raw, static_cast<int>(changeset.size()),
                             const_cast<char*>(changeset.data())) != SQLITE_OK) {
    return Status::IoError("apply txid " + std::to_string(txid) + ": " + sqlite3_errmsg(db_));
  }
  IterPtr iter(raw);
  const std::string prefix = "apply txid " + std::to_string(txid) + ": ";
  auto failed = [&] { return Status::IoError(prefix + sqlite3_errmsg(db_)); };
  // A failed bind leaves the parameter NULL and the statement would still
  // run: the committed value would be lost. So every bind is checked (it
  // fails on a value over SQLITE_LIMIT_LENGTH or out of memory).
  auto bind = [&](sqlite3_stmt* stmt, int param, sqlite3_value* value) {
    const int rc = sqlite3_bind_value(stmt, param, value);
    if (rc == SQLITE_OK) return Status::Ok();
    return Status::IoError(prefix + "binding a value: " + sqlite3_errstr(rc));
  };
  while (sqlite3changeset_next(raw) == SQLITE_ROW) {
    const Change change = Current(raw);
    StatusOr<const TableShape*> shape = ShapeOf(change.table);
    if (!shape.ok()) return shape.status();
    const TableShape& table = **shape;
    if (!Matches(table, change)) {
      return Status::Corruption(prefix + "table '" + change.table +
                                "' does not have the shape the change was captured with");
    }
    const std::string name = Quote(change.table);
    // Binds the key columns' values from `which` after `bound` parameters and
    // returns the WHERE clause for them.
    auto key_clause = [&](size_t first_param) {
      std::string where;
      size_t param = first_param;
      for (int i = 0; i < change.columns; ++i) {
        if (!change.pk_flags[i]) continue;
        where += (where.empty() ? " WHERE " : " AND ") + table.columns[static_cast<size_t>(i)] +
                 "=" + Param(param++);
      }
      return where;
    };
    auto bind_keys = [&](sqlite3_stmt* stmt, ValueOf which, int first_param) {
      int param = first_param;
      for (int i = 0; i < change.columns; ++i) {
        if (!change.pk_flags[i]) continue;
        TWOPC_RETURN_IF_ERROR(bind(stmt, param++, Value(raw, which, i)));
      }
      return Status::Ok();
    };
    auto delete_by_key = [&](ValueOf which) -> StatusOr<int> {
      StatusOr<sqlite3_stmt*> stmt = Statement(txid, "DELETE FROM " + name + key_clause(1));
      if (!stmt.ok()) return stmt.status();
      StatementLease lease(*stmt);
      TWOPC_RETURN_IF_ERROR(bind_keys(*stmt, which, 1));
      if (sqlite3_step(*stmt) != SQLITE_DONE) return failed();
      return sqlite3_changes(db_);
    };

    if (change.op == SQLITE_DELETE) {
      StatusOr<int> deleted = delete_by_key(sqlite3changeset_old);
      if (!deleted.ok()) return deleted.status();
      if (*deleted == 0) {
        LOG(WARNING) << "txid " << txid << ": row deleted outside twopc; change skipped";
      }
      continue;
    }
    if (change.op == SQLITE_INSERT) {
      std::string columns, params;
      for (int i = 0; i < change.columns; ++i) {
        columns += (i ? "," : "") + table.columns[static_cast<size_t>(i)];
        params += (i ? "," : "") + Param(static_cast<size_t>(i) + 1);
      }
      StatusOr<sqlite3_stmt*> stmt =
          Statement(txid, "INSERT INTO " + name + "(" + columns + ") VALUES(" + params + ")");
      if (!stmt.ok()) return stmt.status();
      StatementLease lease(*stmt);
      for (int i = 0; i < change.columns; ++i) {
        TWOPC_RETURN_IF_ERROR(bind(*stmt, i + 1, Value(raw, sqlite3changeset_new, i)));
      }
      int rc = sqlite3_step(*stmt);
      const int extended = sqlite3_extended_errcode(db_);
      if (rc != SQLITE_DONE &&
          (extended == SQLITE_CONSTRAINT_PRIMARYKEY || extended == SQLITE_CONSTRAINT_ROWID)) {
        LOG(WARNING) << "txid " << txid << ": row changed outside twopc; the committed value wins";
        sqlite3_reset(*stmt);
        StatusOr<int> deleted = delete_by_key(sqlite3changeset_new);
        if (!deleted.ok()) return deleted.status();
        rc = sqlite3_step(*stmt);
      }
      if (rc != SQLITE_DONE) return failed();
      continue;
    }
    // UPDATE: the new record holds the changed columns only.
    std::string assignments;
    std::vector<int> changed;
    for (int i = 0; i < change.columns; ++i) {
      if (change.pk_flags[i] || Value(raw, sqlite3changeset_new, i) == nullptr) continue;
      changed.push_back(i);
      assignments += (assignments.empty() ? "" : ",") + table.columns[static_cast<size_t>(i)] +
                     "=" + Param(changed.size());
    }
    if (changed.empty()) continue;
    StatusOr<sqlite3_stmt*> stmt =
        Statement(txid, "UPDATE " + name + " SET " + assignments + key_clause(changed.size() + 1));
    if (!stmt.ok()) return stmt.status();
    StatementLease lease(*stmt);
    for (size_t k = 0; k < changed.size(); ++k) {
      TWOPC_RETURN_IF_ERROR(
          bind(*stmt, static_cast<int>(k) + 1, Value(raw, sqlite3changeset_new, changed[k])));
    }
    TWOPC_RETURN_IF_ERROR(
        bind_keys(*stmt, sqlite3changeset_old, static_cast<int>(changed.size()) + 1));
    if (sqlite3_step(*stmt) != SQLITE_DONE) return failed();
    if (sqlite3_changes(db_) == 0) {
      LOG(WARNING) << "txid " << txid << ": row deleted outside twopc; change skipped";
    }
  }
  if (sqlite3changeset_finalize(iter.release()) != SQLITE_OK) return failed();
  return Status::Ok();
}

}  // namespace twopc::participant
