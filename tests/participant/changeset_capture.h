// Capturing changesets in tests: SQL run on a plain connection with a session
// attached to every table.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "participant/sqlite_session.h"

namespace twopc::participant::test {

inline void ExecOn(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "") << " in: " << sql;
  sqlite3_free(error);
}

// Runs sql on db (its changes stay) and returns the changeset of what it did.
inline std::string ChangesetOf(sqlite3* db, const std::string& sql) {
  sqlite3_session* session = nullptr;
  EXPECT_EQ(sqlite3session_create(db, "main", &session), SQLITE_OK);
  EXPECT_EQ(sqlite3session_attach(session, nullptr), SQLITE_OK);
  ExecOn(db, sql);
  int size = 0;
  void* data = nullptr;
  EXPECT_EQ(sqlite3session_changeset(session, &size, &data), SQLITE_OK);
  std::string changeset(static_cast<const char*>(data), static_cast<size_t>(size));
  sqlite3_free(data);
  sqlite3session_delete(session);
  return changeset;
}

}  // namespace twopc::participant::test
