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
  // `on_lost` runs once, on the keeper's thread, when the lease is lost.
  LeaseKeeper(std::unique_ptr<etcd::EtcdClient> client, etcd::Lease lease,
              std::function<void(const std::string& why)> on_lost);
  ~LeaseKeeper();  // stops renewing; does not revoke
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  void Start();
  void Stop();

  int64_t lease_id() const { return lease_.id; }
  bool lost() const { return lost_.load(); }
  uint64_t renewals() const { return renewals_.load(); }

 private:
  void Run();
  void Lose(const std::string& why);

  std::unique_ptr<etcd::EtcdClient> client_;
  const etcd::Lease lease_;
  std::function<void(const std::string&)> on_lost_;
  std::atomic<bool> lost_{false};
  std::atomic<uint64_t> renewals_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace twopc::coordinator
