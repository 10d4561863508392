// Delivers commit decisions to one participant in batches. A queued commit
// preferably rides on the next prepare sent to that participant (Take), which
// costs neither an RPC nor a log sync of its own; one that finds no prepare
// within `linger` leaves with every other queued commit in one commit_many
// call. One thread per participant.
#pragma once

#include <chrono>
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

  // A commit queued while nothing else is, and taken by no prepare.
  struct Pending {
    int64_t txid;
    Done done;
  };

  CommitCourier(ParticipantPool* pool, int64_t rpc_timeout_ms, std::chrono::microseconds linger,
                size_t max_batch = 256);
  // Stops; commits still queued are dropped without a call to their Done (the
  // decision log delivers them again after a restart).
  ~CommitCourier();
  CommitCourier(const CommitCourier&) = delete;
  CommitCourier& operator=(const CommitCourier&) = delete;

  void Send(int64_t txid, Done done);
  void Stop();

  // Up to `max` queued commits, oldest first, for a prepare to carry. The
  // caller must Complete them.
  std::vector<Pending> Take(size_t max);
  // Calls every pending's Done: with its ack from `acks` (the answers, in
  // order), or with `failure` when the call carrying them failed.
  static void Complete(std::vector<Pending>& pending, const std::vector<rpc::CommitAck>& acks,
                       const std::optional<CallFailure>& failure);

 private:
  void Run();
  // One commit_many for the batch, then its Done calls.
  void Deliver(std::vector<Pending>& batch);

  ParticipantPool* const pool_;
  const int64_t rpc_timeout_ms_;
  const std::chrono::microseconds linger_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable queued_cv_;
  std::deque<Pending> queue_;
  std::deque<std::chrono::steady_clock::time_point> queued_at_;  // parallel to queue_
  // The courier waits for a Send only after a quiet spell; otherwise it looks
  // every `linger` by itself, so that a busy Send path wakes no thread.
  bool sleeping_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace twopc::coordinator
