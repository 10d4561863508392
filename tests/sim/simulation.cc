#include "tests/sim/simulation.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>

#include <glog/logging.h>

#include "coordinator/core/coordinator_core.h"
#include "coordinator/wal_decision_log.h"
#include "participant/agent.h"
#include "participant/resolver.h"
#include "participant/sqlite_store.h"
#include "tests/sim/sim_clock.h"
#include "tests/sim/sim_random.h"
#include "wal/base/fail_point.h"
#include "wal/env.h"
#include "wal/testing/fault_injection_env.h"

namespace twopc::sim {

bool ParseBug(const std::string& name, Bug* bug) {
  if (name == "none") {
    *bug = Bug::kNone;
  } else if (name == "sync_lies") {
    *bug = Bug::kSyncLies;
  } else if (name == "abort_live_inquiry") {
    *bug = Bug::kAbortLiveInquiry;
  } else {
    return false;
  }
  return true;
}

const char* BugName(Bug bug) {
  switch (bug) {
    case Bug::kNone:
      return "none";
    case Bug::kSyncLies:
      return "sync_lies";
    case Bug::kAbortLiveInquiry:
      return "abort_live_inquiry";
  }
  return "none";
}

namespace {

namespace c = twopc::coordinator;
namespace p = twopc::participant;

using Nanos = int64_t;
constexpr Nanos kMicro = 1000;
constexpr Nanos kMilli = 1000 * kMicro;
constexpr int kCoordinator = 0;  // node ids: participants are 1..N
constexpr int64_t kInitialBalance = 100;
constexpr size_t kTraceTail = 80;
constexpr Nanos kCallTimeout = 100 * kMilli;    // commit and abort calls
constexpr Nanos kClientTimeout = 600 * kMilli;  // a client stops waiting

// ---------------------------------------------------------------- conversions

p::SqlValue SqlValueOf(const Value& value) {
  switch (value.kind()) {
    case ValueKind::kNull:
      return std::monostate();
    case ValueKind::kInteger:
      return value.integer();
    case ValueKind::kReal:
      return value.real();
    case ValueKind::kText:
      return value.bytes();
    case ValueKind::kBlob:
      return p::Blob{value.bytes()};
  }
  return std::monostate();
}

Value ValueOf(const p::SqlValue& value) {
  switch (value.index()) {
    case 1:
      return Value(std::get<int64_t>(value));
    case 2:
      return Value(std::get<double>(value));
    case 3:
      return Value(std::get<std::string>(value));
    case 4:
      return Value::Blob(std::get<p::Blob>(value).bytes);
    default:
      return Value();
  }
}

c::BranchVote VoteOf(p::Vote vote) {
  switch (vote) {
    case p::Vote::kYes:
      return c::BranchVote::kYes;
    case p::Vote::kReadOnly:
      return c::BranchVote::kReadOnly;
    case p::Vote::kCommitted:
      return c::BranchVote::kCommitted;
    case p::Vote::kNo:
      break;
  }
  return c::BranchVote::kNo;
}

// What the participant's edge answers for one commit: ok, or refused.
std::optional<c::CallFailure> AckOf(const Status& status) {
  if (status.ok()) return std::nullopt;
  return c::CallFailure{
      status.IsAborted() ? c::CallFailure::Kind::kRefused : c::CallFailure::Kind::kFailed,
      status.message()};
}

c::PrepareReply ReplyOf(p::PrepareReply reply) {
  c::PrepareReply out;
  out.vote = VoteOf(reply.vote);
  out.reason = std::move(reply.reason);
  out.changes = std::move(reply.changes);
  for (p::QueryRows& read : reply.reads) {
    QueryResult& rows = out.rows.emplace_back();
    rows.columns = std::move(read.columns);
    for (const std::vector<p::SqlValue>& row : read.rows) {
      std::vector<Value>& values = rows.rows.emplace_back();
      for (const p::SqlValue& value : row) values.push_back(ValueOf(value));
    }
  }
  out.try_again = reply.retry;
  out.held_by = reply.held_by;
  return out;
}

std::string ShortList(const std::vector<int64_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < 4; ++i) {
    out += (i ? "," : "") + std::to_string(ids[i] & 0xffffffff);
  }
  if (ids.size() > 4) out += ",+" + std::to_string(ids.size() - 4);
  return out;
}

Status Exec(const std::string& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  if (sqlite3_open(db.c_str(), &handle) != SQLITE_OK) {
    sqlite3_close(handle);
    return Status::IoError("open " + db);
  }
  char* error = nullptr;
  const int rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(handle);
  if (rc != SQLITE_OK) return Status::IoError(sql + ": " + message);
  return Status::Ok();
}

// The integers the first column of `sql` returns.
std::vector<int64_t> QueryIntegers(const std::string& db, const std::string& sql) {
  std::vector<int64_t> out;
  sqlite3* handle = nullptr;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(handle, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK) {
      while (sqlite3_step(statement) == SQLITE_ROW)
        out.push_back(sqlite3_column_int64(statement, 0));
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(handle);
  return out;
}

// ---------------------------------------------------------------- the world

// Thrown from a fail point to crash the simulated process running there.
struct SimCrash {
  int node;
  std::string point;
};

struct Event {
  Nanos at;
  uint64_t seq;
  std::function<void()> run;
};
struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }
};

