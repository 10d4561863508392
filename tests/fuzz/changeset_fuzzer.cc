// Fuzzes the changeset guard and everything behind it: arbitrary bytes as a
// changeset go to ValidateChangeset, ChangesetKeys/ChangesetSize (the lock
// keys of a recovered transaction) and SqliteStore::ApplyCommitted (a commit
// or a replay) on a real database. Checked: nothing crashes or hangs (SQLite
// 3.40.1 hangs on some malformed changesets: libFuzzer's -timeout catches a
// hole in the guard); the parsers refuse what the guard refuses.
#include <glog/logging.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "participant/changeset_format.h"
#include "participant/changeset_keys.h"
#include "participant/sqlite_store.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_database.h"
#include "tests/fuzz/fuzz_temp_dir.h"

namespace {

namespace p = twopc::participant;

void Check(bool condition, const char* what) {
  twopc::fuzz::Check(condition, "changeset_fuzzer", what);
}

p::SqliteStore* Store() {
  static p::SqliteStore* store = [] {
    const std::string path = twopc::fuzz::FuzzTempDir() + "/changeset.db";
    twopc::fuzz::CreateDatabase(path, twopc::fuzz::kFuzzSchema);
    std::unique_ptr<p::SqliteStore> opened;
    Check(p::SqliteStore::Open({path, false, 5000}, &opened).ok(), "open the database");
    return opened.release();
  }();
  return store;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  FLAGS_minloglevel = 3;  // conflicts are logged as warnings: expected here
  Store();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string changeset(reinterpret_cast<const char*>(data), size);
  const twopc::Status valid = p::ValidateChangeset(changeset);
  auto keys = p::ChangesetKeys(changeset);
  auto count = p::ChangesetSize(changeset);
  Check(keys.ok() == count.ok(), "keys and size agree on a changeset's validity");
  if (!valid.ok()) {
    Check(valid.IsCorruption(), "the guard fails only with Corruption");
    Check(!keys.ok(), "ChangesetKeys refuses what the guard refuses");
  }

  static int64_t txid = 0;
  ++txid;
  const twopc::Status applied = Store()->ApplyCommitted({{txid, &changeset}});
  if (!valid.ok()) Check(!applied.ok(), "ApplyCommitted refuses what the guard refuses");
  if (txid % 4096 == 0) {  // keep the bookkeeping table small
    (void)Store()->PruneApplied(std::numeric_limits<int64_t>::max());
  }
  return 0;
}
