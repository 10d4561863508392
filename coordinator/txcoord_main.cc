// txcoord: the transaction coordinator.
#include <csignal>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "coordinator/coordinator.h"
#include "coordinator/coordinator_admin.h"
#include "coordinator/coordinator_service.h"
#include "coordinator/thrift_participant_channel.h"
#include "coordinator/wal_decision_log.h"
#include "gen-cpp/Coordinator.h"
#include "thrift/rpc/rpc_util.h"
#include "thrift/rpc/secure_processors.h"
#include "thrift/server/batch_scheduling.h"
#include "thrift/server/gflags_program.h"
#include "thrift/server/malloc_arenas.h"
#include "thrift/server/security_flags.h"
#include "thrift/server/signal_waiter.h"

DEFINE_string(listen, "127.0.0.1:7700", "HOST:PORT to serve the Coordinator service on");
DEFINE_string(wal_dir, "", "directory of the coordinator's decision log (required)");
DEFINE_int32(prepare_timeout_ms, 5000,
             "default time to wait for every vote; a transaction may ask for another");
DEFINE_int32(commit_timeout_ms, 5000, "time to wait for one participant to acknowledge a commit");
DEFINE_int32(fanout_threads, 64, "worker threads for participant calls and COMMIT syncs");
DEFINE_int32(commit_linger_us, 2000,
             "how long a commit decision waits to ride on a prepare to the same participant "
             "before it is sent on its own");
DEFINE_uint64(wal_checkpoint_bytes, 4 << 20,
              "checkpoint and truncate the decision log after this many bytes were appended");
DEFINE_int32(max_frame_bytes, twopc::rpc::kDefaultMaxFrameBytes, "largest RPC accepted");
DEFINE_int32(max_connections, 1024,
             "connections served at once; one more gets a 'too many connections' error");
DEFINE_int32(idle_timeout_ms, 60000,
             "close a connection that sends nothing for this long (0: never)");
DEFINE_int32(max_in_flight, 1024,
             "transactions running at once; one more fails at once with OVERLOADED");
DEFINE_int32(max_prepare_timeout_ms, 60000, "cap on the prepare timeout a request may ask for");
DEFINE_int32(max_branches, 64, "most branches (participants) in one transaction");
DEFINE_int32(max_statements, 1000, "most statements in one branch");
DEFINE_int32(max_sql_bytes, 1 << 20, "longest SQL text of one statement");
DEFINE_int32(max_value_bytes, 1 << 20, "largest TEXT or BLOB parameter");
DEFINE_string(admin_listen, "",
              "HOST:PORT to serve /metrics (Prometheus) and the status page on (off if empty)");

namespace {

const char kHelp[] = R"(txcoord: the twopc transaction coordinator.

Usage:
  txcoord --wal-dir DIR --participant NAME=HOST:PORT [--participant ...] [flags]
  txcoord --config FILE [flags]
  --participant NAME=HOST:PORT (repeatable, at least one): a participant agent.

Examples:
  txcoord --listen 127.0.0.1:7700 --wal-dir coord-wal \
          --participant p1=127.0.0.1:7701 --participant p2=127.0.0.1:7702
  txcoord --config /etc/twopc/txcoord.conf --log_format=json

Exit codes:
  0  stopped by SIGTERM or SIGINT
  1  cannot serve on --listen
  2  bad flag or config file, or cannot start (decision log locked or corrupt)
)";

int Fail(const std::string& message) {
  twopc::program::ReportError("txcoord", message);
  return twopc::program::kExitCannotStart;
}

}  // namespace

