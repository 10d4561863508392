// Keeps an etcd lease alive from a thread of its own (with an etcd client of
// its own, so that renewals never wait behind decisions). The lease counts
// as lost when etcd says it is gone, or when no renewal succeeded within its
// TTL (etcd may have expired it meanwhile): the holder must then stop
// deciding under it. A lost lease is never taken back.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "thrift/etcd/etcd_client.h"

namespace twopc::coordinator {

class LeaseKeeper {
 public:
  // `granted_at`: when the grant was sent (etcd counts the TTL from about
  // then). `client`'s call timeout should be well below the TTL. `on_lost`
  // runs once, on the keeper's thread, when the lease is lost (it may call
  // Stop, not destroy the keeper).
  LeaseKeeper(std::unique_ptr<etcd::EtcdClient> client, etcd::Lease lease,
              std::chrono::steady_clock::time_point granted_at,
              std::function<void(const std::string& why)> on_lost);
  ~LeaseKeeper();  // stops renewing; does not revoke
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  void Start();
  void Stop();

  int64_t lease_id() const { return lease_.id; }
  bool lost() const { return lost_.load(); }
  // Until when the lease is known to live (if not revoked): the last
  // renewal's send time plus its TTL. Past it, treat the lease as gone.
  std::chrono::steady_clock::time_point valid_until() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(valid_until_.load()));
  }
  uint64_t renewals() const { return renewals_.load(); }

 private:
  void Run();
  void Lose(const std::string& why);

  std::unique_ptr<etcd::EtcdClient> client_;
  const etcd::Lease lease_;
  std::function<void(const std::string&)> on_lost_;
  std::atomic<bool> lost_{false};
  std::atomic<uint64_t> renewals_{0};
  std::atomic<std::chrono::steady_clock::rep> valid_until_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace twopc::coordinator
