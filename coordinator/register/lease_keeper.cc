#include "coordinator/register/lease_keeper.h"

#include <algorithm>

#include <glog/logging.h>

namespace twopc::coordinator {

namespace {
using SteadyClock = std::chrono::steady_clock;
// Between tries after a failed renewal.
constexpr std::chrono::milliseconds kRetryInterval(100);
}  // namespace

LeaseKeeper::LeaseKeeper(std::unique_ptr<etcd::EtcdClient> client, etcd::Lease lease,
                         std::function<void(const std::string& why)> on_lost)
    : client_(std::move(client)), lease_(lease), on_lost_(std::move(on_lost)) {}

LeaseKeeper::~LeaseKeeper() { Stop(); }

void LeaseKeeper::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LeaseKeeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LeaseKeeper::Lose(const std::string& why) {
  if (lost_.exchange(true)) return;
  LOG(ERROR) << "lease " << lease_.id << " lost: " << why;
  if (on_lost_) on_lost_(why);
}

void LeaseKeeper::Run() {
  const std::chrono::seconds ttl(std::max<int64_t>(1, lease_.ttl_s));
  // Renewed three times per TTL; the lease is safe until `expires` at least
  // (counted from before the renewal was sent).
  const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(ttl) / 3;
  SteadyClock::time_point expires = SteadyClock::now() + ttl;
  SteadyClock::time_point next = SteadyClock::now() + interval;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_ && !lost_) {
    if (cv_.wait_until(lock, next, [this] { return stopping_; })) break;
    lock.unlock();
    const SteadyClock::time_point sent = SteadyClock::now();
    StatusOr<etcd::Lease> renewed = client_->KeepAlive(lease_.id);
    if (renewed.ok() && renewed->ttl_s > 0) {
      renewals_.fetch_add(1);
      expires = sent + std::chrono::seconds(renewed->ttl_s);
      next = sent + interval;
    } else if (renewed.ok() || renewed.status().IsNotFound()) {
      Lose("etcd says the lease is gone");
    } else if (SteadyClock::now() >= expires) {
      Lose("no renewal within its TTL: " + renewed.status().message());
    } else {
      next = SteadyClock::now() + kRetryInterval;
    }
    lock.lock();
  }
}

}  // namespace twopc::coordinator
