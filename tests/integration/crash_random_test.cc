// A seeded randomized crash test on the standard bank workload: client threads
// run two-branch transfers through a real cluster (txcoord + three txpart)
// while a chaos thread SIGKILLs random processes at random moments, or
// restarts one with a random fail point armed, and brings them back. At the
// end everything is restarted, nothing may stay in doubt, the total balance
// is unchanged, and each transfer's client-observed outcome agrees with the
// databases: COMMITTED on both, ABORTED on neither, UNKNOWN on both or neither.
//
// Each branch also inserts a row (transfer id, signed amount) into a
// `transfers` table, so the databases say which branches were applied.
//
// Environment: TWOPC_CRASH_SEED (default: from the clock), TWOPC_CRASH_SECONDS
// (default 10), TWOPC_CRASH_CLIENTS (default 4). tools/crash_soak.sh runs it
// long. The seed and the counts are printed with the result.
#include <signal.h>
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <thrift/TOutput.h>

#include "gen-cpp/Coordinator.h"
#include "tests/integration/cluster.h"
#include "thrift/rpc/rpc_util.h"

namespace twopc::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kParticipants = 3;
constexpr int kAccounts = 1000;
constexpr int64_t kBalance = 1000;
// Bounds (deadlines, not timings).
constexpr int kSettleDeadlineMs = 60000;
constexpr int kClientIoTimeoutMs = 60000;
constexpr int kConnectTimeoutMs = 2000;

const char kFailPointMessage[] = "fail point reached, killing this process: ";

const std::vector<std::string> kParticipantFailPoints = {
    "participant_before_prepared_sync", "participant_after_prepared_sync",
    "participant_before_apply", "participant_after_apply"};
const std::vector<std::string> kCoordinatorFailPoints = {
    "coordinator_before_commit_logged", "coordinator_after_commit_logged",
    "coordinator_after_first_commit_delivered"};

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::strtoll(value, nullptr, 10);
}

// What the client was told.
enum class Seen {
  kCommitted,
  kAborted,
  kUnknown,  // the call failed after the request may have been sent
  kNotSent,  // no connection: the request never left the client
};

const char* Name(Seen seen) {
  switch (seen) {
    case Seen::kCommitted:
      return "COMMITTED";
    case Seen::kAborted:
      return "ABORTED";
    case Seen::kUnknown:
      return "UNKNOWN";
    case Seen::kNotSent:
      return "NOT_SENT";
  }
  return "?";
}

struct Transfer {
  int64_t id = 0;
  int source = 0;       // participant index
  int destination = 0;  // participant index
  int from_account = 0;
  int to_account = 0;
  int amount = 0;
  Seen seen = Seen::kUnknown;
  int64_t txid = -1;  // when the coordinator answered
  std::string detail;
};

rpc::Statement Sql(const std::string& sql) {
  rpc::Statement statement;
  statement.sql = sql;
  return statement;
}

rpc::Branch BranchOf(int participant, int account, int delta, int64_t transfer_id) {
  rpc::Branch branch;
  branch.participant = "p" + std::to_string(participant);
  branch.statements = {Sql("UPDATE accounts SET balance = balance + (" + std::to_string(delta) +
                           ") WHERE id = " + std::to_string(account)),
                       Sql("INSERT INTO transfers(id, amount) VALUES(" +
                           std::to_string(transfer_id) + ", " + std::to_string(delta) + ")")};
  return branch;
}

void QuietThrift(const char* /*message*/) {}

// One client: transfers until told to stop, each recorded with what it was told.
class Client {
 public:
  Client(const std::string& coordinator, uint64_t seed, std::atomic<int64_t>* next_id)
      : random_(seed), next_id_(next_id) {
    const StatusOr<rpc::HostPort> address = rpc::ParseHostPort(coordinator);
    if (address.ok()) address_ = *address;
  }

  void Run(const std::atomic<bool>& stop) {
    while (!stop.load()) transfers_.push_back(RunOne());
  }

  const std::vector<Transfer>& transfers() const { return transfers_; }