// One transfer as a client asked for it, and what it was told.
struct Transfer {
  uint64_t tag = 0;
  std::vector<std::string> writers;  // participants whose branch inserts the tag
  int64_t txid = 0;                  // once submitted
  enum class Told { kPending, kCommitted, kAborted, kUnknown, kRefused } told = Told::kPending;
};

class World;

// The participant's inquiries: answered by the coordinator's core at once,
// unless the coordinator is down or cut off.
class SimOutcomeSource final : public p::OutcomeSource {
 public:
  SimOutcomeSource(World* world, int node) : world_(world), node_(node) {}
  StatusOr<p::Decision> Resolve(int64_t txid) override;

 private:
  World* world_;
  int node_;
};

struct ParticipantNode {
  std::string name;
  std::string db;
  std::string wal_dir;
  std::unique_ptr<wal::FaultInjectionEnv> env;
  std::unique_ptr<p::SqliteStore> store;
  std::unique_ptr<p::Agent> agent;
  std::unique_ptr<SimOutcomeSource> source;
  std::unique_ptr<p::Resolver> resolver;
  bool up = false;
  uint64_t incarnation = 0;
};

struct CoordinatorNode {
  std::string wal_dir;
  std::unique_ptr<wal::FaultInjectionEnv> env;
  std::unique_ptr<c::WalDecisionLog> log;
  std::unique_ptr<c::CoordinatorMetrics> metrics;
  std::unique_ptr<c::CoordinatorCore> core;
  bool up = false;
  uint64_t incarnation = 0;
  std::map<uint64_t, std::pair<int, uint64_t>> requests;  // request id -> client, tag
  uint64_t next_request = 1;
  Nanos next_tick = INT64_MAX;
};

struct ClientState {
  bool waiting = false;
  uint64_t tag = 0;
};

class World {
 public:
  explicit World(const SimOptions& options)
      : options_(options), rng_(options.seed), base_env_(wal::Env::Default()) {}

  SimResult Run();

  // For SimOutcomeSource.
  StatusOr<p::Decision> Inquire(int node, int64_t txid);
  // At every fail point the code passes: sometimes the process crashes there.
  void AtFailPoint(const char* name);

 private:
  // Scheduling and tracing.
  void At(Nanos at, std::function<void()> run) {
    queue_.push(Event{std::max(at, clock_.now()), next_seq_++, std::move(run)});
  }
  void After(Nanos delay, std::function<void()> run) { At(clock_.now() + delay, std::move(run)); }
  void Trace(const std::string& line);
  void Violation(const std::string& what) {
    result_.violations.push_back(what);
    Trace("VIOLATION " + what);
  }

  // Network.
  std::string NodeName(int node) const {
    if (node == kCoordinator) return "coord";
    if (node > 0) return participants_[node - 1].name;
    return "client" + std::to_string(-node - 1);
  }
  bool Cut(int from, int to) const { return cut_.count({from, to}) > 0; }
  // Sends a message: delivered after a random delay (or twice, or never).
  void Send(int from, int to, const std::string& what, std::function<void()> on_arrival);

  // Coordinator.
  void StartCoordinator();
  void CrashCoordinator();
  void Apply(c::CoreActions actions);
  void ScheduleTick();
  template <typename Handler>
  void OnCoordinator(uint64_t incarnation, const Handler& handler);

  // Participants.
  void StartParticipant(int node);
  void CrashParticipant(int node);
  void ResolverPass(int node, uint64_t incarnation);
  void ServePrepare(int node, const c::PrepareCall& call, uint64_t coordinator_incarnation);

  // Clients.
  void NextTransfer(int client);
  void Told(int client, uint64_t tag, Transfer::Told told, const std::string& why);

  // Which process the code running now belongs to (for fail points).
  class Running {
   public:
    Running(World* world, int node) : world_(world), before_(world->running_) {
      world->running_ = node;
    }
    ~Running() { world_->running_ = before_; }

   private:
    World* world_;
    int before_;
  };

  // Faults.
  void Crash(int node, const std::string& why);
  void Chaos();
  void LoseUnsynced(wal::FaultInjectionEnv* env, const std::string& who);
  void Heal();
  bool Settled(std::string* why);
  void Check();

  const SimOptions options_;
  SimRandom rng_;
  SimClock clock_;
  wal::Env* base_env_;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  uint64_t next_seq_ = 0;
  bool healed_ = false;
  bool done_ = false;
  int running_ = -1;  // node id, or -1: the world itself
  std::string dir_;
  std::set<std::pair<int, int>> cut_;  // one-way partitions: (from, to)
  CoordinatorNode coordinator_;
  std::vector<ParticipantNode> participants_;
  std::vector<std::string> names_;
  std::vector<ClientState> clients_;
  std::map<uint64_t, Transfer> transfers_;
  std::map<int64_t, uint64_t> tag_of_txid_;
  std::map<int64_t, std::vector<std::string>> logged_commits_;
  uint64_t next_tag_ = 1;
  std::deque<std::string> trace_;
  SimResult result_;
  uint64_t hash_ = 1469598103934665603ull;  // FNV-1a
};

StatusOr<p::Decision> SimOutcomeSource::Resolve(int64_t txid) {
  return world_->Inquire(node_, txid);
}