int main(int argc, char** argv) {
  twopc::LimitMallocArenas();  // before any thread starts
  twopc::program::ParsedArgs args;
  if (std::optional<int> rc = twopc::program::StartGflagsProgram(
          {"txcoord", kHelp, {"participant"}}, argc, argv, &args)) {
    return *rc;
  }
  twopc::rpc::ApplySchedulingFlag();  // before any thread starts, so that all inherit it
  const std::vector<std::string>& participant_flags = args.repeated["participant"];
  if (FLAGS_wal_dir.empty()) return Fail("--wal-dir is required");
  if (FLAGS_commit_linger_us < 0) return Fail("--commit-linger-us must be >= 0");
  if (FLAGS_prepare_timeout_ms <= 0 || FLAGS_commit_timeout_ms <= 0) {
    return Fail("timeouts must be > 0");
  }
  if (FLAGS_fanout_threads <= 0) return Fail("--fanout-threads must be > 0");
  if (FLAGS_max_frame_bytes <= 0 || FLAGS_max_in_flight <= 0 || FLAGS_max_branches <= 0 ||
      FLAGS_max_statements <= 0 || FLAGS_max_sql_bytes <= 0 || FLAGS_max_value_bytes <= 0 ||
      FLAGS_max_prepare_timeout_ms <= 0) {
    return Fail("--max_* limits must be > 0");
  }
  if (FLAGS_max_connections < 0 || FLAGS_idle_timeout_ms < 0) {
    return Fail("--max_connections and --idle_timeout_ms must be >= 0 (0: no limit)");
  }
  const twopc::StatusOr<twopc::rpc::HostPort> parsed_listen =
      twopc::rpc::ParseHostPort(FLAGS_listen);
  if (!parsed_listen.ok()) return Fail("--listen: " + parsed_listen.status().message());
  const twopc::rpc::HostPort listen = *parsed_listen;
  const twopc::StatusOr<twopc::rpc::SecurityOptions> parsed_security =
      twopc::rpc::SecurityFromFlags();
  if (!parsed_security.ok()) return Fail(parsed_security.status().message());
  const twopc::rpc::SecurityOptions security = *parsed_security;
  twopc::rpc::HostPort admin_listen;
  if (!FLAGS_admin_listen.empty()) {
    const twopc::StatusOr<twopc::rpc::HostPort> parsed =
        twopc::rpc::ParseHostPort(FLAGS_admin_listen);
    if (!parsed.ok()) return Fail("--admin-listen: " + parsed.status().message());
    admin_listen = *parsed;
  }

  std::map<std::string, std::unique_ptr<twopc::coordinator::ParticipantChannel>> participants;
  for (const std::string& value : participant_flags) {
    const size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail("--participant: expected NAME=HOST:PORT, got '" + value + "'");
    }
    const std::string name = value.substr(0, eq);
    const twopc::StatusOr<twopc::rpc::HostPort> address =
        twopc::rpc::ParseHostPort(value.substr(eq + 1));
    if (!address.ok()) return Fail("--participant " + name + ": " + address.status().message());
    if (participants.count(name)) return Fail("--participant " + name + " given twice");
    participants[name] = std::make_unique<twopc::coordinator::ThriftParticipantChannel>(
        name, *address, 2000, security);
  }
  if (participants.empty()) return Fail("at least one --participant NAME=HOST:PORT is required");

  // A file-size limit (RLIMIT_FSIZE) must fail the write with EFBIG, which
  // the log reports, rather than kill the process with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  twopc::signal_waiter::BlockTerminationSignals();
  twopc::wal::LogOptions log_options;
  log_options.dir = FLAGS_wal_dir;  // locked by the log while it is open
  twopc::coordinator::RecoveredDecisions recovered;
  std::unique_ptr<twopc::coordinator::WalDecisionLog> log;
  twopc::Status status = twopc::coordinator::WalDecisionLog::Open(log_options, &recovered, &log,
                                                                  FLAGS_wal_checkpoint_bytes);
  if (status.IsBusy()) return Fail(status.ToString());  // another txcoord has it
  if (!status.ok()) return Fail("decision log " + FLAGS_wal_dir + ": " + status.ToString());
  twopc::StatusOr<uint64_t> epoch = log->BeginEpoch();
  if (!epoch.ok()) return Fail("decision log " + FLAGS_wal_dir + ": " + epoch.status().ToString());
  LOG(INFO) << "epoch " << *epoch << "; " << recovered.undelivered.size()
            << " committed transaction(s) to deliver again";

  twopc::coordinator::CoordinatorOptions options;
  options.default_prepare_timeout = std::chrono::milliseconds(FLAGS_prepare_timeout_ms);
  options.commit_rpc_timeout = std::chrono::milliseconds(FLAGS_commit_timeout_ms);
  options.fanout_threads = static_cast<size_t>(FLAGS_fanout_threads);
  options.commit_linger = std::chrono::microseconds(FLAGS_commit_linger_us);
  options.max_prepare_timeout = std::chrono::milliseconds(FLAGS_max_prepare_timeout_ms);
  options.max_in_flight = static_cast<size_t>(FLAGS_max_in_flight);
  options.limits.max_branches = static_cast<size_t>(FLAGS_max_branches);
  options.limits.statements.max_statements = static_cast<size_t>(FLAGS_max_statements);
  options.limits.statements.max_sql_bytes = static_cast<size_t>(FLAGS_max_sql_bytes);
  options.limits.statements.max_value_bytes = static_cast<size_t>(FLAGS_max_value_bytes);
  twopc::coordinator::Coordinator coordinator(options, log.get(), std::move(participants), *epoch,
                                              std::move(recovered));
  coordinator.Start();

  auto service = std::make_shared<twopc::coordinator::CoordinatorService>(
      &coordinator, listen.ToString(), FLAGS_admin_listen);
  twopc::rpc::ServerLimits server_limits;
  server_limits.max_frame_bytes = FLAGS_max_frame_bytes;
  server_limits.max_connections = FLAGS_max_connections;
  server_limits.idle_timeout_ms = FLAGS_idle_timeout_ms;
  twopc::rpc::RpcServer server(twopc::rpc::ServedCoordinatorProcessor(service, security), listen,
                               server_limits, security);
  twopc::rpc::LogSecurity(security);
  std::atomic<int64_t> open_connections{0};
  server.CountConnections(&open_connections);
  twopc::coordinator::CoordinatorAdmin admin(&coordinator, log.get(), &open_connections,
                                             listen.ToString());
  if (!FLAGS_admin_listen.empty()) {
    if (twopc::Status started = admin.Start(admin_listen); !started.ok()) {
      std::cerr << "txcoord: " << started.message() << std::endl;
      coordinator.Stop();
      return 1;
    }
    LOG(INFO) << "admin endpoint (metrics, status page) on http://" << admin_listen.ToString();
  }
  std::thread stopper([&server] {
    const int signal = twopc::signal_waiter::WaitForTerminationSignal();
    LOG(INFO) << "signal " << signal << ": stopping";
    server.Stop();
  });
  LOG(INFO) << "coordinator serving on " << listen.ToString();
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
  coordinator.Stop();
  return rc;
}
