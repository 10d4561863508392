#include "coordinator/core/txid_allocator.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace twopc::coordinator {
namespace {

std::vector<int64_t> Take(TxidAllocator* allocator, int count) {
  std::vector<int64_t> txids;
  for (int i = 0; i < count; ++i) txids.push_back(allocator->Next());
  return txids;
}

TEST(TxidAllocator, TxidsArePositiveAndStrictlyIncreasing) {
  TxidAllocator allocator(1);
  const std::vector<int64_t> txids = Take(&allocator, 1000);
  EXPECT_GT(txids.front(), 0);
  for (size_t i = 1; i < txids.size(); ++i) EXPECT_LT(txids[i - 1], txids[i]);
}

TEST(TxidAllocator, TxidsCarryTheirEpochInTheHighBits) {
  TxidAllocator allocator(77);
  EXPECT_EQ(allocator.epoch(), 77u);
  for (int64_t txid : Take(&allocator, 10)) {
    EXPECT_EQ(TxidAllocator::EpochOf(txid), 77u);
    EXPECT_EQ(static_cast<uint64_t>(txid) >> TxidAllocator::kSequenceBits, 77u);
  }
}

TEST(TxidAllocator, EpochZeroNeverGivesTxidZero) {
  TxidAllocator allocator(0);
  EXPECT_GT(allocator.Next(), 0);
}

TEST(TxidAllocator, DifferentEpochsNeverCollideAndLaterEpochsSortAfter) {
  TxidAllocator first(1);
  TxidAllocator second(2);
  const std::vector<int64_t> old_txids = Take(&first, 1000);
  const std::vector<int64_t> new_txids = Take(&second, 1000);
  std::set<int64_t> all(old_txids.begin(), old_txids.end());
  all.insert(new_txids.begin(), new_txids.end());
  EXPECT_EQ(all.size(), 2000u);
  EXPECT_LT(old_txids.back(), new_txids.front());
}

TEST(TxidAllocator, LargestEpochStillGivesPositiveTxids) {
  TxidAllocator allocator(TxidAllocator::kMaxEpoch);
  const int64_t txid = allocator.Next();
  EXPECT_GT(txid, 0);
  EXPECT_EQ(TxidAllocator::EpochOf(txid), TxidAllocator::kMaxEpoch);
}

TEST(TxidAllocator, ConcurrentCallersGetDistinctTxids) {
  TxidAllocator allocator(3);
  std::vector<std::vector<int64_t>> taken(4);
  std::vector<std::thread> threads;
  for (auto& out : taken)
    threads.emplace_back([&allocator, &out] { out = Take(&allocator, 5000); });
  for (std::thread& thread : threads) thread.join();
  std::set<int64_t> all;
  for (const auto& out : taken) all.insert(out.begin(), out.end());
  EXPECT_EQ(all.size(), 20000u);
}

}  // namespace
}  // namespace twopc::coordinator
