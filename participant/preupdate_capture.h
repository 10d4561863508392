// Records every row change made on a connection, while it lives, into a
// ChangesetBuilder through SQLite's pre-update hook: what the session
// extension does, without its per-session schema reads. Changes to other
// databases than "main" and to SQLite's own tables (sqlite_sequence,
// sqlite_stat1) are not recorded, as a session attached to every table of
// "main" does not record them.
#pragma once

#include "participant/changeset_builder.h"

struct sqlite3;

namespace twopc::participant {

class PreupdateCapture {
 public:
  // Installs the hook on `db` (replacing any other) until destroyed.
  PreupdateCapture(sqlite3* db, ChangesetBuilder* builder);
  ~PreupdateCapture();
  PreupdateCapture(const PreupdateCapture&) = delete;
  PreupdateCapture& operator=(const PreupdateCapture&) = delete;

  // False if SQLite could not hand over a value (out of memory, or a
  // generated column the hook does not show): the builder then misses a
  // change and must not be used.
  bool complete() const { return complete_; }

 private:
  static void OnChange(void* self, sqlite3* db, int op, const char* database, const char* table,
                       long long old_rowid, long long new_rowid);

  sqlite3* const db_;
  ChangesetBuilder* const builder_;
  bool complete_ = true;
};

}  // namespace twopc::participant
