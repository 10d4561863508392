#include "coordinator/participant_pool.h"

namespace twopc::coordinator {

namespace {
constexpr size_t kMaxIdle = 256;
}

std::unique_ptr<ParticipantPool::Client> ParticipantPool::Borrow() {
  std::vector<std::unique_ptr<Client>> stale;  // closed outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      std::unique_ptr<Client> client = std::move(idle_.back());
      idle_.pop_back();
      // The participant may have closed a connection that sat idle longer
      // than its --idle_timeout_ms: using it would fail the call.
      if (!client->Stale()) return client;
      stale.push_back(std::move(client));
    }
  }
  return std::make_unique<Client>(address_, connect_timeout_ms_, connect_timeout_ms_, security_);
}

void ParticipantPool::Return(std::unique_ptr<Client> client) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(client));
}

}  // namespace twopc::coordinator