void World::Trace(const std::string& line) {
  char when[32];
  std::snprintf(when, sizeof(when), "%10.3fms ", static_cast<double>(clock_.now()) / kMilli);
  std::string full = when + line;
  for (unsigned char ch : full) {
    hash_ ^= ch;
    hash_ *= 1099511628211ull;
  }
  hash_ ^= '\n';
  hash_ *= 1099511628211ull;
  trace_.push_back(std::move(full));
  if (!options_.keep_trace && trace_.size() > kTraceTail) trace_.pop_front();
}

void World::Send(int from, int to, const std::string& what, std::function<void()> on_arrival) {
  ++result_.messages;
  const double loss = healed_ ? 0.0 : 0.01;
  if (Cut(from, to) || rng_.Chance(loss)) {
    ++result_.lost;
    Trace(NodeName(from) + "->" + NodeName(to) + " lost " + what);
    return;
  }
  // Duplicates only between coordinator and participants: a client's request
  // rides one connection and is never run twice (retry-safe keys are #19).
  const bool client = from < 0 || to < 0;
  const int copies = !healed_ && !client && rng_.Chance(0.01) ? 2 : 1;
  for (int copy = 0; copy < copies; ++copy) {
    // Mostly fast, sometimes slow: messages overtake each other.
    const Nanos delay = rng_.Chance(0.05) ? rng_.Uniform(1 * kMilli, 30 * kMilli)
                                          : rng_.Uniform(20 * kMicro, 400 * kMicro);
    // A process that restarted meanwhile never sees what was sent to the
    // one before (its connections were reset).
    const uint64_t incarnation = to > 0 ? participants_[to - 1].incarnation : 0;
    After(delay, [this, from, to, what, on_arrival, incarnation] {
      if (to > 0 && participants_[to - 1].incarnation != incarnation) {
        ++result_.lost;
        Trace(NodeName(from) + "->" + NodeName(to) + " reset " + what);
        return;
      }
      if (Cut(from, to)) {
        ++result_.lost;
        Trace(NodeName(from) + "->" + NodeName(to) + " cut " + what);
        return;
      }
      Trace(NodeName(from) + "->" + NodeName(to) + " " + what);
      on_arrival();
    });
  }
}

// ---------------------------------------------------------------- coordinator

void World::StartCoordinator() {
  CoordinatorNode& node = coordinator_;
  wal::LogOptions log_options;
  log_options.dir = node.wal_dir;
  log_options.env = node.env.get();
  log_options.segment_bytes = 64 << 10;
  log_options.preallocate_bytes = 16 << 10;
  c::RecoveredDecisions recovered;
  Status opened = c::WalDecisionLog::Open(log_options, &recovered, &node.log, 16 << 10);
  if (!opened.ok()) {
    Violation("the coordinator cannot recover its log: " + opened.ToString());
    done_ = true;
    return;
  }
  StatusOr<uint64_t> epoch = node.log->BeginEpoch();
  if (!epoch.ok()) {
    Violation("the coordinator cannot begin an epoch: " + epoch.status().ToString());
    done_ = true;
    return;
  }
  c::CoreOptions core_options;
  core_options.default_prepare_timeout = std::chrono::milliseconds(150);
  core_options.redelivery_interval = std::chrono::milliseconds(200);
  node.metrics = std::make_unique<c::CoordinatorMetrics>();
  Trace("coord starts: epoch " + std::to_string(*epoch) + ", " +
        std::to_string(recovered.undelivered.size()) + " commit(s) to deliver again");
  node.core = std::make_unique<c::CoordinatorCore>(core_options, &clock_, names_, *epoch,
                                                   std::move(recovered), node.metrics.get());
  node.up = true;
  ++node.incarnation;
  node.next_tick = INT64_MAX;
  ScheduleTick();
}

void World::LoseUnsynced(wal::FaultInjectionEnv* env, const std::string& who) {
  const uint64_t how = rng_.Uniform(0, 3);
  if (how == 0) {
    Trace(who + " keeps what it wrote (the OS had it)");
    return;
  }
  if (how == 1) {
    const size_t keep = rng_.Uniform(0, 64);
    if (env->TearLastWrite(keep).ok())
      Trace(who + " tears its last write after " + std::to_string(keep) + " bytes");
  }
  Status dropped = env->DropUnsyncedData();
  if (!dropped.ok()) Violation(who + ": dropping unsynced data failed: " + dropped.ToString());
  Trace(who + " loses what it had not synced");
}

void World::CrashCoordinator() {
  CoordinatorNode& node = coordinator_;
  if (!node.up) return;
  ++result_.crashes;
  Trace("coord CRASHES");
  node.core.reset();
  node.log.reset();
  node.up = false;
  ++node.incarnation;
  node.requests.clear();  // their clients time out
  LoseUnsynced(node.env.get(), "coord");
}

template <typename Handler>
void World::OnCoordinator(uint64_t incarnation, const Handler& handler) {
  if (!coordinator_.up || coordinator_.incarnation != incarnation) return;
  c::CoreActions actions;
  {
    Running running(this, kCoordinator);
    handler(coordinator_.core.get(), &actions);
  }
  Apply(std::move(actions));
}

void World::ScheduleTick() {
  CoordinatorNode& node = coordinator_;
  if (!node.up) return;
  const std::optional<Clock::TimePoint> wake = node.core->NextWake();
  if (!wake) return;
  const Nanos at = std::max(clock_.now(), static_cast<Nanos>(wake->time_since_epoch().count()));
  if (at >= node.next_tick) return;
  node.next_tick = at;
  const uint64_t incarnation = node.incarnation;
  At(at, [this, incarnation, at] {
    if (!coordinator_.up || coordinator_.incarnation != incarnation) return;
    if (coordinator_.next_tick == at) coordinator_.next_tick = INT64_MAX;
    OnCoordinator(incarnation,
                  [](c::CoordinatorCore* core, c::CoreActions* out) { core->Tick(out); });
  });
}

