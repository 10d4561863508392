// Group commit of committed changesets into the database: concurrent commit
// requests are applied in one SQLite transaction and one sync. The first
// caller to find no batch running becomes the leader and applies everything
// queued; the others wait for it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "participant/sqlite_store.h"
#include "wal/base/status.h"

namespace twopc::participant {

class CommitBatcher {
 public:
  // `after_batch` runs on the leader once a batch is applied; it logs the
  // batch's outcome and, when `sync`, makes it durable. It returns the log
  // position that must be durable for the batch to be. If it fails, every
  // request of the batch fails.
  using AfterBatch =
      std::function<StatusOr<uint64_t>(const std::vector<int64_t>& txids, bool sync)>;
  CommitBatcher(SqliteStore* store, AfterBatch after_batch)
      : store_(store), after_batch_(std::move(after_batch)) {}

  // Returns once every item's changes are in the database and made durable
  // (they join one batch unless a batch is running); one status per item, in
  // order. With sync=false the outcome is logged but not necessarily durable
  // yet: the caller must sync the log through *durable_at before anyone
  // relies on it.
  std::vector<Status> ApplyMany(const std::vector<SqliteStore::Committed>& items, bool sync = true,
                                uint64_t* durable_at = nullptr);

  uint64_t batches() const;

 private:
  struct Request {
    SqliteStore::Committed item{0, nullptr};
    bool sync = true;
    bool done = false;
    Status status;
    uint64_t durable_at = 0;
  };
  // Queues `requests` and returns when all are done, leading batches while
  // no other caller does.
  void ApplyAll(std::vector<Request>& requests);
  void RunBatch(std::vector<Request*>& batch);

  SqliteStore* store_;
  AfterBatch after_batch_;
  mutable std::mutex mu_;
  std::condition_variable done_cv_;
  std::vector<Request*> queue_;
  bool leader_active_ = false;
  uint64_t batches_ = 0;
};

}  // namespace twopc::participant
