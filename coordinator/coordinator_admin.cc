#include "coordinator/coordinator_admin.h"

#include <algorithm>
#include <chrono>

#include "gen-cpp/Participant.h"
#include "thrift/admin/metric_families.h"
#include "thrift/admin/status_page.h"
#include "thrift/admin/wal_metrics.h"

namespace twopc::coordinator {
namespace {

constexpr int kProbeTimeoutMs = 1000;
// The states a transaction can be in doubt in, as InDoubt() names them.
const char* const kInDoubtStates[] = {"IN_PROGRESS", "PREPARED", "UNDELIVERED_COMMIT"};

int64_t WallClockMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

admin::StatusView::Pending ToPending(const InDoubtTransaction& t) {
  return {t.txid, t.state, t.age_ms, t.participants, t.detail};
}

// A participant's health, asked on a connection of its own.
admin::StatusView::Peer Probe(const std::string& name, const std::string& address) {
  admin::StatusView::Peer peer{name, address, false, ""};
  const StatusOr<rpc::HostPort> host_port = rpc::ParseHostPort(address);
  if (!host_port.ok()) {
    peer.detail = host_port.status().message();
    return peer;
  }
  try {
    rpc::RpcClient<rpc::ParticipantClient> client(*host_port, kProbeTimeoutMs, kProbeTimeoutMs);
    client.EnsureOpen();
    rpc::Health health;
    client->health(health);
    const auto wal = health.details.find("wal");
    peer.up = wal == health.details.end() || wal->second == "ok";
    for (const char* key : {"prepared", "wal"}) {
      if (auto it = health.details.find(key); it != health.details.end()) {
        peer.detail += (peer.detail.empty() ? "" : " ") + std::string(key) + "=" + it->second;
      }
    }
  } catch (const std::exception& e) {
    peer.detail = e.what();
  }
  return peer;
}

}  // namespace

CoordinatorAdmin::CoordinatorAdmin(Coordinator* coordinator, const WalDecisionLog* log,
                                   const std::atomic<int64_t>* open_connections, std::string name)
    : coordinator_(coordinator),
      log_(log),
      open_connections_(open_connections),
      name_(std::move(name)),
      sampler_(std::chrono::seconds(1), [this] { Sample(); }),
      refresher_(std::chrono::seconds(1), [this] { Refresh(); }) {
  for (const auto& [peer, address] : coordinator_->participant_addresses()) {
    peers_.push_back({peer, address, false, "not checked yet"});
  }
}

CoordinatorAdmin::~CoordinatorAdmin() { Stop(); }

Status CoordinatorAdmin::Start(const rpc::HostPort& address) {
  admin::Routes routes =
      admin::StatusRoutes([this] { return MetricsText(); }, [this] { return View(); });
  server_ = std::make_unique<admin::AdminServer>(address, std::move(routes));
  TWOPC_RETURN_IF_ERROR(server_->Start());
  sampler_.Start();
  refresher_.Start();
  return Status::Ok();
}

void CoordinatorAdmin::Stop() {
  if (server_) server_->Stop();
  sampler_.Stop();
  refresher_.Stop();
}

void CoordinatorAdmin::Sample() {
  const CoordinatorMetrics& m = coordinator_->metrics();
  history_.Record(WallClockMillis(), m.committed.load(), m.aborted_total(),
                  m.transaction_latency.Read());
}

void CoordinatorAdmin::Refresh() {
  std::vector<admin::StatusView::Peer> peers;
  for (const auto& [name, address] : coordinator_->participant_addresses()) {
    peers.push_back(Probe(name, address));
  }
  std::vector<admin::StatusView::Pending> in_doubt, mismatches;
  for (const InDoubtTransaction& t : coordinator_->InDoubt()) {
    if (t.state == "HEURISTIC_MISMATCH") {
      mismatches.push_back(ToPending(t));
    } else if (t.state != "PARTICIPANT_UNREACHABLE") {  // shown with the participants
      in_doubt.push_back(ToPending(t));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  peers_ = std::move(peers);
  in_doubt_ = std::move(in_doubt);
  mismatches_ = std::move(mismatches);
}

admin::StatusView CoordinatorAdmin::View() const {
  const CoordinatorMetrics& m = coordinator_->metrics();
  admin::StatusView view;
  view.role = "coordinator";
  view.name = name_;
  view.now_ms = WallClockMillis();
  view.totals = {{"begun", m.begun.load()},
                 {"committed", m.committed.load()},
                 {"aborted", m.aborted_total()},
                 {"unknown", m.unknown.load()},
                 {"undelivered", coordinator_->undelivered()}};
  view.history = history_.Samples();
  for (const RecentTransactions::Entry& e : m.recent.Read()) {
    const char* outcome = e.outcome == RecentTransactions::kCommitted ? "COMMITTED"
                          : e.outcome == RecentTransactions::kAborted ? "ABORTED"
                                                                      : "UNKNOWN";
    view.recent.push_back({e.txid, outcome, static_cast<double>(e.micros) / 1000.0});
  }
  std::lock_guard<std::mutex> lock(mu_);
  view.peers = peers_;
  view.in_doubt = in_doubt_;
  view.mismatches = mismatches_;
  return view;
}

std::string CoordinatorAdmin::MetricsText() const {
  const CoordinatorMetrics& m = coordinator_->metrics();
  admin::MetricFamilies out;
  out.Counter("twopc_coordinator_transactions_begun_total",
              "Transactions given a txid (requests that passed validation).",
              static_cast<double>(m.begun.load()));
  out.Counter("twopc_coordinator_transactions_committed_total", "Transactions committed.",
              static_cast<double>(m.committed.load()));
  for (size_t i = 0; i < static_cast<size_t>(AbortCause::kCount); ++i) {
    out.Counter("twopc_coordinator_transactions_aborted_total", "Transactions aborted, by reason.",
                static_cast<double>(m.aborted[i].load()),
                {{"reason", AbortCauseLabel(static_cast<AbortCause>(i))}});
  }
  out.Counter("twopc_coordinator_transactions_unknown_total",
              "One-phase transactions whose outcome could not be learned.",
              static_cast<double>(m.unknown.load()));
  out.Counter("twopc_coordinator_commit_delivery_retries_total",
              "Commit RPCs sent again to a participant that had not acknowledged.",
              static_cast<double>(m.delivery_retries.load()));
  out.Gauge("twopc_coordinator_undelivered_commits",
            "Committed transactions some participant has not acknowledged yet.",
            static_cast<double>(coordinator_->undelivered()));
  out.Histogram("twopc_coordinator_prepare_duration_seconds",
                "Phase one: from the request until every vote is in.", m.prepare_latency.Read(),
                1e-9);
  out.Histogram("twopc_coordinator_commit_duration_seconds",
                "Phase two: from the commit decision until every participant acknowledged.",
                m.commit_latency.Read(), 1e-9);
  out.Histogram("twopc_coordinator_transaction_duration_seconds",
                "Committed transactions, from the request to the reply.",
                m.transaction_latency.Read(), 1e-9);
  {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t oldest_ms = 0;
    for (const char* state : kInDoubtStates) {
      size_t count = 0;
      for (const admin::StatusView::Pending& p : in_doubt_) {
        if (p.state != state) continue;
        ++count;
        oldest_ms = std::max(oldest_ms, p.age_ms);
      }
      out.Gauge("twopc_coordinator_in_doubt_transactions",
                "Unfinished transactions across the coordinator and its participants, by state "
                "(refreshed every second).",
                static_cast<double>(count), {{"state", state}});
    }
    out.Gauge("twopc_coordinator_oldest_in_doubt_age_seconds",
              "Age of the oldest in-doubt transaction (0: none).",
              static_cast<double>(oldest_ms) / 1000.0);
    out.Gauge("twopc_coordinator_heuristic_mismatches",
              "Heuristic decisions at participants that disagree with the coordinator's.",
              static_cast<double>(mismatches_.size()));
    for (const admin::StatusView::Peer& peer : peers_) {
      out.Gauge("twopc_coordinator_participant_up",
                "1 when the participant answered its last health check.", peer.up ? 1 : 0,
                {{"participant", peer.name}});
    }
  }
  out.Gauge("twopc_rpc_open_connections", "Client connections open to the Thrift service.",
            static_cast<double>(open_connections_->load()));
  admin::AddWalMetrics(log_->log(), &out);
  return out.Text();
}

}  // namespace twopc::coordinator