void World::Apply(c::CoreActions actions) {
  CoordinatorNode& node = coordinator_;
  const uint64_t incarnation = node.incarnation;
  for (c::PrepareCall& call : actions.prepares) {
    std::vector<int64_t> txids;
    for (const c::PrepareItem& item : call.items) txids.push_back(item.txid);
    const int to = 1 + static_cast<int>(std::find(names_.begin(), names_.end(), call.participant) -
                                        names_.begin());
    const uint64_t call_id = call.call_id;
    // The call's I/O timeout: its earliest deadline.
    At(static_cast<Nanos>(call.deadline.time_since_epoch().count()), [this, incarnation, call_id] {
      OnCoordinator(incarnation, [call_id](c::CoordinatorCore* core, c::CoreActions* out) {
        core->OnPrepareDone(call_id, c::CallFailure{c::CallFailure::Kind::kTransport, "timed out"},
                            c::PrepareManyReply{}, out);
      });
    });
    auto shared = std::make_shared<c::PrepareCall>(std::move(call));
    Send(kCoordinator, to,
         "prepare#" + std::to_string(call_id) + " [" + ShortList(txids) + "] carrying [" +
             ShortList(shared->commits) + "]",
         [this, to, shared, incarnation] { ServePrepare(to, *shared, incarnation); });
  }
  for (c::CommitCall& call : actions.commits) {
    const int to = 1 + static_cast<int>(std::find(names_.begin(), names_.end(), call.participant) -
                                        names_.begin());
    const uint64_t call_id = call.call_id;
    After(kCallTimeout, [this, incarnation, call_id] {
      OnCoordinator(incarnation, [call_id](c::CoordinatorCore* core, c::CoreActions* out) {
        core->OnCommitDone(call_id, c::CallFailure{c::CallFailure::Kind::kTransport, "timed out"},
                           {}, out);
      });
    });
    const std::vector<int64_t> txids = call.txids;
    Send(kCoordinator, to, "commit#" + std::to_string(call_id) + " [" + ShortList(txids) + "]",
         [this, to, txids, call_id, incarnation] {
           ParticipantNode& target = participants_[to - 1];
           if (!target.up) return;
           Running running(this, to);
           const std::vector<Status> statuses = target.agent->CommitMany(txids);
           c::CommitAcks acks;
           for (const Status& status : statuses) acks.push_back(AckOf(status));
           Send(to, kCoordinator, "acks#" + std::to_string(call_id),
                [this, call_id, acks, incarnation] {
                  OnCoordinator(incarnation, [&](c::CoordinatorCore* core, c::CoreActions* out) {
                    core->OnCommitDone(call_id, std::nullopt, acks, out);
                  });
                });
         });
  }
  for (c::AbortCall& call : actions.aborts) {
    const int to = 1 + static_cast<int>(std::find(names_.begin(), names_.end(), call.participant) -
                                        names_.begin());
    auto shared = std::make_shared<c::AbortCall>(call);
    After(kCallTimeout, [this, incarnation, shared] {
      OnCoordinator(incarnation, [&](c::CoordinatorCore* core, c::CoreActions* out) {
        core->OnAbortDone(*shared, c::CallFailure{c::CallFailure::Kind::kTransport, "timed out"},
                          out);
      });
    });
    Send(kCoordinator, to, "abort " + std::to_string(call.txid & 0xffffffff),
         [this, to, shared, incarnation] {
           ParticipantNode& target = participants_[to - 1];
           if (!target.up) return;
           Running running(this, to);
           const std::optional<c::CallFailure> failure = AckOf(target.agent->Abort(shared->txid));
           Send(to, kCoordinator, "abort-answer " + std::to_string(shared->txid & 0xffffffff),
                [this, shared, failure, incarnation] {
                  OnCoordinator(incarnation, [&](c::CoordinatorCore* core, c::CoreActions* out) {
                    core->OnAbortDone(*shared, failure, out);
                  });
                });
         });
  }
  for (c::LogAppend& append : actions.appends) {
    if (append.kind == c::LogAppend::Kind::kCommit) {
      // The sync takes a while: a crash before it completes loses the record.
      After(rng_.Uniform(30 * kMicro, 300 * kMicro), [this, incarnation, append] {
        if (!coordinator_.up || coordinator_.incarnation != incarnation) return;
        const Status logged = coordinator_.log->LogCommit(append.txid, append.participants);
        if (!logged.ok()) {
          Violation("COMMIT record failed: " + logged.ToString());
          return;
        }
        logged_commits_[append.txid] = append.participants;
        Trace("coord COMMIT " + std::to_string(append.txid & 0xffffffff) + " durable");
        OnCoordinator(incarnation, [&](c::CoordinatorCore* core, c::CoreActions* out) {
          core->OnCommitLogged(append.txid, out);
        });
      });
    } else if (append.kind == c::LogAppend::Kind::kEnd) {
      const Status logged = node.log->LogEnd(append.txid);
      if (!logged.ok()) Violation("END record failed: " + logged.ToString());
    } else {
      const Status logged = node.log->LogMismatch(append.mismatch);
      if (!logged.ok()) Violation("mismatch record failed: " + logged.ToString());
    }
  }
  for (c::Reply& reply : actions.replies) {
    auto it = node.requests.find(reply.request_id);
    if (it == node.requests.end()) continue;
    const int client = it->second.first;  // named: a lambda cannot capture a structured binding
    const uint64_t tag = it->second.second;
    node.requests.erase(it);
    const Outcome outcome = reply.result.outcome;
    const std::string reason = reply.result.reason;
    Send(kCoordinator, -client - 1,
         "reply " + std::string(OutcomeName(outcome)) + " tag " + std::to_string(tag),
         [this, client, tag, outcome, reason] {
           Told(client, tag,
                outcome == Outcome::kCommitted ? Transfer::Told::kCommitted
                : outcome == Outcome::kAborted ? Transfer::Told::kAborted
                                               : Transfer::Told::kUnknown,
                reason);
         });
  }
  ScheduleTick();
}