 private:
  Transfer RunOne() {
    Transfer t;
    t.id = next_id_->fetch_add(1);
    t.source = Uniform(0, kParticipants - 1);
    t.destination = (t.source + Uniform(1, kParticipants - 1)) % kParticipants;
    t.from_account = Uniform(0, kAccounts - 1);
    t.to_account = Uniform(0, kAccounts - 1);
    t.amount = Uniform(1, 10);
    rpc::ExecuteRequest request;
    request.branches = {BranchOf(t.source, t.from_account, -t.amount, t.id),
                        BranchOf(t.destination, t.to_account, t.amount, t.id)};

    if (!client_) {
      client_ = std::make_unique<rpc::RpcClient<rpc::CoordinatorClient>>(
          address_, kConnectTimeoutMs, kClientIoTimeoutMs);
    }
    try {
      client_->EnsureOpen();
    } catch (const apache::thrift::TException& e) {
      client_.reset();
      t.seen = Seen::kNotSent;
      t.detail = e.what();
      // The coordinator is down: retry a little later rather than spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      return t;
    }
    try {
      rpc::ExecuteResult result;
      (*client_)->execute(result, request);
      t.txid = result.txid;
      t.detail = result.reason;
      if (result.outcome == rpc::Outcome::COMMITTED) {
        t.seen = Seen::kCommitted;
      } else if (result.outcome == rpc::Outcome::ABORTED) {
        t.seen = Seen::kAborted;
      } else {
        t.seen = Seen::kUnknown;
      }
    } catch (const rpc::TxError& e) {
      t.seen = Seen::kUnknown;
      t.detail = "TxError: " + e.message;
    } catch (const apache::thrift::TException& e) {
      client_.reset();  // the connection is broken
      t.seen = Seen::kUnknown;
      t.detail = e.what();
    }
    return t;
  }

  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

  rpc::HostPort address_;
  std::mt19937_64 random_;
  std::atomic<int64_t>* next_id_;
  std::unique_ptr<rpc::RpcClient<rpc::CoordinatorClient>> client_;
  std::vector<Transfer> transfers_;
};

// The transfer rows of one database: id -> signed amount.
std::map<int64_t, int64_t> ReadTransfers(const std::string& db_path, std::string* error) {
  std::map<int64_t, int64_t> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    *error = db_path + ": " + sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT id, amount FROM transfers", -1, &statement, nullptr) !=
      SQLITE_OK) {
    *error = db_path + ": " + sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(statement) == SQLITE_ROW) {
      rows[sqlite3_column_int64(statement, 0)] = sqlite3_column_int64(statement, 1);
    }
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return rows;
}

// Kills processes at random and brings them back, until told to stop.
class Chaos {
 public:
  Chaos(Cluster* cluster, uint64_t seed) : cluster_(cluster), random_(seed) {}

  void Run(const std::atomic<bool>& stop) {
    while (!stop.load()) {
      // The next crash comes at a random moment; meanwhile, whatever died at
      // an armed fail point is brought back clean.
      const auto next = Clock::now() + std::chrono::milliseconds(Uniform(200, 1500));
      while (!stop.load() && Clock::now() < next && failures_.empty()) {
        ReviveTheDead();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling interval
      }
      if (stop.load() || !failures_.empty()) break;
      Strike();
    }
    if (!failures_.empty()) failed_.store(true);
  }

  // Restarts every process clean (killing the living), so nothing stays armed.
  void RestartAll() {
    for (int i = 0; i < cluster_->size(); ++i) CountIfDead(Victim(i));
    CountIfDead(Victim(cluster_->size()));
    std::string error;
    if (!cluster_->RestartCoordinator(&error)) failures_.push_back(error);
    for (int i = 0; i < cluster_->size(); ++i) {
      if (!cluster_->RestartParticipant(i, &error)) failures_.push_back(error);
    }
  }

  // True once Run gave up (a process could not be brought back): thread-safe.
  bool failed() const { return failed_.load(); }
  int kills() const { return kills_; }
  int fail_point_deaths() const { return fail_point_deaths_; }
  int armed() const { return armed_; }
  const std::vector<std::string>& failures() const { return failures_; }
  const std::vector<std::string>& events() const { return events_; }

 private:
  // Victim index: 0..size-1 are participants, size is the coordinator.
  Process& Victim(int v) {
    return v == cluster_->size() ? cluster_->coordinator() : cluster_->participant(v);
  }
  std::string VictimName(int v) const {
    return v == cluster_->size() ? "coordinator" : cluster_->participant_name(v);
  }

  bool Restart(int v, const std::vector<std::string>& env, std::string* error) {
    return v == cluster_->size() ? cluster_->RestartCoordinator(error, env)
                                 : cluster_->RestartParticipant(v, error, env);
  }

  // Counts a process that died on its own; true if it had.
  bool CountIfDead(Process& process) {
    if (process.Running()) return false;
    const std::string log = process.LogTail(2000);
    const bool at_fail_point =
        process.term_signal() == SIGKILL && log.find(kFailPointMessage) != std::string::npos;
    if (at_fail_point) {
      ++fail_point_deaths_;
    } else {
      failures_.push_back("a process died unexpectedly (signal " +
                          std::to_string(process.term_signal()) + ", exit code " +
                          std::to_string(process.exit_code()) + "):\n" + log);
    }
    return true;
  }

  void ReviveTheDead() {
    for (int v = 0; v <= cluster_->size(); ++v) {
      if (!CountIfDead(Victim(v))) continue;
      events_.push_back(VictimName(v) + " died at its fail point; restarted clean");
      std::string error;
      if (!Restart(v, {}, &error))
        failures_.push_back("restarting " + VictimName(v) + ": " + error);
    }
  }

