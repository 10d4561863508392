// txbench's parts below the cluster: the transfer, options, latency percentiles, the
// probes (fdatasync, twopc's log, the commit floor) and the JSON line.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/allocation_counter.h"
#include "tests/temp_dir.h"
#include "tools/txbench/commit_floor_probe.h"
#include "tools/txbench/fdatasync_probe.h"
#include "tools/txbench/json_report.h"
#include "tools/txbench/latency_stats.h"
#include "tools/txbench/transfer.h"
#include "tools/txbench/txbench_options.h"

namespace twopc::txbench {
namespace {

// The options `args` give; the parse must succeed.
BenchOptions Parse(const std::vector<std::string>& args) {
  BenchOptions options;
  const Status status = ParseBenchOptions(args, &options);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return options;
}

// Why `args` are refused; the parse must fail with InvalidArgument.
std::string RefusalOf(const std::vector<std::string>& args) {
  BenchOptions options;
  const Status status = ParseBenchOptions(args, &options);
  EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
  return status.message();
}

TEST(Transfer, BuiltAsTwoBranchesWithBoundParametersAndRebuiltWithoutAllocating) {
  const std::vector<std::string> participants = {"p0", "p1", "p2"};
  Transaction transaction;
  BuildTransfer(Transfer{0, 2, 11, 12, 5}, participants, &transaction);
  ASSERT_EQ(transaction.branches().size(), 2u);
  const Statement& debit = transaction.branches()[0].statements.at(0);
  EXPECT_EQ(transaction.branches()[0].participant, "p0");
  EXPECT_NE(debit.sql.find("balance - ?"), std::string::npos);
  EXPECT_EQ(debit.params, (std::vector<Value>{Value(5), Value(11)}));
  EXPECT_EQ(debit.expect_changes, 1);
  EXPECT_EQ(transaction.branches()[1].participant, "p2");
  EXPECT_EQ(transaction.branches()[1].statements.at(0).params[1], Value(12));

  const int64_t before = twopc::testing::allocations.load();
  BuildTransfer(Transfer{1, 0, 3, 4, 9}, participants, &transaction);
  EXPECT_EQ(twopc::testing::allocations.load() - before, 0);
  EXPECT_EQ(transaction.branches()[0].participant, "p1");
  EXPECT_EQ(transaction.branches()[0].statements.at(0).params,
            (std::vector<Value>{Value(9), Value(3)}));
  EXPECT_EQ(transaction.branches()[1].statements.at(0).params[1], Value(4));
}

TEST(TxbenchOptions, DefaultsAreTheStandardWorkload) {
  const BenchOptions options = Parse({"--local"});
  EXPECT_TRUE(options.local);
  EXPECT_EQ(options.participants, 3);
  EXPECT_EQ(options.accounts, 1000);
  EXPECT_EQ(options.clients, 16);
  EXPECT_EQ(options.seconds, 10);
}

TEST(TxbenchOptions, BothFlagSpellingsAreAccepted) {
  const BenchOptions options = Parse({"--local", "--clients=64", "--seconds", "3", "--json-only"});
  EXPECT_EQ(options.clients, 64);
  EXPECT_EQ(options.seconds, 3);
  EXPECT_TRUE(options.json_only);
}

TEST(TxbenchOptions, SecurityFilesArePassedThrough) {
  const BenchOptions options = Parse({"--local", "--tls-cert", "node.pem", "--tls-key=node.key",
                                      "--tls-ca", "ca.pem", "--token-file", "token"});
  EXPECT_EQ(options.security.tls_cert, "node.pem");
  EXPECT_EQ(options.security.tls_key, "node.key");
  EXPECT_EQ(options.security.tls_ca, "ca.pem");
  EXPECT_EQ(options.token_file, "token");
  EXPECT_EQ(RefusalOf({"--local", "--tls-ca="}), "--tls-ca needs a file name");
}

TEST(TxbenchOptions, VersionNeedsNoMode) {
  EXPECT_TRUE(Parse({"--version"}).version);
  EXPECT_EQ(RefusalOf({"--version=1"}), "--version takes no value");
}

TEST(TxbenchOptions, BadInputIsRefusedWithAReason) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--local", "--clients", "0"},
                                             {"--local", "--clients", "many"},
                                             {"--local", "--frobnicate"},
                                             {"--local", "--seconds"},
                                             {"--coordinator", "nohost"}}) {
    EXPECT_FALSE(RefusalOf(args).empty()) << args.back();
  }
}