// ---------------------------------------------------------------- participants

void World::StartParticipant(int id) {
  ParticipantNode& node = participants_[id - 1];
  p::SqliteStore::OpenOptions store_options;
  store_options.path = node.db;
  store_options.clock = &clock_;
  Status opened = p::SqliteStore::Open(store_options, &node.store);
  if (opened.ok()) {
    p::AgentOptions agent_options;
    agent_options.name = node.name;
    agent_options.coordinator = "coord";
    agent_options.checkpoint_bytes = 16 << 10;
    // In-doubt ages, prepared_at_ms and the bookkeeping table's pruning on
    // simulated time; lock waits and SQL budgets stay on the real clock.
    agent_options.clock = &clock_;
    wal::LogOptions log_options;
    log_options.dir = node.wal_dir;
    log_options.env = node.env.get();
    log_options.segment_bytes = 64 << 10;
    log_options.preallocate_bytes = 16 << 10;
    opened = p::Agent::Open(agent_options, node.store.get(), log_options, &node.agent);
  }
  if (!opened.ok()) {
    Violation(node.name + " cannot recover: " + opened.ToString());
    done_ = true;
    return;
  }
  node.source = std::make_unique<SimOutcomeSource>(this, id);
  p::ResolverOptions resolver_options;
  resolver_options.in_doubt_after = std::chrono::milliseconds(0);  // the sim paces the passes
  node.resolver =
      std::make_unique<p::Resolver>(node.agent.get(), node.source.get(), resolver_options);
  node.up = true;
  ++node.incarnation;
  Trace(node.name + " starts: " + std::to_string(node.agent->ListPrepared().size()) +
        " prepared in doubt");
  const uint64_t incarnation = node.incarnation;
  After(rng_.Uniform(50 * kMilli, 150 * kMilli),
        [this, id, incarnation] { ResolverPass(id, incarnation); });
}

void World::CrashParticipant(int id) {
  ParticipantNode& node = participants_[id - 1];
  if (!node.up) return;
  ++result_.crashes;
  Trace(node.name + " CRASHES");
  node.resolver.reset();
  node.source.reset();
  node.agent.reset();
  node.store.reset();
  node.up = false;
  ++node.incarnation;
  LoseUnsynced(node.env.get(), node.name);
}

void World::ResolverPass(int id, uint64_t incarnation) {
  ParticipantNode& node = participants_[id - 1];
  if (!node.up || node.incarnation != incarnation || done_) return;
  bool unreachable = false;
  int finished = 0;
  {
    Running running(this, id);
    finished = node.resolver->RunOnce(&unreachable);
  }
  if (finished > 0) Trace(node.name + " resolved " + std::to_string(finished) + " in doubt");
  After(rng_.Uniform(100 * kMilli, 300 * kMilli),
        [this, id, incarnation] { ResolverPass(id, incarnation); });
}

StatusOr<p::Decision> World::Inquire(int node, int64_t txid) {
  const std::string who = participants_[node - 1].name;
  if (!coordinator_.up || Cut(node, kCoordinator) || Cut(kCoordinator, node) ||
      (!healed_ && rng_.Chance(0.05))) {
    Trace(who + " asks about " + std::to_string(txid & 0xffffffff) + ": no answer");
    return Status::IoError("the coordinator did not answer");
  }
  c::Decision decision = coordinator_.core->Resolve(txid);
  if (options_.bug == Bug::kAbortLiveInquiry && decision == c::Decision::kInProgress) {
    decision = c::Decision::kAbort;
  }
  Trace(who + " asks about " + std::to_string(txid & 0xffffffff) + ": " +
        (decision == c::Decision::kCommit  ? "COMMIT"
         : decision == c::Decision::kAbort ? "ABORT"
                                           : "IN_PROGRESS"));
  switch (decision) {
    case c::Decision::kCommit:
      return p::Decision::kCommit;
    case c::Decision::kAbort:
      return p::Decision::kAbort;
    case c::Decision::kInProgress:
      break;
  }
  return p::Decision::kInProgress;
}

