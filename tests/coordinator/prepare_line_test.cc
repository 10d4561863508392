#include "coordinator/prepare_line.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace twopc::coordinator {
namespace {

using Clock = PrepareLine::Clock;
using ItemPtr = PrepareLine::ItemPtr;

ItemPtr MakeItem(int64_t txid, std::shared_ptr<PrepareLine::Waiter> waiter,
                 Clock::time_point deadline = Clock::now() + std::chrono::hours(1),
                 size_t sql_bytes = 10) {
  auto item = std::make_shared<PrepareLine::Item>();
  item->request.txid = txid;
  rpc::Statement statement;
  statement.sql.assign(sql_bytes, 'x');
  item->request.statements.push_back(statement);
  item->waiter = std::move(waiter);
  item->deadline = deadline;
  return item;
}

// True if the waiter was woken and not yet told (returns at once either way).
bool Woken(PrepareLine::Waiter& waiter) { return waiter.WaitUntil(Clock::now()); }

TEST(PrepareLineTest, AFreeLineHandsOutEverythingQueuedAndIsBusyUntilFinished) {
  PrepareLine line;
  auto waiter = std::make_shared<PrepareLine::Waiter>();
  line.Enqueue(MakeItem(1, waiter));
  line.Enqueue(MakeItem(2, waiter));
  std::vector<ItemPtr> batch = line.Claim();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0]->request.txid, 1);
  EXPECT_EQ(batch[1]->request.txid, 2);
  line.Enqueue(MakeItem(3, waiter));
  EXPECT_TRUE(line.Claim().empty()) << "one call in flight at a time";
  line.Finish(batch);
  EXPECT_TRUE(batch[0]->done.load());
  std::vector<ItemPtr> next = line.Claim();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0]->request.txid, 3);
}

TEST(PrepareLineTest, FinishWakesTheSentAndTheOldestQueuedButNoOneElse) {
  PrepareLine line;
  auto sent = std::make_shared<PrepareLine::Waiter>();
  auto oldest = std::make_shared<PrepareLine::Waiter>();
  auto younger = std::make_shared<PrepareLine::Waiter>();
  line.Enqueue(MakeItem(1, sent));
  std::vector<ItemPtr> batch = line.Claim();
  line.Enqueue(MakeItem(2, oldest));
  line.Enqueue(MakeItem(3, younger));
  line.Finish(batch);
  EXPECT_TRUE(Woken(*sent));
  EXPECT_TRUE(Woken(*oldest)) << "the oldest queued sends the next call";
  EXPECT_FALSE(Woken(*younger));
}

TEST(PrepareLineTest, ATransactionIsWokenByItsLastAnswerOrOneToSendAgainNotEachAnswer) {
  PrepareLine first_line;
  PrepareLine second_line;
  auto waiter = std::make_shared<PrepareLine::Waiter>();
  first_line.Enqueue(MakeItem(1, waiter));
  second_line.Enqueue(MakeItem(1, waiter));
  std::vector<ItemPtr> first = first_line.Claim();
  std::vector<ItemPtr> second = second_line.Claim();
  first_line.Finish(first);
  EXPECT_FALSE(Woken(*waiter)) << "one of two answers";
  second_line.Finish(second);
  EXPECT_TRUE(Woken(*waiter));

  first_line.Enqueue(MakeItem(2, waiter));
  second_line.Enqueue(MakeItem(2, waiter));
  first = first_line.Claim();
  first[0]->result.try_again = true;
  first_line.Finish(first);
  EXPECT_TRUE(Woken(*waiter)) << "a prepare to send again wakes at once";
}

