// A structural check of a SQLite changeset before SQLite sees it.
//
// Debian's SQLite 3.40.1 never returns from sqlite3changeset_next() (and so
// from sqlite3changeset_apply()) when a changeset ends inside a table header:
// it waits for more input that a buffer-backed iterator can never get. And
// sqlite3changeset_apply() dereferences a null pointer on a change that lacks
// a value it needs (found by tests/fuzz/changeset_fuzzer). The WAL's CRC keeps
// torn bytes away, but a changeset from the log is still input, so every one
// is checked here before it is iterated or applied.
#pragma once

#include <string_view>

#include "wal/base/status.h"

namespace twopc::participant {

// OK when `changeset` is a well-formed changeset as sqlite3session_changeset()
// writes it: table headers ('T', column count, primary-key flags, table name
// ending in NUL) each followed by changes (INSERT, UPDATE or DELETE, the
// indirect flag, then one record of values, two for an UPDATE), every length
// inside the buffer, and every value present that SQLite needs to apply the
// change (it crashes on some that are missing). Empty is well-formed.
// Patchsets are refused (never written here). Otherwise Corruption naming the
// offset. Pure; no SQLite.
Status ValidateChangeset(std::string_view changeset);

}  // namespace twopc::participant
