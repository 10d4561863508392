#include "participant/preupdate_capture.h"

#include <cstring>
#include <utility>

#include "participant/sqlite_session.h"

namespace twopc::participant {
namespace {

// Copies the value into the row image; false if SQLite could not give it.
bool Append(sqlite3* db, int rc, sqlite3_value* value, RowImage* row) {
  if (rc != SQLITE_OK || value == nullptr) return false;
  switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER:
      row->AppendInteger(sqlite3_value_int64(value));
      return true;
    case SQLITE_FLOAT:
      row->AppendReal(sqlite3_value_double(value));
      return true;
    case SQLITE_TEXT: {
      const unsigned char* text = sqlite3_value_text(value);
      if (text == nullptr && sqlite3_errcode(db) == SQLITE_NOMEM) return false;
      row->AppendText(reinterpret_cast<const char*>(text),
                      static_cast<size_t>(sqlite3_value_bytes(value)));
      return true;
    }
    case SQLITE_BLOB: {
      const void* blob = sqlite3_value_blob(value);
      const int size = sqlite3_value_bytes(value);
      if (blob == nullptr && size > 0) return false;
      row->AppendBlob(blob, static_cast<size_t>(size));
      return true;
    }
    default:
      row->AppendNull();
      return true;
  }
}

}  // namespace

PreupdateCapture::PreupdateCapture(sqlite3* db, ChangesetBuilder* builder)
    : db_(db), builder_(builder) {
  sqlite3_preupdate_hook(db_, &PreupdateCapture::OnChange, this);
}

PreupdateCapture::~PreupdateCapture() { sqlite3_preupdate_hook(db_, nullptr, nullptr); }

void PreupdateCapture::OnChange(void* context, sqlite3* db, int op, const char* database,
                                const char* table, long long /*old_rowid*/,
                                long long /*new_rowid*/) {
  auto* self = static_cast<PreupdateCapture*>(context);
  if (!self->complete_) return;
  if (std::strcmp(database, "main") != 0) return;
  if (sqlite3_strnicmp(table, "sqlite_", 7) == 0) return;
  const int columns = sqlite3_preupdate_count(db);
  RowImage before;
  RowImage after;
  for (int i = 0; i < columns && self->complete_; ++i) {
    sqlite3_value* value = nullptr;
    if (op != SQLITE_INSERT) {
      const int rc = sqlite3_preupdate_old(db, i, &value);
      self->complete_ = Append(db, rc, value, &before);
    }
    if (op != SQLITE_DELETE && self->complete_) {
      const int rc = sqlite3_preupdate_new(db, i, &value);
      self->complete_ = Append(db, rc, value, &after);
    }
  }
  if (!self->complete_) return;
  self->builder_->Record(table, op, sqlite3_preupdate_depth(db) > 0, std::move(before),
                         std::move(after));
}

}  // namespace twopc::participant
