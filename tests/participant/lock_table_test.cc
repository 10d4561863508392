#include "participant/lock_table.h"

#include <gtest/gtest.h>

namespace twopc::participant {
namespace {

TEST(LockTable, FreeKeysAreAllLockedForTheTxid) {
  LockTable locks;
  EXPECT_EQ(locks.TryLockAll(1, WriteLocks({"a", "b"})), std::nullopt);
  EXPECT_EQ(locks.HolderOf("a"), 1);
  EXPECT_EQ(locks.HolderOf("b"), 1);
  EXPECT_EQ(locks.locked_keys(), 2u);
}

TEST(LockTable, UnlockedKeyHasNoHolder) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, WriteLocks({"a"})), std::nullopt);
  EXPECT_EQ(locks.HolderOf("b"), std::nullopt);
}

TEST(LockTable, ConflictingKeyReportsHolderAndLocksNothing) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, WriteLocks({"b"})), std::nullopt);
  EXPECT_EQ(locks.TryLockAll(2, WriteLocks({"a", "b", "c"})), 1);
  EXPECT_EQ(locks.HolderOf("a"), std::nullopt);
  EXPECT_EQ(locks.HolderOf("c"), std::nullopt);
  EXPECT_EQ(locks.HolderOf("b"), 1);
  EXPECT_EQ(locks.locked_keys(), 1u);
}

TEST(LockTable, ReleaseAllFreesEveryKeyOfTheTxidOnly) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, WriteLocks({"a", "b"})), std::nullopt);
  ASSERT_EQ(locks.TryLockAll(2, WriteLocks({"c"})), std::nullopt);
  locks.ReleaseAll(1);
  EXPECT_EQ(locks.HolderOf("a"), std::nullopt);
  EXPECT_EQ(locks.HolderOf("b"), std::nullopt);
  EXPECT_EQ(locks.HolderOf("c"), 2);
  EXPECT_EQ(locks.locked_keys(), 1u);
}

TEST(LockTable, ReleasedKeysCanBeLockedByAnotherTxid) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, WriteLocks({"a"})), std::nullopt);
  locks.ReleaseAll(1);
  EXPECT_EQ(locks.TryLockAll(2, WriteLocks({"a"})), std::nullopt);
  EXPECT_EQ(locks.HolderOf("a"), 2);
}

TEST(LockTable, ReleasingAnUnknownTxidChangesNothing) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, WriteLocks({"a"})), std::nullopt);
  locks.ReleaseAll(7);
  EXPECT_EQ(locks.HolderOf("a"), 1);
}

TEST(LockTable, SameTxidRelocksItsOwnKeysAndAddsNewOnes) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, WriteLocks({"a"})), std::nullopt);
  EXPECT_EQ(locks.TryLockAll(1, WriteLocks({"a", "b"})), std::nullopt);
  EXPECT_EQ(locks.HolderOf("b"), 1);
  EXPECT_EQ(locks.locked_keys(), 2u);
  locks.ReleaseAll(1);
  EXPECT_EQ(locks.locked_keys(), 0u);
}

TEST(LockTable, DuplicateKeysInOneRequestAreLockedOnce) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, WriteLocks({"a", "a"})), std::nullopt);
  EXPECT_EQ(locks.locked_keys(), 1u);
  locks.ReleaseAll(1);
  EXPECT_EQ(locks.locked_keys(), 0u);
}

RowLock Shared(const std::string& key) { return RowLock{key, LockMode::kShared}; }
RowLock Exclusive(const std::string& key) { return RowLock{key, LockMode::kExclusive}; }

TEST(LockTable, ManyTransactionsShareARow) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {Shared("a")}), std::nullopt);
  ASSERT_EQ(locks.TryLockAll(2, {Shared("a")}), std::nullopt);
  EXPECT_EQ(locks.SharersOf("a"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(locks.HolderOf("a"), std::nullopt);
  EXPECT_EQ(locks.locked_keys(), 1u);
  EXPECT_EQ(locks.SharedOnlyRows(), 1u);
}

TEST(LockTable, SharedAndExclusiveConflictBothWays) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {Shared("a")}), std::nullopt);
  EXPECT_EQ(locks.TryLockAll(2, {Exclusive("b"), Exclusive("a")}), 1);
  EXPECT_EQ(locks.HolderOf("b"), std::nullopt);  // all or nothing
  ASSERT_EQ(locks.TryLockAll(3, {Exclusive("c")}), std::nullopt);
  EXPECT_EQ(locks.TryLockAll(4, {Shared("c")}), 3);
  EXPECT_TRUE(locks.SharersOf("c").empty());
}

TEST(LockTable, ALoneSharerMayUpgradeButNotWithOthers) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {Shared("a")}), std::nullopt);
  EXPECT_EQ(locks.TryLockAll(1, {Exclusive("a")}), std::nullopt);
  EXPECT_EQ(locks.HolderOf("a"), 1);
  EXPECT_EQ(locks.SharedOnlyRows(), 0u) << "an upgraded row counts as exclusive";
  EXPECT_EQ(locks.TryLockAll(2, {Shared("a")}), 1);

  ASSERT_EQ(locks.TryLockAll(3, {Shared("b")}), std::nullopt);
  ASSERT_EQ(locks.TryLockAll(4, {Shared("b")}), std::nullopt);
  EXPECT_EQ(locks.TryLockAll(3, {Exclusive("b")}), 4);
}

TEST(LockTable, ReleaseOfOneSharerKeepsTheOthers) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {Shared("a")}), std::nullopt);
  ASSERT_EQ(locks.TryLockAll(2, {Shared("a")}), std::nullopt);
  locks.ReleaseAll(1);
  EXPECT_EQ(locks.SharersOf("a"), (std::vector<int64_t>{2}));
  EXPECT_EQ(locks.TryLockAll(3, {Exclusive("a")}), 2);
  locks.ReleaseAll(2);
  EXPECT_EQ(locks.locked_keys(), 0u);
  EXPECT_EQ(locks.TryLockAll(3, {Exclusive("a")}), std::nullopt);
}

TEST(LockTable, UpgradedRowIsFreeAfterRelease) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {Shared("a")}), std::nullopt);
  ASSERT_EQ(locks.TryLockAll(1, {Exclusive("a")}), std::nullopt);
  locks.ReleaseAll(1);
  EXPECT_EQ(locks.locked_keys(), 0u);
  EXPECT_FALSE(locks.Holds(1));
}

TEST(MergeRowLocks, OneLockPerKeyInTheStrongestMode) {
  EXPECT_EQ(MergeRowLocks({Shared("b"), Exclusive("a"), Shared("a"), Shared("b")}),
            (std::vector<RowLock>{Exclusive("a"), Shared("b")}));
}

}  // namespace
}  // namespace twopc::participant
