#include "wal/base/recent_txid_map.h"

#include <deque>
#include <random>
#include <unordered_map>

#include <gtest/gtest.h>

namespace twopc {
namespace {

TEST(RecentTxidMap, FindsWhatWasPut) {
  RecentTxidMap<int> map(4);
  map.Put(10, 1);
  map.Put(20, 2);
  ASSERT_NE(map.Find(10), nullptr);
  EXPECT_EQ(*map.Find(10), 1);
  EXPECT_EQ(*map.Find(20), 2);
  EXPECT_EQ(map.Find(30), nullptr);
  EXPECT_EQ(map.size(), 2u);
}

TEST(RecentTxidMap, PutOverwritesWithoutBecomingNewer) {
  RecentTxidMap<int> map(2);
  map.Put(1, 1);
  map.Put(2, 2);
  map.Put(1, 5);  // not a new txid: 1 stays the oldest
  map.Put(3, 3);
  EXPECT_EQ(map.Find(1), nullptr);
  EXPECT_EQ(*map.Find(2), 2);
  EXPECT_EQ(*map.Find(3), 3);
}

TEST(RecentTxidMap, ForgetsTheOldestBeyondCapacity) {
  RecentTxidMap<int> map(3);
  for (int64_t txid = 1; txid <= 10; ++txid) map.Put(txid, static_cast<int>(txid));
  EXPECT_EQ(map.size(), 3u);
  for (int64_t txid = 1; txid <= 7; ++txid) EXPECT_EQ(map.Find(txid), nullptr) << txid;
  for (int64_t txid = 8; txid <= 10; ++txid) EXPECT_EQ(*map.Find(txid), txid);
}

// Random puts of colliding and sequential txids agree with a simple model, so
// removal keeps every remaining entry reachable.
TEST(RecentTxidMap, AgreesWithAModelUnderRandomPuts) {
  const size_t capacity = 64;
  RecentTxidMap<int> map(capacity);
  std::unordered_map<int64_t, int> model;
  std::deque<int64_t> order;
  std::mt19937_64 random(42);
  for (int step = 0; step < 200000; ++step) {
    const int64_t txid = static_cast<int64_t>(random() % 500) << (random() % 2 ? 34 : 0);
    const int value = static_cast<int>(random() % 1000);
    if (model.count(txid) == 0) {
      order.push_back(txid);
      if (order.size() > capacity) {
        model.erase(order.front());
        order.pop_front();
      }
    }
    model[txid] = value;
    map.Put(txid, value);
    if (step % 97 == 0) {
      ASSERT_EQ(map.size(), model.size());
      for (const auto& [known, expected] : model) {
        const int* found = map.Find(known);
        ASSERT_NE(found, nullptr) << "step " << step << " txid " << known;
        ASSERT_EQ(*found, expected);
      }
    }
  }
}

}  // namespace
}  // namespace twopc