TEST(PrepareLineTest, ACallTakesAtMostMaxItemsAndMaxBytesButAlwaysOne) {
  PrepareLine line(/*max_items=*/2, /*max_bytes=*/1000);
  auto waiter = std::make_shared<PrepareLine::Waiter>();
  for (int64_t txid = 1; txid <= 3; ++txid) line.Enqueue(MakeItem(txid, waiter));
  std::vector<ItemPtr> batch = line.Claim();
  EXPECT_EQ(batch.size(), 2u);
  line.Finish(batch);
  line.Finish(line.Claim());

  line.Enqueue(MakeItem(4, waiter, Clock::now() + std::chrono::hours(1), 5000));
  line.Enqueue(MakeItem(5, waiter));
  batch = line.Claim();
  ASSERT_EQ(batch.size(), 1u) << "a big prepare travels alone";
  EXPECT_EQ(batch[0]->request.txid, 4);
}

TEST(PrepareLineTest, APrepareWhoseDeadlinePassedIsFinishedAsFailedNotSent) {
  PrepareLine line;
  auto waiter = std::make_shared<PrepareLine::Waiter>();
  auto other = std::make_shared<PrepareLine::Waiter>();
  ItemPtr late = MakeItem(1, waiter, Clock::now() - std::chrono::milliseconds(1));
  line.Enqueue(late);
  line.Enqueue(MakeItem(2, other));
  std::vector<ItemPtr> batch = line.Claim();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0]->request.txid, 2);
  EXPECT_TRUE(late->done.load());
  ASSERT_TRUE(late->failure.has_value());
  EXPECT_TRUE(Woken(*waiter));
}

TEST(PrepareLineTest, CancelWithdrawsAQueuedPrepareAndPassesTheTurnOn) {
  PrepareLine line;
  auto first = std::make_shared<PrepareLine::Waiter>();
  auto second = std::make_shared<PrepareLine::Waiter>();
  ItemPtr in_flight = MakeItem(1, first);
  line.Enqueue(in_flight);
  std::vector<ItemPtr> batch = line.Claim();
  EXPECT_FALSE(line.Cancel(in_flight)) << "in flight: its answer comes anyway";
  line.Finish(batch);
  ASSERT_TRUE(Woken(*first));

  ItemPtr a = MakeItem(2, first);
  ItemPtr b = MakeItem(3, second);
  line.Enqueue(a);
  line.Enqueue(b);
  EXPECT_TRUE(line.Cancel(a));
  EXPECT_TRUE(Woken(*second)) << "now the oldest: it must send";
  EXPECT_EQ(line.queued(), 1u);
}

// Many transactions on one line, each sending whatever is queued when the
// line is free (as Coordinator::PrepareAll does): every prepare is answered,
// calls never overlap, and some carry several prepares.
TEST(PrepareLineTest, ConcurrentTransactionsAreAllAnsweredOneCallAtATime) {
  PrepareLine line;
  std::atomic<int> in_call{0};
  std::atomic<bool> overlapped{false};
  std::atomic<int> calls{0};
  std::atomic<int> answered{0};
  constexpr int kThreads = 8;
  constexpr int kEach = 200;
  auto transaction = [&](int thread) {
    auto waiter = std::make_shared<PrepareLine::Waiter>();
    for (int n = 0; n < kEach; ++n) {
      ItemPtr mine = MakeItem(thread * kEach + n, waiter);
      line.Enqueue(mine);
      while (!mine->done.load(std::memory_order_acquire)) {
        std::vector<ItemPtr> batch = line.Claim();
        if (batch.empty()) {
          waiter->WaitUntil(Clock::now() + std::chrono::seconds(10));
          continue;
        }
        if (in_call.fetch_add(1) != 0) overlapped = true;
        ++calls;
        for (const ItemPtr& item : batch) item->result.vote = rpc::Vote::YES;
        std::this_thread::yield();
        in_call.fetch_sub(1);
        line.Finish(batch);
      }
      if (mine->result.vote == rpc::Vote::YES) ++answered;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(transaction, t);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(answered.load(), kThreads * kEach);
  EXPECT_FALSE(overlapped.load());
  EXPECT_LE(calls.load(), kThreads * kEach);
  EXPECT_EQ(line.queued(), 0u);
}

}  // namespace
}  // namespace twopc::coordinator
