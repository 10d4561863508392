#include "participant/changeset_format.h"
#include "tests/participant/changeset_capture.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "participant/changeset_keys.h"
#include "participant/participant_records.h"
#include "participant/sqlite_session.h"

namespace twopc::participant {
namespace {

// Runs work on its own thread. Without the guard, SQLite 3.40.1 never returns
// on some of the inputs below: such a hang ends the test binary with a failure
// instead of stalling the suite (a generous limit, never a timing assertion).
void MustReturn(const std::function<void()>& work) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  std::thread([work, done] {
    work();
    done->set_value();
  }).detach();
  if (finished.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    std::fprintf(stderr, "FAILED: SQLite did not return on a malformed changeset\n");
    std::_Exit(1);
  }
}

class ChangesetFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    Exec(
        "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER);"
        "CREATE TABLE kinds(a TEXT NOT NULL, b BLOB NOT NULL, r REAL, n, PRIMARY KEY (a, b));"
        "INSERT INTO accounts VALUES (1, 100), (2, 50);"
        "INSERT INTO kinds VALUES ('x', X'00ff', 1.5, NULL);");
  }
  void TearDown() override { sqlite3_close(db_); }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "") << " in: " << sql;
    sqlite3_free(error);
  }

  std::string ChangesetOf(const std::string& sql) { return test::ChangesetOf(db_, sql); }

  // Inserts, updates and deletes in two tables, every value type.
  std::string Mixed() {
    return ChangesetOf(
        "UPDATE accounts SET balance = 0 WHERE id = 1;"
        "DELETE FROM accounts WHERE id = 2;"
        "INSERT INTO accounts VALUES (3, 7);"
        "INSERT INTO kinds VALUES ('long text value', X'0102030405', -2.25, 'any');"
        "UPDATE kinds SET r = NULL, n = X'aa' WHERE a = 'x'");
  }

  sqlite3* db_ = nullptr;
};

TEST_F(ChangesetFormatTest, AcceptsWhatSqliteWrites) {
  const std::string changeset = Mixed();
  ASSERT_FALSE(changeset.empty());
  EXPECT_TRUE(ValidateChangeset(changeset).ok()) << ValidateChangeset(changeset).ToString();
  EXPECT_TRUE(ValidateChangeset("").ok());
  EXPECT_TRUE(ValidateChangeset(changeset + changeset).ok());
}

TEST_F(ChangesetFormatTest, TruncatedInsideTheTableNameIsRefused) {
  const std::string changeset = ChangesetOf("UPDATE accounts SET balance = 1 WHERE id = 1");
  // 'T', column count 2, two primary-key flags, then "accounts\0".
  const size_t name_at = changeset.find("accounts");
  ASSERT_NE(name_at, std::string::npos);
  const std::string cut = changeset.substr(0, name_at + 3);
  Status status = ValidateChangeset(cut);
  EXPECT_TRUE(status.IsCorruption());
  EXPECT_NE(status.message().find("table name is not terminated"), std::string::npos)
      << status.ToString();
  MustReturn([&] {
    EXPECT_TRUE(ChangesetKeys(cut).status().IsCorruption());
    EXPECT_TRUE(ChangesetSize(cut).status().IsCorruption());
  });
}

TEST_F(ChangesetFormatTest, EveryTruncationIsRefusedOrIsAWholeChange) {
  const std::string changeset = Mixed();
  StatusOr<size_t> total = ChangesetSize(changeset);
  ASSERT_TRUE(total.ok()) << total.status().ToString();
  size_t accepted = 0;
  MustReturn([&] {
    for (size_t n = 0; n < changeset.size(); ++n) {
      const std::string cut = changeset.substr(0, n);
      const bool valid = ValidateChangeset(cut).ok();
      StatusOr<size_t> size = ChangesetSize(cut);
      if (!valid) {
        EXPECT_TRUE(size.status().IsCorruption()) << "prefix of " << n << " bytes";
        continue;
      }
      // Cut exactly between changes (or after a table header): SQLite reads it whole.
      ++accepted;
      ASSERT_TRUE(size.ok()) << "prefix of " << n << " bytes: " << size.status().ToString();
      EXPECT_LT(*size, *total);
    }
  });
  EXPECT_GT(accepted, 0u);
  EXPECT_LT(accepted, changeset.size() / 4) << "the guard accepts most truncations";
}