  void Strike() {
    const int v = Uniform(0, cluster_->size());
    const bool is_coordinator = v == cluster_->size();
    if (!CountIfDead(Victim(v))) {
      Victim(v).Kill();
      ++kills_;
    }
    std::vector<std::string> env;
    std::string what = "killed " + VictimName(v);
    if (Uniform(0, 2) == 0) {
      // Come back armed: it will kill itself at that point when a transfer gets there.
      const std::vector<std::string>& points =
          is_coordinator ? kCoordinatorFailPoints : kParticipantFailPoints;
      const std::string point =
          points[static_cast<size_t>(Uniform(0, static_cast<int>(points.size()) - 1))];
      env = {"TWOPC_FAILPOINTS=" + point};
      what += ", restarted with " + point + " armed";
      ++armed_;
    }
    events_.push_back(what);
    std::string error;
    if (!Restart(v, env, &error) && env.empty()) {
      failures_.push_back("restarting " + VictimName(v) + ": " + error);
    }
    // An armed restart may die before answering: ReviveTheDead counts it.
  }

  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

  Cluster* cluster_;
  std::mt19937_64 random_;
  int kills_ = 0;
  int fail_point_deaths_ = 0;
  int armed_ = 0;
  std::atomic<bool> failed_{false};
  std::vector<std::string> failures_;
  std::vector<std::string> events_;
};

class CrashRandomTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  TempDir dir_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(CrashRandomTest, RandomKillsDuringTransfersKeepEveryTransferAtomic) {
  apache::thrift::GlobalOutput.setOutputFunction(QuietThrift);
  const uint64_t seed = static_cast<uint64_t>(EnvInt(
      "TWOPC_CRASH_SEED", std::chrono::system_clock::now().time_since_epoch().count() % 1000000));
  const int64_t seconds = EnvInt("TWOPC_CRASH_SECONDS", 10);
  const int clients = static_cast<int>(EnvInt("TWOPC_CRASH_CLIENTS", 4));
  std::cout << "crash_random: seed=" << seed << " seconds=" << seconds << " clients=" << clients
            << " (rerun with TWOPC_CRASH_SEED=" << seed << ")" << std::endl;
  RecordProperty("seed", std::to_string(seed));

  cluster_ = std::make_unique<Cluster>(dir_.path());
  Cluster::Options options;
  options.participants = kParticipants;
  options.accounts = kAccounts;
  options.balance = kBalance;
  options.prepare_timeout_ms = 3000;
  options.schema_sql = "CREATE TABLE transfers(id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);";
  // Small checkpoints, so log truncation happens under fire too.
  options.participant_flags = {"--in_doubt_after_ms=300", "--wal_checkpoint_bytes=65536"};
  options.coordinator_flags = {"--wal_checkpoint_bytes=16384"};
  std::string error;
  ASSERT_TRUE(cluster_->Start(options, &error)) << error;

