// txpart's admin endpoint (--admin-listen): /metrics, the status page (/),
// /status.json and /status.txt. Everything is read from the agent's counters
// and state when asked; one background thread keeps the per-second history.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "participant/agent.h"
#include "thrift/admin/admin_server.h"
#include "thrift/admin/periodic_task.h"
#include "thrift/admin/rate_history.h"
#include "thrift/admin/status_view.h"

namespace twopc::participant {

class ParticipantAdmin {
 public:
  ParticipantAdmin(Agent* agent, const std::atomic<int64_t>* open_connections);
  ~ParticipantAdmin();

  Status Start(const rpc::HostPort& address);
  void Stop();

  std::string MetricsText() const;
  admin::StatusView View() const;

 private:
  void Sample();

  Agent* agent_;
  const std::atomic<int64_t>* open_connections_;
  admin::RateHistory history_;
  admin::PeriodicTask sampler_;
  std::unique_ptr<admin::AdminServer> server_;
};

}  // namespace twopc::participant