TEST(LatencyStats, NearestRankPicksTheCeilingRank) {
  const std::vector<int64_t> sorted = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  EXPECT_EQ(NearestRank(sorted, 50), 50);
  EXPECT_EQ(NearestRank(sorted, 99), 100);
  EXPECT_EQ(NearestRank(sorted, 1), 10);
  EXPECT_EQ(NearestRank({}, 50), 0);
}

TEST(LatencyStats, SummarizeSortsAndReportsMax) {
  std::vector<int64_t> latencies = {5, 1, 4, 2, 3};
  const LatencySummary summary = Summarize(&latencies);
  EXPECT_EQ(summary.p50_us, 3);
  EXPECT_EQ(summary.p99_us, 5);
  EXPECT_EQ(summary.max_us, 5);
}

// Both probes measure real syncs and leave nothing behind; a directory that
// cannot be written gives -1, not a number.
TEST(FdatasyncProbe, BothProbesMeasureAndCleanUp) {
  test::TempDir dir;
  EXPECT_GT(MeasureFdatasyncUs(dir.path(), 5), 0);
  EXPECT_GT(MeasureWalSyncUs(dir.path(), 5), 0);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  const std::string not_a_dir = dir.Join("file");
  { std::ofstream(not_a_dir) << "x"; }
  EXPECT_EQ(MeasureFdatasyncUs(not_a_dir, 5), -1);
  EXPECT_EQ(MeasureWalSyncUs(not_a_dir, 5), -1);
}

bool HasChildProcesses() {
  errno = 0;
  return !(waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD);
}

size_t OpenFdCount() {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                           std::filesystem::directory_iterator()));
}

// The floor probe runs a real chain of processes (client, coordinator, two
// participants) and reaps every one of them; its logs are removed and its
// sockets closed. When the logs cannot be created it starts nothing and gives -1.
TEST(CommitFloorProbe, MeasuresThroughRealProcessesAndLeavesNothingBehind) {
  ASSERT_FALSE(HasChildProcesses()) << "the test must start without children";
  test::TempDir dir;
  const size_t fds_before = OpenFdCount();
  EXPECT_GT(MeasureCommitFloorUs(dir.path(), 20), 0);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  EXPECT_FALSE(HasChildProcesses());
  EXPECT_GT(MeasureCommitFloorUs(dir.path(), 5, /*branches=*/3, /*bytes=*/4096), 0);
  EXPECT_FALSE(HasChildProcesses());

  const std::string not_a_dir = dir.Join("file");
  { std::ofstream(not_a_dir) << "x"; }
  EXPECT_EQ(MeasureCommitFloorUs(not_a_dir, 5), -1);
  EXPECT_EQ(MeasureCommitFloorUs(dir.path(), 0), -1);
  EXPECT_FALSE(HasChildProcesses());
  EXPECT_EQ(OpenFdCount(), fds_before);
}

TEST(JsonReport, LineHasTheWorkloadFields) {
  BenchReport report;
  report.participants = 3;
  report.accounts = 1000;
  report.clients = 16;
  const std::string line = RenderJsonLine(report);
  for (const char* field : {"\"system\":\"twopc\"", "\"tps\":", "\"committed\":", "\"aborted\":",
                            "\"p50_us\":", "\"p99_us\":", "\"max_us\":", "\"invariant_ok\":",
                            "\"fdatasync_us\":", "\"wal_fdatasync_us\":", "\"commit_floor_us\":"}) {
    EXPECT_NE(line.find(field), std::string::npos) << field << " in " << line;
  }
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line";
}

}  // namespace
}  // namespace twopc::txbench