void World::ServePrepare(int id, const c::PrepareCall& call, uint64_t coordinator_incarnation) {
  ParticipantNode& node = participants_[id - 1];
  if (!node.up) return;
  Running running(this, id);
  std::vector<p::BranchRequest> branches;
  for (const c::PrepareItem& item : call.items) {
    p::BranchRequest& branch = branches.emplace_back();
    branch.txid = item.txid;
    branch.one_phase = item.one_phase;
    branch.waited = std::chrono::milliseconds(item.waited_ms);
    // Left at the agent's own limit: its SQL timer runs on the real clock,
    // and a run must not depend on how fast this machine is.
    branch.requested_ms = 0;
    for (const Statement& statement : *item.statements) {
      p::SqlStatement& sql = branch.statements.emplace_back();
      sql.sql = statement.sql;
      sql.expect_changes = statement.expect_changes;
      for (const Value& value : statement.params) sql.params.push_back(SqlValueOf(value));
    }
  }
  auto reply = std::make_shared<c::PrepareManyReply>();
  auto run = [&] {
    for (p::PrepareReply& answer : node.agent->PrepareMany(branches)) {
      reply->results.push_back(ReplyOf(std::move(answer)));
    }
  };
  if (call.commits.empty()) {
    run();
  } else {
    for (const Status& status : node.agent->CommitManyAround(call.commits, run)) {
      reply->commit_acks.push_back(AckOf(status));
    }
  }
  std::string votes;
  for (const c::PrepareReply& r : reply->results) {
    votes += r.try_again                          ? "R"
             : r.vote == c::BranchVote::kYes      ? "Y"
             : r.vote == c::BranchVote::kNo       ? "N"
             : r.vote == c::BranchVote::kReadOnly ? "r"
                                                  : "C";
  }
  const uint64_t call_id = call.call_id;
  Send(id, kCoordinator, "votes#" + std::to_string(call_id) + " " + votes,
       [this, call_id, reply, coordinator_incarnation] {
         OnCoordinator(coordinator_incarnation, [&](c::CoordinatorCore* core, c::CoreActions* out) {
           core->OnPrepareDone(call_id, std::nullopt, *reply, out);
         });
       });
}

// ---------------------------------------------------------------- clients

void World::NextTransfer(int client) {
  if (healed_ || done_) return;
  // A transfer between two accounts, maybe on two participants, sometimes
  // with a third participant that only records the tag or only reads.
  const int n = options_.participants;
  const int from = static_cast<int>(rng_.Uniform(0, n - 1));
  const int to = static_cast<int>(rng_.Uniform(0, n - 1));
  const int64_t from_account = static_cast<int64_t>(rng_.Uniform(1, options_.accounts));
  int64_t to_account = static_cast<int64_t>(rng_.Uniform(1, options_.accounts));
  if (from == to && to_account == from_account) to_account = to_account % options_.accounts + 1;
  const int64_t amount = static_cast<int64_t>(rng_.Uniform(1, 60));
  const uint64_t tag = next_tag_++;
  std::map<int, Branch> branches;
  auto branch = [&](int participant) -> Branch& {
    Branch& b = branches[participant];
    b.participant = names_[participant];
    return b;
  };
  branch(from).statements.push_back(
      Statement{"UPDATE accounts SET balance = balance - ? WHERE id = ?",
                {Value(amount), Value(from_account)},
                1});
  branch(to).statements.push_back(
      Statement{"UPDATE accounts SET balance = balance + ? WHERE id = ?",
                {Value(amount), Value(to_account)},
                1});
  if (rng_.Chance(0.2)) {
    const int extra = static_cast<int>(rng_.Uniform(0, n - 1));
    if (rng_.Chance(0.5)) {
      branch(extra).statements.push_back(Statement{
          "SELECT balance FROM accounts WHERE id = ?", {Value(int64_t{1})}, std::nullopt});
    } else {
      branch(extra);  // just the tag
    }
  }
  Transfer transfer;
  transfer.tag = tag;
  std::vector<Branch> request;
  for (auto& [participant, b] : branches) {
    const bool writes = participant == from || participant == to || b.statements.empty();
    if (writes) {
      b.statements.push_back(
          Statement{"INSERT INTO ledger(tag) VALUES (?)", {Value(static_cast<int64_t>(tag))}, 1});
      transfer.writers.push_back(b.participant);
    }
    request.push_back(std::move(b));
  }
  ExecuteOptions options;
  options.wait_applied = rng_.Chance(0.2);
  if (rng_.Chance(0.1)) options.deadline_ms = static_cast<int>(rng_.Uniform(2, 40));
  transfers_[tag] = transfer;
  clients_[client].waiting = true;
  clients_[client].tag = tag;
  Trace("client" + std::to_string(client) + " sends tag " + std::to_string(tag) + " (" +
        std::to_string(request.size()) + " branches)");
  auto shared = std::make_shared<std::vector<Branch>>(std::move(request));
  Send(-client - 1, kCoordinator, "execute tag " + std::to_string(tag),
       [this, client, tag, shared, options] {
         CoordinatorNode& node = coordinator_;
         if (!node.up) return;
         const uint64_t request_id = node.next_request++;
         c::CoreActions actions;
         StatusOr<int64_t> txid = node.core->Submit(request_id, *shared, options, &actions);
         if (!txid.ok()) {
           Told(client, tag, Transfer::Told::kRefused, txid.status().message());
           return;
         }
         ++result_.transactions;
         transfers_[tag].txid = *txid;
         tag_of_txid_[*txid] = tag;
         node.requests[request_id] = {client, tag};
         Trace("coord txid " + std::to_string(*txid & 0xffffffff) + " for tag " +
               std::to_string(tag));
         Apply(std::move(actions));
       });
  // The client gives up after a while: the outcome is then unknown to it.
  After(kClientTimeout, [this, client, tag] {
    if (clients_[client].waiting && clients_[client].tag == tag) {
      Told(client, tag, Transfer::Told::kUnknown, "timed out");
    }
  });
}

