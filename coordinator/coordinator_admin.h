// txcoord's admin endpoint (--admin-listen): /metrics, the status page (/),
// /status.json and /status.txt (txctl top). Participant health and the
// in-doubt list come from RPCs, so a background thread refreshes them every
// second and the HTTP handlers only read that cache and the counters.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "coordinator/coordinator.h"
#include "coordinator/wal_decision_log.h"
#include "thrift/admin/admin_server.h"
#include "thrift/admin/periodic_task.h"
#include "thrift/admin/rate_history.h"
#include "thrift/admin/status_view.h"

namespace twopc::coordinator {

class CoordinatorAdmin {
 public:
  CoordinatorAdmin(Coordinator* coordinator, const WalDecisionLog* log,
                   const std::atomic<int64_t>* open_connections, std::string name);
  ~CoordinatorAdmin();

  Status Start(const rpc::HostPort& address);
  void Stop();

  std::string MetricsText() const;
  admin::StatusView View() const;

 private:
  void Sample();   // every second: the throughput and latency history
  void Refresh();  // every second: participants' health and what is in doubt

  Coordinator* coordinator_;
  const WalDecisionLog* log_;
  const std::atomic<int64_t>* open_connections_;
  const std::string name_;
  admin::RateHistory history_;

  mutable std::mutex mu_;  // guards the cache below
  std::vector<admin::StatusView::Peer> peers_;
  std::vector<admin::StatusView::Pending> in_doubt_;
  std::vector<admin::StatusView::Pending> mismatches_;

  admin::PeriodicTask sampler_;
  admin::PeriodicTask refresher_;
  std::unique_ptr<admin::AdminServer> server_;
};

}  // namespace twopc::coordinator
