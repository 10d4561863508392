#include "participant/commit_batcher.h"

#include <algorithm>

namespace twopc::participant {

std::vector<Status> CommitBatcher::ApplyMany(const std::vector<SqliteStore::Committed>& items,
                                             bool sync, uint64_t* durable_at) {
  std::vector<Request> requests(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    requests[i].item = items[i];
    requests[i].sync = sync;
  }
  ApplyAll(requests);
  std::vector<Status> statuses;
  statuses.reserve(requests.size());
  uint64_t latest = 0;
  for (Request& request : requests) {
    statuses.push_back(std::move(request.status));
    latest = std::max(latest, request.durable_at);
  }
  if (durable_at != nullptr) *durable_at = latest;
  return statuses;
}

void CommitBatcher::ApplyAll(std::vector<Request>& requests) {
  std::unique_lock<std::mutex> lock(mu_);
  for (Request& request : requests) queue_.push_back(&request);
  auto all_done = [&] {
    for (const Request& request : requests) {
      if (!request.done) return false;
    }
    return true;
  };
  while (!all_done()) {
    if (leader_active_) {
      done_cv_.wait(lock);
      continue;
    }
    leader_active_ = true;
    std::vector<Request*> batch;
    batch.swap(queue_);
    lock.unlock();
    RunBatch(batch);
    lock.lock();
    for (Request* r : batch) r->done = true;
    ++batches_;
    leader_active_ = false;
    // Notified with the mutex free, so the woken do not block on it at once.
    lock.unlock();
    done_cv_.notify_all();
    lock.lock();
  }
}

void CommitBatcher::RunBatch(std::vector<Request*>& batch) {
  std::vector<SqliteStore::Committed> items;
  items.reserve(batch.size());
  for (Request* r : batch) items.push_back(r->item);
  Status status = store_->ApplyCommitted(items);
  std::vector<int64_t> applied;
  if (status.ok()) {
    for (Request* r : batch) applied.push_back(r->item.txid);
  } else {
    // One bad changeset must not hold back the others: apply one by one.
    for (Request* r : batch) {
      r->status = store_->ApplyCommitted({r->item});
      if (r->status.ok()) applied.push_back(r->item.txid);
    }
  }
  if (applied.empty()) return;
  bool sync = false;
  for (Request* r : batch) sync = sync || r->sync;
  // after_batch logs the batch (durably if anyone asked); if it cannot, no
  // request succeeded.
  StatusOr<uint64_t> logged = after_batch_(applied, sync);
  for (Request* r : batch) {
    if (!r->status.ok()) continue;
    if (logged.ok()) {
      r->durable_at = *logged;
    } else {
      r->status = logged.status();
    }
  }
}

uint64_t CommitBatcher::batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_;
}

}  // namespace twopc::participant
