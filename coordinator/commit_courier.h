// Delivers commit decisions to one participant in batches. Commits queued
// while a batch is on the wire leave together in the next commit_many call, so
// at load one RPC and one participant log sync carry many decisions; when idle
// a commit leaves at once. One thread per participant.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "coordinator/overlapped_calls.h"
#include "coordinator/participant_pool.h"

namespace twopc::coordinator {

class CommitCourier {
 public:
  // Called once per queued txid, on the courier's thread: nullopt when the
  // participant acknowledged, else why not.
  using Done = std::function<void(const std::optional<CallFailure>& failure)>;

  CommitCourier(ParticipantPool* pool, int64_t rpc_timeout_ms, size_t max_batch = 256);
  // Stops; commits still queued are dropped without a call to their Done (the
  // decision log delivers them again after a restart).
  ~CommitCourier();
  CommitCourier(const CommitCourier&) = delete;
  CommitCourier& operator=(const CommitCourier&) = delete;

  void Send(int64_t txid, Done done);
  void Stop();

 private:
  struct Item {
    int64_t txid;
    Done done;
  };
  void Run();
  // One commit_many for the batch; the failure of each item, if any.
  std::vector<std::optional<CallFailure>> Deliver(const std::vector<Item>& batch);

  ParticipantPool* const pool_;
  const int64_t rpc_timeout_ms_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable queued_cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace twopc::coordinator
