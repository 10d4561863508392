#include "coordinator/participant_pool.h"

namespace twopc::coordinator {

namespace {
constexpr size_t kMaxIdle = 256;
}

std::unique_ptr<ParticipantPool::Client> ParticipantPool::Borrow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Client> client = std::move(idle_.back());
      idle_.pop_back();
      return client;
    }
  }
  return std::make_unique<Client>(address_, connect_timeout_ms_, connect_timeout_ms_, security_);
}

void ParticipantPool::Return(std::unique_ptr<Client> client) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(client));
}

}  // namespace twopc::coordinator
