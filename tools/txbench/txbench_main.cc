// txbench: the standard bank-transfer workload against twopc. See UsageText().
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <thrift/TOutput.h>

#include "thrift/rpc/tls_factories.h"
#include "thrift/rpc/token_file.h"
#include "thrift/server/version.h"

#include "tools/cluster/local_cluster.h"
#include "tools/cluster/temp_dir.h"
#include "tools/txbench/commit_floor_probe.h"
#include "tools/txbench/fdatasync_probe.h"
#include "tools/txbench/interrupt.h"
#include "tools/txbench/invariant_check.h"
#include "tools/txbench/json_report.h"
#include "tools/txbench/latency_stats.h"
#include "tools/txbench/proc_status.h"
#include "tools/txbench/txbench_options.h"
#include "tools/txbench/workload_driver.h"

namespace twopc::txbench {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;  // invariant broken, or the run could not be done
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;
// How long decisions still in flight at the end may take to reach every participant.
constexpr std::chrono::seconds kSettleDeadline(30);
constexpr size_t kLogTailBytes = 3000;
// The agents log every transaction at INFO; warnings and errors are enough.
const char kQuietLogs[] = "--minloglevel=1";

// Thrift prints every transport error itself; txbench counts them instead.
void DiscardThriftOutput(const char* /*message*/) {}

std::vector<std::string> Names(const std::vector<NamedAddress>& participants) {
  std::vector<std::string> names;
  for (const NamedAddress& participant : participants) names.push_back(participant.name);
  return names;
}

int Fail(const std::string& message, const tools::LocalCluster* cluster) {
  std::cerr << "txbench: " << message << "\n";
  if (cluster != nullptr) std::cerr << cluster->LogTails(kLogTailBytes);
  return Interrupted() ? kExitInterrupted : kExitFailed;
}

// The private cluster of --local.
tools::LocalClusterOptions LocalOptions(const BenchOptions& options) {
  tools::LocalClusterOptions local;
  local.bin_dir = tools::ProgramDir();
  local.participants = options.participants;
  local.accounts = options.accounts;
  local.participant_flags = {kQuietLogs};
  local.coordinator_flags = {kQuietLogs};
  local.security = options.security;
  local.token_file = options.token_file;
  local.stop_waiting = Interrupted;
  return local;
}

int Run(const BenchOptions& options) {
  std::string error;
  // Holds the probes' files, and in local mode the whole cluster's data.
  StatusOr<std::unique_ptr<tools::TempDir>> dir = tools::TempDir::Create("txbench.");
  if (!dir.ok()) return Fail(dir.status().message(), nullptr);

  BenchReport report;
  report.participants = options.participants;
  report.accounts = options.accounts;
  report.clients = options.clients;
  report.seconds = options.seconds;
  const std::string& dir_path = (*dir)->path();
  report.fdatasync_us = MeasureFdatasyncUs(dir_path);
  report.wal_fdatasync_us = MeasureWalSyncUs(dir_path);
  // Before the cluster starts: its processes would share the probe's disk and CPUs.
  report.commit_floor_us = MeasureCommitFloorUs(dir_path);

  std::unique_ptr<tools::LocalCluster> cluster;
  rpc::HostPort coordinator = options.coordinator;
  std::vector<NamedAddress> participants = options.participant_addresses;
  if (options.local) {
    cluster = std::make_unique<tools::LocalCluster>(dir_path);
    const Status started = cluster->Start(LocalOptions(options));
    if (!started.ok()) return Fail(started.message(), cluster.get());
    coordinator = cluster->coordinator_host_port();
    participants.clear();
    for (int i = 0; i < cluster->size(); ++i) {
      participants.push_back({cluster->participant_name(i), cluster->participant_host_port(i)});
    }
  }
  if (!options.json_only) {
    std::cerr << "txbench: " << options.participants << " participants, " << options.accounts
              << " accounts each, " << options.clients << " clients, " << options.seconds
              << " s against " << coordinator.ToString() << " (fdatasync " << report.fdatasync_us
              << " us, through twopc's log " << report.wal_fdatasync_us << " us, commit floor "
              << report.commit_floor_us << " us)\n";
  }

  WorkloadConfig config;
  config.coordinator = coordinator;
  config.participants = Names(participants);
  config.accounts = options.accounts;
  config.clients = options.clients;
  config.seconds = options.seconds;
  config.progress = options.json_only ? nullptr : &std::cerr;
  config.security = options.security;
  StatusOr<WorkloadResult> run = RunWorkload(config);
  if (!run.ok()) return Fail(run.status().message(), cluster.get());
  WorkloadResult& result = *run;
  if (Interrupted()) return Fail("interrupted", nullptr);

  report.committed = result.committed;
  report.aborted = result.aborted;
  report.errors = result.errors;
  report.tps = result.elapsed_seconds > 0
                   ? static_cast<double>(result.committed) / result.elapsed_seconds
                   : 0;
  report.latency = Summarize(&result.commit_latencies_us);
  if (!result.first_abort_reason.empty() && !options.json_only) {
    std::cerr << "txbench: first abort: " << result.first_abort_reason << "\n";
  }
  if (!result.first_error.empty()) {
    std::cerr << "txbench: " << result.errors << " errors, the first: " << result.first_error
              << "\n";
  }

  const InvariantResult invariant =
      CheckInvariant(participants, options.accounts, kSettleDeadline, options.security);
  report.invariant_ok = invariant.ok;
  if (!invariant.ok) std::cerr << "txbench: invariant broken: " << invariant.detail << "\n";

  if (cluster) {
    report.rss_kib.emplace_back("coordinator",
                                ReadRssKib(cluster->coordinator().pid()).value_or(-1));
    for (int i = 0; i < cluster->size(); ++i) {
      report.rss_kib.emplace_back(cluster->participant_name(i),
                                  ReadRssKib(cluster->participant(i).pid()).value_or(-1));
    }
    if (!invariant.ok) std::cerr << cluster->LogTails(kLogTailBytes);
    cluster->Stop();
  }
  std::cout << RenderJsonLine(report) << std::endl;
  if (Interrupted()) return kExitInterrupted;
  return invariant.ok ? kExitOk : kExitFailed;
}

}  // namespace
}  // namespace twopc::txbench