void World::Told(int client, uint64_t tag, Transfer::Told told, const std::string& why) {
  ClientState& state = clients_[client];
  if (!state.waiting || state.tag != tag) return;  // a duplicate, or after its timeout
  state.waiting = false;
  Transfer& transfer = transfers_[tag];
  transfer.told = told;
  switch (told) {
    case Transfer::Told::kCommitted:
      ++result_.committed;
      break;
    case Transfer::Told::kAborted:
    case Transfer::Told::kRefused:
      ++result_.aborted;
      break;
    default:
      ++result_.unknown;
  }
  Trace("client" + std::to_string(client) + " tag " + std::to_string(tag) + " told " +
        (told == Transfer::Told::kCommitted ? "COMMITTED"
         : told == Transfer::Told::kAborted ? "ABORTED"
         : told == Transfer::Told::kRefused ? "REFUSED"
                                            : "UNKNOWN") +
        (why.empty() ? "" : ": " + why));
  After(rng_.Uniform(0, 5 * kMilli), [this, client] { NextTransfer(client); });
}

// ---------------------------------------------------------------- faults

void World::Crash(int node, const std::string& why) {
  const Nanos down = rng_.Uniform(1 * kMilli, 300 * kMilli);
  if (node == kCoordinator) {
    if (!why.empty()) Trace("coord reaches " + why);
    CrashCoordinator();
    After(down, [this] {
      if (!coordinator_.up && !done_) StartCoordinator();
    });
  } else {
    if (!why.empty()) Trace(participants_[node - 1].name + " reaches " + why);
    CrashParticipant(node);
    After(down, [this, node] {
      if (!participants_[node - 1].up && !done_) StartParticipant(node);
    });
  }
}

void World::AtFailPoint(const char* name) {
  if (running_ < 0 || healed_ || done_) return;
  if (rng_.Chance(0.004)) throw SimCrash{running_, name};
}

void World::Chaos() {
  if (healed_ || done_) return;
  const uint64_t what = rng_.Uniform(0, 9);
  const int nodes = options_.participants + 1;
  const int node = static_cast<int>(rng_.Uniform(0, nodes - 1));
  if (what < 3) {
    Crash(node, "");
  } else if (what < 6) {
    const int participant = static_cast<int>(rng_.Uniform(1, options_.participants));
    const uint64_t how = rng_.Uniform(0, 2);
    std::vector<std::pair<int, int>> links;
    if (how != 1) links.emplace_back(kCoordinator, participant);
    if (how != 2) links.emplace_back(participant, kCoordinator);
    ++result_.partitions;
    for (const auto& link : links) {
      cut_.insert(link);
      Trace("partition " + NodeName(link.first) + "->" + NodeName(link.second));
    }
    After(rng_.Uniform(5 * kMilli, 500 * kMilli), [this, links] {
      for (const auto& link : links) {
        if (cut_.erase(link)) Trace("heal " + NodeName(link.first) + "->" + NodeName(link.second));
      }
    });
  }
  After(rng_.Uniform(20 * kMilli, 150 * kMilli), [this] { Chaos(); });
}

void World::Heal() {
  healed_ = true;
  cut_.clear();
  Trace("HEAL: no more faults or new transfers; everything restarts");
  if (!coordinator_.up) StartCoordinator();
  for (int id = 1; id <= options_.participants; ++id) {
    if (!participants_[id - 1].up) StartParticipant(id);
  }
}

bool World::Settled(std::string* why) {
  for (size_t client = 0; client < clients_.size(); ++client) {
    if (clients_[client].waiting) {
      *why = "client" + std::to_string(client) + " still waits";
      return false;
    }
  }
  if (!coordinator_.up) {
    *why = "the coordinator is down";
    return false;
  }
  if (coordinator_.core->live() > 0 || coordinator_.core->undelivered() > 0) {
    *why = std::to_string(coordinator_.core->live()) + " live and " +
           std::to_string(coordinator_.core->undelivered()) + " undelivered at the coordinator";
    return false;
  }
  for (ParticipantNode& node : participants_) {
    if (!node.up) {
      *why = node.name + " is down";
      return false;
    }
    const std::vector<int64_t> prepared = node.agent->ListPrepared();
    if (!prepared.empty()) {
      *why = node.name + " holds " + std::to_string(prepared.size()) + " prepared [" +
             ShortList(prepared) + "]";
      return false;
    }
  }
  return true;
}

