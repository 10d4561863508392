// Group commit for prepares: the prepares of concurrent transactions to one
// participant leave together in one prepare_many call (one round trip and one
// log sync at the participant for all of them). While a call is in flight,
// new prepares queue; the thread of the oldest queued one sends the next call
// when the line is free. No thread of its own: a lone transaction's prepare
// leaves at once, on its own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "coordinator/overlapped_calls.h"
#include "gen-cpp/twopc_types.h"

namespace twopc::coordinator {

class PrepareLine {
 public:
  using Clock = std::chrono::steady_clock;

  // A transaction's thread waits on one of these for all its prepares: it
  // is woken when its turn comes to send, or when the last of its prepares
  // (or one to send again) is answered, not once per answer.
  class Waiter {
   public:
    // `count` more prepares of this transaction are on their way.
    void Expect(int count);
    // One of them is answered; wakes the thread if it was the last or if it
    // must be sent again.
    void Answered(bool send_again);
    void Wake();
    // Returns true once woken since the previous call, false at `deadline`.
    bool WaitUntil(Clock::time_point deadline);

   private:
    std::mutex mu_;
    std::condition_variable cv_;
    uint64_t wakes_ = 0;
    uint64_t seen_ = 0;
    int expected_ = 0;
  };

  struct Item {
    rpc::PrepareRequest request;
    std::shared_ptr<Waiter> waiter;
    Clock::time_point deadline;
    // Set by whoever sent it, before `done`.
    std::optional<CallFailure> failure;
    rpc::PrepareResult result;
    std::atomic<bool> done{false};
  };
  using ItemPtr = std::shared_ptr<Item>;

  // A call takes at most max_items prepares and, past the first, about
  // max_bytes of SQL and parameters (the participant's frame limit is 16 MiB).
  explicit PrepareLine(size_t max_items = 64, size_t max_bytes = 4 << 20)
      : max_items_(max_items == 0 ? 1 : max_items), max_bytes_(max_bytes) {}

  // Queues the item; its waiter now expects its answer.
  void Enqueue(ItemPtr item);
  // When no call is in flight: the queued prepares for the next one (the
  // line is now busy; the caller sends them and calls Finish). Prepares whose
  // deadline passed are finished as failed instead. Empty otherwise.
  std::vector<ItemPtr> Claim(Clock::time_point now = Clock::now());
  // The call is over (each item's result or failure is set): marks the items
  // done, wakes their waiters, frees the line and wakes the waiter of the
  // oldest queued prepare to send the next call.
  void Finish(const std::vector<ItemPtr>& batch);
  // The owner gives up on a queued prepare: true if it was removed, false if
  // it is in flight or done (its result arrives anyway).
  bool Cancel(const ItemPtr& item);

  size_t queued() const;

 private:
  // Wakes the oldest queued prepare's waiter when the line is free.
  std::shared_ptr<Waiter> NextSenderLocked() const;

  const size_t max_items_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::deque<ItemPtr> queue_;
  bool in_flight_ = false;
};

// Roughly how many bytes a prepare puts on the wire.
size_t PrepareBytes(const rpc::PrepareRequest& request);

}  // namespace twopc::coordinator
