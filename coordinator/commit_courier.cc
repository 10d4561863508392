#include "coordinator/commit_courier.h"

#include <utility>

#include <thrift/Thrift.h>

namespace twopc::coordinator {

CommitCourier::CommitCourier(ParticipantPool* pool, int64_t rpc_timeout_ms,
                             std::chrono::microseconds linger, size_t max_batch)
    : pool_(pool),
      rpc_timeout_ms_(rpc_timeout_ms),
      linger_(linger),
      max_batch_(max_batch == 0 ? 1 : max_batch) {
  thread_ = std::thread([this] { Run(); });
}

CommitCourier::~CommitCourier() { Stop(); }

void CommitCourier::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  queued_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CommitCourier::Send(int64_t txid, Done done) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(Pending{txid, std::move(done)});
    queued_at_.push_back(std::chrono::steady_clock::now());
    wake = sleeping_ || queue_.size() == max_batch_;
  }
  if (wake) queued_cv_.notify_one();
}

std::vector<CommitCourier::Pending> CommitCourier::Take(size_t max) {
  std::vector<Pending> taken;
  std::lock_guard<std::mutex> lock(mu_);
  while (!queue_.empty() && taken.size() < max) {
    taken.push_back(std::move(queue_.front()));
    queue_.pop_front();
    queued_at_.pop_front();
  }
  return taken;
}

// Empty looks before the courier sleeps until the next Send.
constexpr int kQuietLooksBeforeSleep = 64;

void CommitCourier::Run() {
  std::vector<Pending> batch;
  std::unique_lock<std::mutex> lock(mu_);
  int quiet_looks = 0;
  while (true) {
    if (stopping_) return;
    if (queue_.empty()) {
      if (quiet_looks < kQuietLooksBeforeSleep) {
        // Under load prepares carry most commits: look again in a while
        // rather than be woken by every Send.
        ++quiet_looks;
        queued_cv_.wait_for(lock, linger_, [this] { return stopping_; });
        continue;
      }
      sleeping_ = true;
      queued_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      sleeping_ = false;
      continue;
    }
    quiet_looks = 0;
    // Give a prepare the chance to carry the oldest commit; leave when it has
    // waited `linger`, or when a full batch is queued.
    const auto due = queued_at_.front() + linger_;
    if (queue_.size() < max_batch_ && std::chrono::steady_clock::now() < due) {
      queued_cv_.wait_until(lock, due, [this] { return stopping_ || queue_.size() >= max_batch_; });
      continue;  // re-check: prepares may have taken everything meanwhile
    }
    batch.clear();
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
      queued_at_.pop_front();
    }
    lock.unlock();
    Deliver(batch);
    lock.lock();
  }
}

void CommitCourier::Deliver(std::vector<Pending>& batch) {
  std::vector<int64_t> txids;
  txids.reserve(batch.size());
  for (const Pending& pending : batch) txids.push_back(pending.txid);
  std::vector<rpc::CommitAck> acks;
  std::optional<CallFailure> failure;
  try {
    pool_->With(static_cast<int>(rpc_timeout_ms_),
                [&](ParticipantPool::Client& client) { client->commit_many(acks, txids); });
  } catch (const apache::thrift::TException& e) {
    failure = CallFailure{false, rpc::ErrorCode::INTERNAL, e.what()};
  }
  Complete(batch, acks, failure);
}

void CommitCourier::Complete(std::vector<Pending>& pending, const std::vector<rpc::CommitAck>& acks,
                             const std::optional<CallFailure>& failure) {
  for (size_t i = 0; i < pending.size(); ++i) {
    if (failure) {
      pending[i].done(failure);
    } else if (i >= acks.size() || acks[i].txid != pending[i].txid) {
      pending[i].done(CallFailure{false, rpc::ErrorCode::INTERNAL,
                                  "the participant's commit acknowledgements are out of order"});
    } else if (!acks[i].ok) {
      pending[i].done(CallFailure{true, acks[i].code, acks[i].message});
    } else {
      pending[i].done(std::nullopt);
    }
  }
}

}  // namespace twopc::coordinator