void World::Check() {
  std::map<std::string, std::set<int64_t>> tags;
  int64_t total = 0;
  for (ParticipantNode& node : participants_) {
    const p::Agent::LockedRows locked = node.agent ? node.agent->Locked() : p::Agent::LockedRows{};
    if (locked.exclusive + locked.shared > 0) {
      Violation(node.name + " still locks " + std::to_string(locked.exclusive + locked.shared) +
                " rows after settling");
    }
    for (int64_t tag : QueryIntegers(node.db, "SELECT tag FROM ledger"))
      tags[node.name].insert(tag);
    for (int64_t balance : QueryIntegers(node.db, "SELECT balance FROM accounts")) total += balance;
  }
  const int64_t expected = kInitialBalance * options_.accounts * options_.participants;
  if (total != expected) {
    Violation("total balance " + std::to_string(total) + ", expected " + std::to_string(expected));
  }
  for (const auto& [tag, transfer] : transfers_) {
    std::vector<std::string> present;
    for (const std::string& name : transfer.writers) {
      if (tags[name].count(static_cast<int64_t>(tag))) present.push_back(name);
    }
    const bool all = present.size() == transfer.writers.size();
    const bool none = present.empty();
    const std::string what = "tag " + std::to_string(tag) + " (txid " +
                             std::to_string(transfer.txid & 0xffffffff) + ") is on " +
                             std::to_string(present.size()) + " of its " +
                             std::to_string(transfer.writers.size()) + " participants";
    if (!all && !none) Violation(what + ": not atomic");
    if (transfer.told == Transfer::Told::kCommitted && !all) Violation(what + " but was COMMITTED");
    if ((transfer.told == Transfer::Told::kAborted || transfer.told == Transfer::Told::kRefused) &&
        !none) {
      Violation(what + " but was ABORTED");
    }
    if (transfer.txid != 0 && logged_commits_.count(transfer.txid) && !all) {
      Violation(what + " but its COMMIT was logged");
    }
  }
}

SimResult World::Run() {
  if (options_.dir.empty()) {
    const char* base = std::getenv("TMPDIR");
    std::string root = std::filesystem::exists("/dev/shm") ? "/dev/shm" : (base ? base : "/tmp");
    std::string pattern = root + "/twopc-sim-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
      result_.violations.push_back("cannot create a temp dir under " + root);
      return result_;
    }
    dir_ = buffer.data();
  } else {
    dir_ = options_.dir;
    std::filesystem::create_directories(dir_);
  }
  for (int i = 0; i < options_.participants; ++i) names_.push_back("p" + std::to_string(i));
  coordinator_.wal_dir = dir_ + "/coord-wal";
  coordinator_.env = std::make_unique<wal::FaultInjectionEnv>(base_env_);
  participants_.resize(options_.participants);
  for (int i = 0; i < options_.participants; ++i) {
    ParticipantNode& node = participants_[i];
    node.name = names_[i];
    node.db = dir_ + "/" + node.name + ".db";
    node.wal_dir = dir_ + "/" + node.name + "-wal";
    node.env = std::make_unique<wal::FaultInjectionEnv>(base_env_);
    node.env->SetSyncLies(options_.bug == Bug::kSyncLies);
    std::string schema =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL "
        "CHECK (balance >= 0));"
        "CREATE TABLE ledger(tag INTEGER PRIMARY KEY);";
    for (int a = 1; a <= options_.accounts; ++a) {
      schema += "INSERT INTO accounts VALUES (" + std::to_string(a) + ", " +
                std::to_string(kInitialBalance) + ");";
    }
    const Status created = Exec(node.db, schema);
    if (!created.ok()) {
      result_.violations.push_back("setup: " + created.ToString());
      return result_;
    }
  }
  StartCoordinator();
  for (int id = 1; id <= options_.participants; ++id) StartParticipant(id);
  clients_.resize(options_.clients);
  for (int client = 0; client < options_.clients; ++client) {
    After(rng_.Uniform(0, 2 * kMilli), [this, client] { NextTransfer(client); });
  }
  After(rng_.Uniform(5 * kMilli, 50 * kMilli), [this] { Chaos(); });
  const Nanos heal_at = options_.chaos.count() * kMilli;
  At(heal_at, [this] { Heal(); });
  const Nanos limit = heal_at + options_.settle_limit.count() * kMilli;
  std::function<void()> settle = [&] {
    std::string why;
    if (Settled(&why)) {
      Trace("settled");
      done_ = true;
      return;
    }
    if (clock_.now() >= limit) {
      Violation("did not settle within " + std::to_string(options_.settle_limit.count()) +
                " ms of healing: " + why);
      done_ = true;
      return;
    }
    After(50 * kMilli, settle);
  };
  At(heal_at + 10 * kMilli, settle);

  while (!queue_.empty() && !done_) {
    Event event = queue_.top();
    queue_.pop();
    clock_.Set(event.at);
    ++result_.events;
    try {
      event.run();
    } catch (const SimCrash& crash) {
      Crash(crash.node, "fail point " + crash.point);
    }
  }
  // Also when it did not settle: what it left may say why.
  if (done_) Check();
  result_.simulated_seconds = static_cast<double>(clock_.now()) / (1000 * kMilli);
  result_.trace_hash = hash_;
  result_.trace.assign(trace_.begin(), trace_.end());
  // Close everything before the files go.
  for (ParticipantNode& node : participants_) {
    node.resolver.reset();
    node.agent.reset();
    node.store.reset();
  }
  coordinator_.core.reset();
  coordinator_.log.reset();
  if (options_.dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  return result_;
}

}  // namespace

namespace {
// The world whose processes the code on this thread belongs to.
thread_local World* current_world = nullptr;
}  // namespace

SimResult RunSimulation(const SimOptions& options) {
  // The components log what they do; a run's story is its trace instead.
  const int32_t log_level = FLAGS_minloglevel;
  FLAGS_minloglevel = google::GLOG_FATAL;
  World world(options);
  current_world = &world;
  SetFailPointHandler([](const char* name) {
    if (current_world != nullptr) current_world->AtFailPoint(name);
  });
  SimResult result = world.Run();
  SetFailPointHandler(nullptr);
  current_world = nullptr;
  FLAGS_minloglevel = log_level;
  return result;
}

}  // namespace twopc::sim
