#include "participant/commit_batcher.h"

namespace twopc::participant {

Status CommitBatcher::Apply(int64_t txid, const std::string* changeset) {
  Request request;
  request.item = SqliteStore::Committed{txid, changeset};
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&request);
  while (!request.done) {
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
    done_cv_.notify_all();
  }
  return request.status;
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
  // after_batch makes the batch durable; if it cannot, no request succeeded.
  Status durable = after_batch_(applied);
  if (!durable.ok()) {
    for (Request* r : batch) {
      if (r->status.ok()) r->status = durable;
    }
  }
}

uint64_t CommitBatcher::batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_;
}

}  // namespace twopc::participant
