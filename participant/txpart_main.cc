// txpart: the participant agent beside one SQLite database.
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "gen-cpp/Participant.h"
#include "participant/agent.h"
#include "participant/coordinator_outcome_source.h"
#include "participant/participant_admin.h"
#include "participant/participant_service.h"
#include "participant/resolver.h"
#include "participant/sqlite_hardening.h"
#include "thrift/rpc/rpc_util.h"
#include "thrift/rpc/secure_processors.h"
#include "thrift/server/batch_scheduling.h"
#include "thrift/server/gflags_program.h"
#include "thrift/server/malloc_arenas.h"
#include "thrift/server/security_flags.h"
#include "thrift/server/signal_waiter.h"
#include "wal/dir_lock.h"

DEFINE_string(name, "", "this participant's name, as the coordinator knows it (required)");
DEFINE_string(listen, "127.0.0.1:7701", "HOST:PORT to serve the Participant service on");
DEFINE_string(db, "", "the SQLite database file (required; must exist unless --create_db)");
DEFINE_bool(create_db, false, "create an empty database if --db does not exist");
DEFINE_string(wal_dir, "", "directory of this agent's write-ahead log (required)");
DEFINE_string(coordinator, "", "HOST:PORT of the coordinator, asked about in-doubt transactions");
DEFINE_int32(lock_wait_ms, 1000,
             "how long a branch waits for a row held by a prepared transaction");
DEFINE_int32(in_doubt_after_ms, 2000,
             "ask the coordinator about a prepared transaction that has waited this long");
DEFINE_uint64(wal_checkpoint_bytes, 4 << 20,
              "checkpoint and truncate the WAL after this many bytes were appended");
DEFINE_int32(max_frame_bytes, twopc::rpc::kDefaultMaxFrameBytes, "largest RPC accepted");
// Above txcoord's --max_in_flight default: each transaction in flight may
// hold one connection to this participant, besides commit delivery.
DEFINE_int32(max_connections, 2048,
             "connections served at once; one more gets a 'too many connections' error");
DEFINE_int32(idle_timeout_ms, 60000,
             "close a connection that sends nothing for this long (0: never)");
DEFINE_int32(max_statements, 1000, "most statements in one prepare");
DEFINE_int32(max_sql_bytes, 1 << 20, "longest SQL text of one statement");
DEFINE_int32(max_value_bytes, 1 << 20, "largest TEXT or BLOB parameter");
DEFINE_int32(max_statement_ms, 10000,
             "longest a branch's SQL may run before it is interrupted and votes NO (a prepare "
             "may ask for less)");
DEFINE_int32(max_query_ms, 5000, "longest a query may run before it is interrupted");
DEFINE_int64(max_result_bytes, 8 << 20, "most bytes the rows of one query may hold");
DEFINE_int64(max_branch_read_bytes, 64 << 10,
             "most bytes the rows one branch's SELECTs read may take in its reply (the rows of "
             "up to 64 branches share one reply)");
DEFINE_int64(max_sql_value_bytes, 0,
             "longest string or BLOB (and table row) client SQL may build "
             "(SQLITE_LIMIT_LENGTH); 0: --max_frame_bytes");
DEFINE_int64(sqlite_heap_limit_bytes, 512 << 20,
             "most memory SQLite may hold in this process (sqlite3_hard_heap_limit64); past it "
             "a statement fails with 'out of memory' (0: no limit)");
DEFINE_bool(sqlite_trusted_schema, false,
            "let views, triggers, CHECK, DEFAULT and generated columns use functions SQLite does "
            "not mark innocuous (e.g. the JSON functions of SQLite 3.40)");
DEFINE_string(admin_listen, "",
              "HOST:PORT to serve /metrics (Prometheus) and the status page on (off if empty)");

namespace {

const char kHelp[] = R"(txpart: the twopc participant agent beside one SQLite database.

Usage:
  txpart --name NAME --db FILE --wal-dir DIR --coordinator HOST:PORT [flags]
  txpart --config FILE [flags]

Examples:
  txpart --name p1 --listen 127.0.0.1:7701 --db bank.db --wal-dir p1-wal \
         --coordinator 127.0.0.1:7700
  txpart --config /etc/twopc/txpart-p1.conf --log_format=json

Exit codes:
  0  stopped by SIGTERM or SIGINT
  1  cannot serve on --listen
  2  bad flag or config file, or cannot start (database missing, write-ahead
     log locked or corrupt)
)";