TEST_F(ChangesetFormatTest, RefusesEachKindOfDamage) {
  const std::string good = ChangesetOf("UPDATE accounts SET balance = 1 WHERE id = 1");
  ASSERT_EQ(good[0], 'T');
  struct Case {
    std::string bytes;
    std::string reason;
  };
  std::string patchset = good;
  patchset[0] = 'P';
  std::string bad_op = good;
  const size_t op_at = good.find("accounts") + 9;  // the first change follows the name
  bad_op[op_at] = 1;
  std::string bad_type = good;
  bad_type[op_at + 2] = 9;
  const Case cases[] = {
      {std::string("T"), "column count"},
      {std::string("T\x00", 2) + "t" + std::string(1, '\0'), "0 columns"},
      {std::string("T\x85\x80\x80\x80\x01", 6), "columns"},
      {std::string("T\x03\x01", 3), "primary-key flags"},
      {std::string("\x17\x00", 2), "before any table header"},
      {patchset, "patchset"},
      {bad_op, "unknown change type"},
      {bad_type, "unknown value type"},
      {good.substr(0, op_at + 1), "indirect flag"},
      {good.substr(0, op_at + 5), "number runs past the end"},
      {good + std::string("\x12\x00\x03\x7f", 4), "runs past the end"},
      {good + std::string("\x12\x00\x01", 3), "number runs past the end"},
  };
  for (const Case& c : cases) {
    Status status = ValidateChangeset(c.bytes);
    EXPECT_TRUE(status.IsCorruption()) << c.reason;
    EXPECT_NE(status.message().find(c.reason), std::string::npos)
        << "expected '" << c.reason << "' in " << status.ToString();
  }
}

// SQLite 3.40.1 dereferences a null value in sqlite3changeset_apply() on
// these (found by changeset_fuzzer; tests/fuzz/corpus/changeset_fuzzer/
// regression-apply-undefined-value).
TEST_F(ChangesetFormatTest, ChangeMissingAValueSqliteNeedsIsRefused) {
  const std::string insert = ChangesetOf("INSERT INTO accounts VALUES (9, 5)");
  const size_t insert_at = insert.find("accounts") + 9;
  // op, indirect, (INTEGER 9), (INTEGER 5): make the balance undefined.
  ASSERT_EQ(insert.size(), insert_at + 2 + 9 + 9);
  const std::string insert_undefined = insert.substr(0, insert_at + 2 + 9) + std::string(1, '\0');
  EXPECT_NE(ValidateChangeset(insert_undefined).message().find("INSERT with an undefined"),
            std::string::npos)
      << ValidateChangeset(insert_undefined).ToString();

  const std::string update = ChangesetOf("UPDATE accounts SET balance = 6 WHERE id = 1");
  const size_t update_at = update.find("accounts") + 9;
  // op, indirect, old (INTEGER 1, INTEGER 100), new (undefined, INTEGER 6).
  ASSERT_EQ(update[update_at + 2], '\x01');
  std::string update_no_key = update;
  update_no_key.replace(update_at + 2, 9, std::string(1, '\0'));
  EXPECT_NE(ValidateChangeset(update_no_key).message().find("UPDATE with an undefined"),
            std::string::npos)
      << ValidateChangeset(update_no_key).ToString();
  std::string update_old_only = update;
  update_old_only.replace(update_at + 2 + 18 + 1, 9, std::string(1, '\0'));
  EXPECT_TRUE(ValidateChangeset(update_old_only).IsCorruption());

  const std::string deleted = ChangesetOf("DELETE FROM accounts WHERE id = 2");
  const size_t delete_at = deleted.find("accounts") + 9;
  const std::string delete_undefined =
      deleted.substr(0, delete_at + 2) + std::string(1, '\0') + deleted.substr(delete_at + 2 + 9);
  EXPECT_TRUE(ValidateChangeset(delete_undefined).IsCorruption());
}

TEST_F(ChangesetFormatTest, PreparedRecordWithATruncatedChangesetIsCorruption) {
  const std::string changeset = ChangesetOf("UPDATE accounts SET balance = 1 WHERE id = 1");
  const std::string cut = changeset.substr(0, changeset.find("accounts") + 2);
  StatusOr<PreparedRecord> whole =
      DecodePrepared(EncodePrepared(PreparedRecord{7, 1, "c:1", changeset, {}}));
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  StatusOr<PreparedRecord> decoded =
      DecodePrepared(EncodePrepared(PreparedRecord{7, 1, "c:1", cut, {}}));
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.status().IsCorruption());
  EXPECT_NE(decoded.status().message().find("table name is not terminated"), std::string::npos)
      << decoded.status().ToString();
}

}  // namespace
}  // namespace twopc::participant
