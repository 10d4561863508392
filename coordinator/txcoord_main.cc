// txcoord: the transaction coordinator.
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "coordinator/coordinator.h"
#include "coordinator/coordinator_service.h"
#include "coordinator/wal_decision_log.h"
#include "gen-cpp/Coordinator.h"
#include "thrift/rpc_util.h"
#include "thrift/signal_waiter.h"
#include "tools/program/gflags_program.h"
#include "wal/dir_lock.h"

DEFINE_string(listen, "127.0.0.1:7700", "HOST:PORT to serve the Coordinator service on");
DEFINE_string(wal_dir, "", "directory of the coordinator's decision log (required)");
DEFINE_int32(prepare_timeout_ms, 5000,
             "default time to wait for every vote; a transaction may ask for another");
DEFINE_int32(commit_timeout_ms, 5000, "time to wait for one participant to acknowledge a commit");
DEFINE_int32(fanout_threads, 64,
             "threads delivering commits and aborts after the client was answered");
DEFINE_uint64(wal_checkpoint_bytes, 4 << 20,
              "checkpoint and truncate the decision log after this many bytes were appended");
DEFINE_int32(max_frame_bytes, twopc::rpc::kDefaultMaxFrameBytes, "largest RPC accepted");

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
  twopc::program::ParsedArgs args;
  if (std::optional<int> rc = twopc::program::StartGflagsProgram(
          {"txcoord", kHelp, {"participant"}}, argc, argv, &args)) {
    return *rc;
  }
  const std::vector<std::string>& participant_flags = args.repeated["participant"];
  if (FLAGS_wal_dir.empty()) return Fail("--wal-dir is required");
  if (FLAGS_prepare_timeout_ms <= 0 || FLAGS_commit_timeout_ms <= 0) {
    return Fail("timeouts must be > 0");
  }
  if (FLAGS_fanout_threads <= 0) return Fail("--fanout-threads must be > 0");
  std::string error;
  twopc::rpc::HostPort listen;
  if (!twopc::rpc::ParseHostPort(FLAGS_listen, &listen, &error)) return Fail("--listen: " + error);

  std::map<std::string, std::unique_ptr<twopc::coordinator::ParticipantPool>> participants;
  for (const std::string& value : participant_flags) {
    const size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail("--participant: expected NAME=HOST:PORT, got '" + value + "'");
    }
    const std::string name = value.substr(0, eq);
    twopc::rpc::HostPort address;
    if (!twopc::rpc::ParseHostPort(value.substr(eq + 1), &address, &error)) {
      return Fail("--participant " + name + ": " + error);
    }
    if (participants.count(name)) return Fail("--participant " + name + " given twice");
    participants[name] = std::make_unique<twopc::coordinator::ParticipantPool>(name, address);
  }
  if (participants.empty()) return Fail("at least one --participant NAME=HOST:PORT is required");

  twopc::signal_waiter::BlockTerminationSignals();
  twopc::wal::DirLock wal_lock;
  if (twopc::Status locked = wal_lock.Acquire(FLAGS_wal_dir); !locked.ok()) {
    return Fail(locked.ToString());
  }
  twopc::wal::LogOptions log_options;
  log_options.dir = FLAGS_wal_dir;
  twopc::coordinator::RecoveredDecisions recovered;
  std::unique_ptr<twopc::coordinator::WalDecisionLog> log;
  twopc::Status status = twopc::coordinator::WalDecisionLog::Open(log_options, &recovered, &log,
                                                                  FLAGS_wal_checkpoint_bytes);
  if (!status.ok()) return Fail("decision log " + FLAGS_wal_dir + ": " + status.ToString());
  twopc::StatusOr<uint64_t> epoch = log->BeginEpoch();
  if (!epoch.ok()) return Fail("decision log " + FLAGS_wal_dir + ": " + epoch.status().ToString());
  LOG(INFO) << "epoch " << *epoch << "; " << recovered.undelivered.size()
            << " committed transaction(s) to deliver again";

  twopc::coordinator::CoordinatorOptions options;
  options.default_prepare_timeout = std::chrono::milliseconds(FLAGS_prepare_timeout_ms);
  options.commit_rpc_timeout = std::chrono::milliseconds(FLAGS_commit_timeout_ms);
  options.fanout_threads = static_cast<size_t>(FLAGS_fanout_threads);
  twopc::coordinator::Coordinator coordinator(options, log.get(), std::move(participants), *epoch,
                                              std::move(recovered));
  coordinator.Start();

  auto service =
      std::make_shared<twopc::coordinator::CoordinatorService>(&coordinator, listen.ToString());
  twopc::rpc::RpcServer server(std::make_shared<twopc::rpc::CoordinatorProcessor>(service), listen,
                               FLAGS_max_frame_bytes);
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
  coordinator.Stop();
  return rc;
}
