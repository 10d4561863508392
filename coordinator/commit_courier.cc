#include "coordinator/commit_courier.h"

#include <utility>

#include <thrift/Thrift.h>

namespace twopc::coordinator {

CommitCourier::CommitCourier(ParticipantPool* pool, int64_t rpc_timeout_ms, size_t max_batch)
    : pool_(pool), rpc_timeout_ms_(rpc_timeout_ms), max_batch_(max_batch == 0 ? 1 : max_batch) {
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(Item{txid, std::move(done)});
  }
  queued_cv_.notify_one();
}

void CommitCourier::Run() {
  std::vector<Item> batch;
  while (true) {
    batch.clear();
    {
      std::unique_lock<std::mutex> lock(mu_);
      queued_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    const std::vector<std::optional<CallFailure>> failures = Deliver(batch);
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(failures[i]);
  }
}

std::vector<std::optional<CallFailure>> CommitCourier::Deliver(const std::vector<Item>& batch) {
  std::vector<std::optional<CallFailure>> failures(batch.size());
  std::vector<int64_t> txids;
  txids.reserve(batch.size());
  for (const Item& item : batch) txids.push_back(item.txid);
  std::vector<rpc::CommitAck> acks;
  try {
    pool_->With(static_cast<int>(rpc_timeout_ms_),
                [&](ParticipantPool::Client& client) { client->commit_many(acks, txids); });
  } catch (const apache::thrift::TException& e) {
    for (auto& failure : failures) failure = CallFailure{false, rpc::ErrorCode::INTERNAL, e.what()};
    return failures;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i >= acks.size() || acks[i].txid != txids[i]) {
      failures[i] =
          CallFailure{false, rpc::ErrorCode::INTERNAL,
                      "participant " + pool_->name() + " answered commit_many out of order"};
    } else if (!acks[i].ok) {
      failures[i] = CallFailure{true, acks[i].code, acks[i].message};
    }
  }
  return failures;
}

}  // namespace twopc::coordinator
