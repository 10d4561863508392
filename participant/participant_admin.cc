#include "participant/participant_admin.h"

#include <algorithm>
#include <chrono>

#include "thrift/admin/metric_families.h"
#include "thrift/admin/status_page.h"
#include "thrift/admin/wal_metrics.h"

namespace twopc::participant {
namespace {

int64_t WallClockMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Transactions this participant finished: prepared ones applied, one-phase ones committed.
uint64_t Committed(const AgentMetrics& m) { return m.commits.load() + m.votes_committed.load(); }
// Refused branches and prepared transactions released by an abort.
uint64_t Aborted(const AgentMetrics& m) { return m.votes_no.load() + m.aborts.load(); }

}  // namespace

ParticipantAdmin::ParticipantAdmin(Agent* agent, const std::atomic<int64_t>* open_connections)
    : agent_(agent),
      open_connections_(open_connections),
      sampler_(std::chrono::seconds(1), [this] { Sample(); }) {}

ParticipantAdmin::~ParticipantAdmin() { Stop(); }

Status ParticipantAdmin::Start(const rpc::HostPort& address) {
  admin::Routes routes =
      admin::StatusRoutes([this] { return MetricsText(); }, [this] { return View(); });
  server_ = std::make_unique<admin::AdminServer>(address, std::move(routes));
  TWOPC_RETURN_IF_ERROR(server_->Start());
  sampler_.Start();
  return Status::Ok();
}

void ParticipantAdmin::Stop() {
  if (server_) server_->Stop();
  sampler_.Stop();
}

void ParticipantAdmin::Sample() {
  const AgentMetrics& m = agent_->metrics();
  history_.Record(WallClockMillis(), Committed(m), Aborted(m), m.prepare_latency.Read());
}

admin::StatusView ParticipantAdmin::View() const {
  const AgentMetrics& m = agent_->metrics();
  admin::StatusView view;
  view.role = "participant";
  view.name = agent_->options().name;
  view.now_ms = WallClockMillis();
  view.totals = {
      {"voted_yes", m.votes_yes.load()},       {"voted_no", m.votes_no.load()},
      {"read_only", m.votes_read_only.load()}, {"one_phase_committed", m.votes_committed.load()},
      {"commits", m.commits.load()},           {"aborts", m.aborts.load()},
      {"lock_waits", m.lock_waits.load()}};
  view.history = history_.Samples();
  for (const Agent::PreparedInfo& p : agent_->PreparedTransactions()) {
    const int64_t age_ms = p.prepared_at_ms > 0 ? view.now_ms - p.prepared_at_ms : 0;
    view.in_doubt.push_back({p.txid,
                             "PREPARED",
                             age_ms,
                             {view.name},
                             p.recovered ? "recovered at restart; waiting for the outcome"
                                         : "waiting for the outcome"});
  }
  for (const HeuristicRecord& h : agent_->Mismatches()) {
    view.mismatches.push_back({h.txid,
                               "HEURISTIC_MISMATCH",
                               h.decided_at_ms > 0 ? view.now_ms - h.decided_at_ms : 0,
                               {view.name},
                               std::string("an operator forced ") +
                                   (h.outcome == HeuristicOutcome::kCommit ? "COMMIT" : "ABORT") +
                                   " here; the coordinator decided otherwise"});
  }
  return view;
}

std::string ParticipantAdmin::MetricsText() const {
  const AgentMetrics& m = agent_->metrics();
  admin::MetricFamilies out;
  const char* const votes_help = "Prepare requests answered, by vote.";
  out.Counter("twopc_participant_votes_total", votes_help, static_cast<double>(m.votes_yes.load()),
              {{"vote", "yes"}});
  out.Counter("twopc_participant_votes_total", votes_help, static_cast<double>(m.votes_no.load()),
              {{"vote", "no"}});
  out.Counter("twopc_participant_votes_total", votes_help,
              static_cast<double>(m.votes_read_only.load()), {{"vote", "read_only"}});
  out.Counter("twopc_participant_votes_total", votes_help,
              static_cast<double>(m.votes_committed.load()), {{"vote", "committed"}});
  out.Counter("twopc_participant_commits_total", "Prepared transactions applied on commit.",
              static_cast<double>(m.commits.load()));
  out.Counter("twopc_participant_aborts_total", "Prepared transactions released on abort.",
              static_cast<double>(m.aborts.load()));
  out.Counter("twopc_participant_lock_waits_total",
              "Branches that waited for a row held by a prepared transaction.",
              static_cast<double>(m.lock_waits.load()));
  out.Counter("twopc_participant_lock_wait_timeouts_total",
              "Lock waits that ran out of time (the branch voted NO).",
              static_cast<double>(m.lock_wait_timeouts.load()));
  const std::vector<Agent::PreparedInfo> prepared = agent_->PreparedTransactions();
  double oldest_s = 0;
  for (const Agent::PreparedInfo& p : prepared) {
    oldest_s = std::max(oldest_s, std::chrono::duration<double>(p.age).count());
  }
  out.Gauge("twopc_participant_in_doubt_transactions",
            "Prepared transactions waiting for their outcome.",
            static_cast<double>(prepared.size()));
  out.Gauge("twopc_participant_oldest_in_doubt_age_seconds",
            "How long the oldest prepared transaction has waited, in this process (0: none).",
            oldest_s);
  const Agent::LockedRows locked = agent_->Locked();
  const char* kLockedHelp = "Rows locked until their transactions' decisions, by lock mode.";
  out.Gauge("twopc_participant_locked_rows", kLockedHelp, static_cast<double>(locked.exclusive),
            {{"mode", "exclusive"}});
  out.Gauge("twopc_participant_locked_rows", kLockedHelp, static_cast<double>(locked.shared),
            {{"mode", "shared"}});
  out.Gauge("twopc_participant_heuristic_mismatches",
            "Heuristic decisions here that disagree with the coordinator's.",
            static_cast<double>(agent_->Mismatches().size()));
  out.Histogram("twopc_participant_prepare_duration_seconds",
                "Prepare requests: running the branch, locking its rows, logging PREPARED.",
                m.prepare_latency.Read(), 1e-9);
  out.Histogram("twopc_participant_commit_duration_seconds",
                "Commit requests: applying the changeset in a batch and logging COMMITTED.",
                m.commit_latency.Read(), 1e-9);
  out.Gauge("twopc_rpc_open_connections", "Client connections open to the Thrift service.",
            static_cast<double>(open_connections_->load()));
  admin::AddWalMetrics(agent_->log(), &out);
  return out.Text();
}

}  // namespace twopc::participant
