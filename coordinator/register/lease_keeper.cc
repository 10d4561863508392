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
                         SteadyClock::time_point granted_at,
                         std::function<void(const std::string& why)> on_lost)
    : client_(std::move(client)),
      lease_(lease),
      on_lost_(std::move(on_lost)),
      valid_until_((granted_at + std::chrono::seconds(std::max<int64_t>(0, lease.ttl_s)))
                       .time_since_epoch()
                       .count()) {}

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
  // From on_lost, on the keeper's own thread: it ends by itself.
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void LeaseKeeper::Lose(const std::string& why) {
  if (lost_.exchange(true)) return;
  LOG(ERROR) << "lease " << lease_.id << " lost: " << why;
  if (on_lost_) on_lost_(why);
}

void LeaseKeeper::Run() {
  const std::chrono::seconds ttl(std::max<int64_t>(1, lease_.ttl_s));
  // Renewed three times per TTL.
  const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(ttl) / 3;
  SteadyClock::time_point next = SteadyClock::now() + interval;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_ && !lost_) {
    // Woken at the next renewal, or when the lease runs out without one.
    const SteadyClock::time_point until = std::min(next, valid_until());
    if (cv_.wait_until(lock, until, [this] { return stopping_; })) break;
    lock.unlock();
    const SteadyClock::time_point sent = SteadyClock::now();
    if (sent >= valid_until()) {
      Lose("no renewal within its TTL");
      lock.lock();
      break;
    }
    StatusOr<etcd::Lease> renewed = client_->KeepAlive(lease_.id);
    if (renewed.ok() && renewed->ttl_s > 0) {
      renewals_.fetch_add(1);
      valid_until_.store((sent + std::chrono::seconds(renewed->ttl_s)).time_since_epoch().count());
      next = sent + interval;
    } else if (renewed.ok() || renewed.status().IsNotFound()) {
      Lose("etcd says the lease is gone");
    } else if (SteadyClock::now() >= valid_until()) {
      Lose("no renewal within its TTL: " + renewed.status().message());
    } else {
      next = SteadyClock::now() + kRetryInterval;
    }
    lock.lock();
  }
}

}  // namespace twopc::coordinator