  // Run: clients and chaos together.
  std::atomic<int64_t> next_id{1};
  std::vector<std::unique_ptr<Client>> workers;
  for (int i = 0; i < clients; ++i) {
    workers.push_back(std::make_unique<Client>(
        cluster_->coordinator_address(), seed * 1000003 + static_cast<uint64_t>(i) + 1, &next_id));
  }
  std::atomic<bool> stop_clients{false};
  std::atomic<bool> stop_chaos{false};
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([&stop_clients, w = worker.get()] { w->Run(stop_clients); });
  }
  // The chaos thread starts processes, and a child dies with the thread that
  // started it (PR_SET_PDEATHSIG): so that thread also restarts everything at
  // the end, then lives on until the checks are done.
  Chaos chaos(cluster_.get(), seed);
  std::promise<void> restarted;
  std::promise<void> release;
  std::thread chaos_thread([&, done = release.get_future()] {
    chaos.Run(stop_chaos);
    chaos.RestartAll();
    restarted.set_value();
    done.wait();
  });
  struct JoinChaos {
    std::atomic<bool>* stop;
    std::promise<void>* release;
    std::thread* thread;
    ~JoinChaos() {
      stop->store(true);
      release->set_value();
      thread->join();
    }
  } join_chaos{&stop_chaos, &release, &chaos_thread};
  // Run for the workload's length, unless the chaos gives up first.
  WaitFor([&] { return chaos.failed(); }, static_cast<int>(seconds * 1000));
  stop_clients.store(true);
  for (std::thread& thread : threads) thread.join();
  stop_chaos.store(true);
  restarted.get_future().wait();

  // Settle: everything was restarted clean; nothing may stay in doubt.
  for (const std::string& failure : chaos.failures()) ADD_FAILURE() << failure;
  ASSERT_TRUE(chaos.failures().empty());
  const bool settled = WaitFor([&] { return cluster_->NothingInDoubt(); }, kSettleDeadlineMs);

  // Check.
  std::vector<std::string> violations;
  if (!settled) violations.push_back("a transaction is still in doubt or undelivered");
  std::vector<std::map<int64_t, int64_t>> rows(kParticipants);
  int64_t total = 0;
  for (int p = 0; p < kParticipants; ++p) {
    std::string read_error;
    rows[static_cast<size_t>(p)] = ReadTransfers(cluster_->db_path(p), &read_error);
    if (!read_error.empty()) violations.push_back(read_error);
    const std::vector<int64_t> balances = ReadBalances(cluster_->db_path(p));
    if (balances.size() != static_cast<size_t>(kAccounts)) {
      violations.push_back(cluster_->participant_name(p) + " has " +
                           std::to_string(balances.size()) + " accounts");
    }
    int64_t sum = 0;
    for (int64_t balance : balances) sum += balance;
    int64_t moved = 0;
    for (const auto& [id, amount] : rows[static_cast<size_t>(p)]) moved += amount;
    if (sum != kAccounts * kBalance + moved) {
      violations.push_back(cluster_->participant_name(p) + ": balances sum to " +
                           std::to_string(sum) + " but its transfer rows say " +
                           std::to_string(kAccounts * kBalance + moved));
    }
    total += sum;
  }
  if (total != kParticipants * kAccounts * kBalance) {
    violations.push_back("total balance " + std::to_string(total) +
                         " != " + std::to_string(kParticipants * kAccounts * kBalance));
  }

  std::map<Seen, int> counts;
  std::set<int64_t> known_ids;
  for (const auto& worker : workers) {
    for (const Transfer& t : worker->transfers()) {
      ++counts[t.seen];
      known_ids.insert(t.id);
      const auto& source_rows = rows[static_cast<size_t>(t.source)];
      const auto& destination_rows = rows[static_cast<size_t>(t.destination)];
      const auto at_source = source_rows.find(t.id);
      const auto at_destination = destination_rows.find(t.id);
      const bool on_source = at_source != source_rows.end();
      const bool on_destination = at_destination != destination_rows.end();
      bool ok = true;
      switch (t.seen) {
        case Seen::kCommitted:
          ok = on_source && on_destination;
          break;
        case Seen::kAborted:
        case Seen::kNotSent:
          ok = !on_source && !on_destination;
          break;
        case Seen::kUnknown:
          ok = on_source == on_destination;
          break;
      }
      if (ok && on_source) ok = at_source->second == -t.amount;
      if (ok && on_destination) ok = at_destination->second == t.amount;
      if (!ok) {
        std::ostringstream out;
        out << "transfer " << t.id << " (txid " << t.txid << ", p" << t.source << "["
            << t.from_account << "] -> p" << t.destination << "[" << t.to_account << "], "
            << t.amount << ") seen " << Name(t.seen) << " (" << t.detail << ") but it is "
            << (on_source ? "" : "not ") << "on p" << t.source << " and "
            << (on_destination ? "" : "not ") << "on p" << t.destination;
        violations.push_back(out.str());
      }
    }
  }
  for (int p = 0; p < kParticipants; ++p) {
    for (const auto& [id, amount] : rows[static_cast<size_t>(p)]) {
      if (!known_ids.count(id)) {
        violations.push_back("p" + std::to_string(p) + " holds transfer row " + std::to_string(id) +
                             " that no client sent");
      }
    }
  }

  const int crashes = chaos.kills() + chaos.fail_point_deaths();
  int transactions = 0;
  for (const auto& [seen, n] : counts) transactions += n;
  std::cout << "crash_random: seed=" << seed << " seconds=" << seconds << " crashes=" << crashes
            << " (kills=" << chaos.kills() << ", fail_point_deaths=" << chaos.fail_point_deaths()
            << ", armed_restarts=" << chaos.armed() << ") transactions=" << transactions
            << " committed=" << counts[Seen::kCommitted] << " aborted=" << counts[Seen::kAborted]
            << " unknown=" << counts[Seen::kUnknown] << " not_sent=" << counts[Seen::kNotSent]
            << " violations=" << violations.size() << std::endl;
  if (!violations.empty()) {
    for (const std::string& event : chaos.events()) std::cout << "  chaos: " << event << "\n";
  }
  for (size_t i = 0; i < violations.size() && i < 50; ++i) {
    std::cout << "  VIOLATION: " << violations[i] << "\n";
  }
  EXPECT_EQ(violations.size(), 0u) << "seed " << seed;
  EXPECT_GT(counts[Seen::kCommitted], 0) << "no transfer committed: the run proves nothing";
}

}  // namespace
}  // namespace twopc::testing
