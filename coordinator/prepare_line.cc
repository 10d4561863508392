#include "coordinator/prepare_line.h"

#include <algorithm>

namespace twopc::coordinator {

void PrepareLine::Waiter::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wakes_;
  }
  cv_.notify_one();
}

void PrepareLine::Waiter::Expect(int count) {
  std::lock_guard<std::mutex> lock(mu_);
  expected_ += count;
}

void PrepareLine::Waiter::Answered(bool send_again) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (--expected_ > 0 && !send_again) return;
    ++wakes_;
  }
  cv_.notify_one();
}

bool PrepareLine::Waiter::WaitUntil(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool woken = cv_.wait_until(lock, deadline, [this] { return wakes_ != seen_; });
  seen_ = wakes_;
  return woken;
}

size_t PrepareBytes(const rpc::PrepareRequest& request) {
  size_t bytes = 16;
  for (const rpc::Statement& statement : request.statements) {
    bytes += statement.sql.size() + 8;
    for (const rpc::Value& value : statement.params) {
      bytes += 16 + value.text_value.size() + value.blob_value.size();
    }
  }
  return bytes;
}

void PrepareLine::Enqueue(ItemPtr item) {
  item->waiter->Expect(1);
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(std::move(item));
}

std::vector<PrepareLine::ItemPtr> PrepareLine::Claim(Clock::time_point now) {
  std::vector<ItemPtr> batch;
  std::vector<ItemPtr> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_flight_) return batch;
    size_t bytes = 0;
    while (!queue_.empty() && batch.size() < max_items_) {
      ItemPtr& next = queue_.front();
      if (next->deadline <= now) {
        expired.push_back(std::move(next));
        queue_.pop_front();
        continue;
      }
      const size_t size = PrepareBytes(next->request);
      if (!batch.empty() && bytes + size > max_bytes_) break;
      bytes += size;
      batch.push_back(std::move(next));
      queue_.pop_front();
    }
    in_flight_ = !batch.empty();
  }
  for (const ItemPtr& item : expired) {
    item->failure = CallFailure{false, rpc::ErrorCode::INTERNAL, "not sent before its deadline"};
    item->done.store(true, std::memory_order_release);
    item->waiter->Answered(false);
  }
  return batch;
}

void PrepareLine::Finish(const std::vector<ItemPtr>& batch) {
  for (const ItemPtr& item : batch) {
    const bool send_again = !item->failure && item->result.try_again;
    item->done.store(true, std::memory_order_release);
    item->waiter->Answered(send_again);
  }
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_ = false;
    next = NextSenderLocked();
  }
  if (next) next->Wake();
}

bool PrepareLine::Cancel(const ItemPtr& item) {
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find(queue_.begin(), queue_.end(), item);
    if (it == queue_.end()) return false;
    item->waiter->Expect(-1);
    const bool was_first = it == queue_.begin();
    queue_.erase(it);
    // The oldest prepare's thread was the one to send the next call.
    if (was_first) next = NextSenderLocked();
  }
  if (next) next->Wake();
  return true;
}

std::shared_ptr<PrepareLine::Waiter> PrepareLine::NextSenderLocked() const {
  if (in_flight_ || queue_.empty()) return nullptr;
  return queue_.front()->waiter;
}

size_t PrepareLine::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace twopc::coordinator