int Fail(const std::string& message) {
  twopc::program::ReportError("txpart", message);
  return twopc::program::kExitCannotStart;
}

}  // namespace

int main(int argc, char** argv) {
  twopc::LimitMallocArenas();  // before any thread starts
  twopc::program::ParsedArgs args;
  if (std::optional<int> rc =
          twopc::program::StartGflagsProgram({"txpart", kHelp, {}}, argc, argv, &args)) {
    return *rc;
  }
  twopc::rpc::ApplySchedulingFlag();  // before any thread starts, so that all inherit it
  if (FLAGS_name.empty()) return Fail("--name is required");
  if (FLAGS_db.empty()) return Fail("--db is required");
  if (FLAGS_wal_dir.empty()) return Fail("--wal-dir is required");
  if (FLAGS_lock_wait_ms < 0 || FLAGS_in_doubt_after_ms < 0) return Fail("timeouts must be >= 0");
  if (FLAGS_max_frame_bytes <= 0 || FLAGS_max_statements <= 0 || FLAGS_max_sql_bytes <= 0 ||
      FLAGS_max_value_bytes <= 0) {
    return Fail("--max_* limits must be > 0");
  }
  if (FLAGS_max_statement_ms <= 0 || FLAGS_max_query_ms <= 0 || FLAGS_max_result_bytes <= 0 ||
      FLAGS_max_branch_read_bytes <= 0) {
    return Fail(
        "--max_statement_ms, --max_query_ms, --max_result_bytes and --max_branch_read_bytes "
        "must be > 0");
  }
  if (FLAGS_max_sql_value_bytes < 0 || FLAGS_sqlite_heap_limit_bytes < 0) {
    return Fail("--max_sql_value_bytes and --sqlite_heap_limit_bytes must be >= 0");
  }
  if (FLAGS_max_connections < 0 || FLAGS_idle_timeout_ms < 0) {
    return Fail("--max_connections and --idle_timeout_ms must be >= 0 (0: no limit)");
  }
  const twopc::StatusOr<twopc::rpc::HostPort> parsed_listen =
      twopc::rpc::ParseHostPort(FLAGS_listen);
  if (!parsed_listen.ok()) return Fail("--listen: " + parsed_listen.status().message());
  const twopc::rpc::HostPort listen = *parsed_listen;
  twopc::rpc::HostPort admin_listen;
  if (!FLAGS_admin_listen.empty()) {
    const twopc::StatusOr<twopc::rpc::HostPort> parsed =
        twopc::rpc::ParseHostPort(FLAGS_admin_listen);
    if (!parsed.ok()) return Fail("--admin-listen: " + parsed.status().message());
    admin_listen = *parsed;
  }
  if (FLAGS_coordinator.empty()) return Fail("--coordinator is required");
  const twopc::StatusOr<twopc::rpc::HostPort> parsed_coordinator =
      twopc::rpc::ParseHostPort(FLAGS_coordinator);
  if (!parsed_coordinator.ok()) {
    return Fail("--coordinator: " + parsed_coordinator.status().message());
  }
  const twopc::rpc::HostPort coordinator = *parsed_coordinator;
  const twopc::StatusOr<twopc::rpc::SecurityOptions> parsed_security =
      twopc::rpc::SecurityFromFlags();
  if (!parsed_security.ok()) return Fail(parsed_security.status().message());
  const twopc::rpc::SecurityOptions security = *parsed_security;

  // A file-size limit (RLIMIT_FSIZE) must fail the write with EFBIG, which
  // the log reports, rather than kill the process with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  twopc::signal_waiter::BlockTerminationSignals();
  twopc::wal::DirLock wal_lock;
  if (twopc::Status locked = wal_lock.Acquire(FLAGS_wal_dir); !locked.ok()) {
    return Fail(locked.ToString());
  }
  twopc::participant::SetSqliteHeapLimit(FLAGS_sqlite_heap_limit_bytes);
  twopc::participant::SqliteStore::OpenOptions store_options;
  store_options.path = FLAGS_db;
  store_options.create_if_missing = FLAGS_create_db;
  store_options.limits.max_value_bytes =
      FLAGS_max_sql_value_bytes > 0 ? FLAGS_max_sql_value_bytes : FLAGS_max_frame_bytes;
  store_options.limits.max_sql_bytes = FLAGS_max_sql_bytes;
  store_options.trust_schema = FLAGS_sqlite_trusted_schema;
  store_options.max_branch_read_bytes = static_cast<size_t>(FLAGS_max_branch_read_bytes);
  std::unique_ptr<twopc::participant::SqliteStore> store;
  twopc::Status status = twopc::participant::SqliteStore::Open(store_options, &store);
  if (!status.ok()) return Fail(status.ToString());

  twopc::participant::AgentOptions options;
  options.name = FLAGS_name;
  options.coordinator = coordinator.ToString();
  options.lock_wait = std::chrono::milliseconds(FLAGS_lock_wait_ms);
  options.checkpoint_bytes = FLAGS_wal_checkpoint_bytes;
  options.max_statement = std::chrono::milliseconds(FLAGS_max_statement_ms);
  twopc::wal::LogOptions log_options;
  log_options.dir = FLAGS_wal_dir;
  log_options.caller_holds_dir_lock = true;  // since before the database opened
  std::unique_ptr<twopc::participant::Agent> agent;
  status = twopc::participant::Agent::Open(options, store.get(), log_options, &agent);
  if (!status.ok()) return Fail("write-ahead log " + FLAGS_wal_dir + ": " + status.ToString());

  twopc::participant::CoordinatorOutcomeSource outcomes(coordinator, FLAGS_name, security);
  twopc::participant::ResolverOptions resolver_options;
  resolver_options.in_doubt_after = std::chrono::milliseconds(FLAGS_in_doubt_after_ms);
  twopc::participant::Resolver resolver(agent.get(), &outcomes, resolver_options);
  resolver.Start();

  twopc::rpc::StatementLimits statement_limits;
  statement_limits.max_statements = static_cast<size_t>(FLAGS_max_statements);
  statement_limits.max_sql_bytes = static_cast<size_t>(FLAGS_max_sql_bytes);
  statement_limits.max_value_bytes = static_cast<size_t>(FLAGS_max_value_bytes);
  twopc::participant::QueryLimits query_limits;
  query_limits.max_time = std::chrono::milliseconds(FLAGS_max_query_ms);
  query_limits.max_result_bytes = static_cast<size_t>(FLAGS_max_result_bytes);
  auto service = std::make_shared<twopc::participant::ParticipantService>(
      agent.get(), statement_limits, query_limits);
  twopc::rpc::ServerLimits server_limits;
  server_limits.max_frame_bytes = FLAGS_max_frame_bytes;
  server_limits.max_connections = FLAGS_max_connections;
  server_limits.idle_timeout_ms = FLAGS_idle_timeout_ms;
  twopc::rpc::RpcServer server(twopc::rpc::ServedParticipantProcessor(service, security), listen,
                               server_limits, security);
  twopc::rpc::LogSecurity(security);
  std::atomic<int64_t> open_connections{0};
  server.CountConnections(&open_connections);
  twopc::participant::ParticipantAdmin admin(agent.get(), &open_connections);
  if (!FLAGS_admin_listen.empty()) {
    if (twopc::Status started = admin.Start(admin_listen); !started.ok()) {
      std::cerr << "txpart: " << started.message() << std::endl;
      resolver.Stop();
      return 1;
    }
    LOG(INFO) << "admin endpoint (metrics, status page) on http://" << admin_listen.ToString();
  }
  std::thread stopper([&server] {
    const int signal = twopc::signal_waiter::WaitForTerminationSignal();
    LOG(INFO) << "signal " << signal << ": stopping";
    server.Stop();
  });
  LOG(INFO) << "participant " << FLAGS_name << " serving on " << listen.ToString() << ", database "
            << FLAGS_db;
  int rc = 0;
  try {
    server.Serve();
  } catch (const std::exception& e) {
    LOG(ERROR) << "cannot serve on " << listen.ToString() << ": " << e.what();
    rc = 1;
  }
  if (rc != 0) twopc::signal_waiter::RaiseStop();
  stopper.join();
  admin.Stop();
  resolver.Stop();
  return rc;
}