int main(int argc, char** argv) {
  using twopc::txbench::BenchOptions;
  apache::thrift::GlobalOutput.setOutputFunction(twopc::txbench::DiscardThriftOutput);

  BenchOptions options;
  if (const twopc::Status parsed = twopc::txbench::ParseBenchOptions(
          std::vector<std::string>(argv + 1, argv + argc), &options);
      !parsed.ok()) {
    std::cerr << "txbench: " << parsed.message() << " (try --help)\n";
    return twopc::txbench::kExitUsage;
  }
  if (options.help) {
    std::cout << twopc::txbench::UsageText();
    return twopc::txbench::kExitOk;
  }
  if (options.version) {
    std::cout << twopc::VersionLine("txbench") << "\n";
    return twopc::txbench::kExitOk;
  }
  if (!options.token_file.empty()) {
    std::string warning;
    twopc::StatusOr<std::string> token = twopc::rpc::ReadTokenFile(options.token_file, &warning);
    if (!token.ok()) {
      std::cerr << "txbench: " << token.status().message() << "\n";
      return twopc::txbench::kExitUsage;
    }
    options.security.token = std::move(token).value();
    if (!warning.empty()) std::cerr << "txbench: warning: " << warning << "\n";
  }
  if (const twopc::Status tls =
          twopc::rpc::CheckTlsOptions(options.security, /*serves=*/options.local);
      !tls.ok()) {
    std::cerr << "txbench: " << tls.message() << "\n";
    return twopc::txbench::kExitUsage;
  }
  twopc::txbench::InstallInterruptHandlers();
  return twopc::txbench::Run(options);
}
