#include "participant/lock_table.h"

#include <gtest/gtest.h>

namespace twopc::participant {
namespace {

TEST(LockTable, FreeKeysAreAllLockedForTheTxid) {
  LockTable locks;
  EXPECT_EQ(locks.TryLockAll(1, {"a", "b"}), std::nullopt);
  EXPECT_EQ(locks.HolderOf("a"), 1);
  EXPECT_EQ(locks.HolderOf("b"), 1);
  EXPECT_EQ(locks.locked_keys(), 2u);
}

TEST(LockTable, UnlockedKeyHasNoHolder) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {"a"}), std::nullopt);
  EXPECT_EQ(locks.HolderOf("b"), std::nullopt);
}

TEST(LockTable, ConflictingKeyReportsHolderAndLocksNothing) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {"b"}), std::nullopt);
  EXPECT_EQ(locks.TryLockAll(2, {"a", "b", "c"}), 1);
  EXPECT_EQ(locks.HolderOf("a"), std::nullopt);
  EXPECT_EQ(locks.HolderOf("c"), std::nullopt);
  EXPECT_EQ(locks.HolderOf("b"), 1);
  EXPECT_EQ(locks.locked_keys(), 1u);
}

TEST(LockTable, ReleaseAllFreesEveryKeyOfTheTxidOnly) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {"a", "b"}), std::nullopt);
  ASSERT_EQ(locks.TryLockAll(2, {"c"}), std::nullopt);
  locks.ReleaseAll(1);
  EXPECT_EQ(locks.HolderOf("a"), std::nullopt);
  EXPECT_EQ(locks.HolderOf("b"), std::nullopt);
  EXPECT_EQ(locks.HolderOf("c"), 2);
  EXPECT_EQ(locks.locked_keys(), 1u);
}

TEST(LockTable, ReleasedKeysCanBeLockedByAnotherTxid) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {"a"}), std::nullopt);
  locks.ReleaseAll(1);
  EXPECT_EQ(locks.TryLockAll(2, {"a"}), std::nullopt);
  EXPECT_EQ(locks.HolderOf("a"), 2);
}

TEST(LockTable, ReleasingAnUnknownTxidChangesNothing) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {"a"}), std::nullopt);
  locks.ReleaseAll(7);
  EXPECT_EQ(locks.HolderOf("a"), 1);
}

TEST(LockTable, SameTxidRelocksItsOwnKeysAndAddsNewOnes) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {"a"}), std::nullopt);
  EXPECT_EQ(locks.TryLockAll(1, {"a", "b"}), std::nullopt);
  EXPECT_EQ(locks.HolderOf("b"), 1);
  EXPECT_EQ(locks.locked_keys(), 2u);
  locks.ReleaseAll(1);
  EXPECT_EQ(locks.locked_keys(), 0u);
}

TEST(LockTable, DuplicateKeysInOneRequestAreLockedOnce) {
  LockTable locks;
  ASSERT_EQ(locks.TryLockAll(1, {"a", "a"}), std::nullopt);
  EXPECT_EQ(locks.locked_keys(), 1u);
  locks.ReleaseAll(1);
  EXPECT_EQ(locks.locked_keys(), 0u);
}

}  // namespace
}  // namespace twopc::participant
