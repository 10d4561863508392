// The admin endpoint of real txcoord and txpart processes (--admin-listen):
// /metrics values change as transactions run, txctl top shows the live
// figures, and bad --admin-listen values are refused.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "tests/integration/admin_cluster_test.h"
#include "tests/integration/admin_probe.h"
#include "tests/integration/cluster.h"
#include "thrift/admin/admin_server.h"

namespace twopc::testing {
namespace {

// Bound on waiting for a background refresh (a deadline, not a timing).
constexpr int kRefreshDeadlineMs = 30000;

class AdminTest : public AdminClusterTest {
 protected:
  // A transfer of 5 from p0's account 1 to p1's account 2.
  RunResult Transfer() {
    return cluster_->Exec({{"p0", "UPDATE accounts SET balance = balance - 5 WHERE id = 1"},
                           {"p1", "UPDATE accounts SET balance = balance + 5 WHERE id = 2"}});
  }
};

TEST_F(AdminTest, MetricsCountTransactionsAsTheyRun) {
  const std::optional<std::string> coordinator_before = Scrape(coordinator_admin_, "/metrics");
  const std::optional<std::string> participant_before = Scrape(participant_admin_, "/metrics");
  ASSERT_TRUE(coordinator_before && participant_before);
  for (const char* name : {"twopc_coordinator_transactions_committed_total",
                           "twopc_coordinator_prepare_duration_seconds_bucket",
                           "twopc_wal_sync_batch_records_bucket", "twopc_rpc_open_connections"}) {
    EXPECT_NE(coordinator_before->find(name), std::string::npos) << name;
  }

  const RunResult committed = Transfer();
  ASSERT_EQ(committed.exit_code, 0) << committed.out << committed.err;
  // Account 0 exists: the INSERT fails at p1, which votes NO.
  const RunResult aborted =
      cluster_->Exec({{"p0", "UPDATE accounts SET balance = balance - 5 WHERE id = 1"},
                      {"p1", "INSERT INTO accounts (id, balance) VALUES (0, 1)"}});
  ASSERT_EQ(aborted.exit_code, 1) << aborted.out << aborted.err;

  const std::optional<std::string> coordinator_after = Scrape(coordinator_admin_, "/metrics");
  const std::optional<std::string> participant_after = Scrape(participant_admin_, "/metrics");
  ASSERT_TRUE(coordinator_after && participant_after);
  auto grew = [](const std::string& before, const std::string& after, const std::string& series) {
    const std::optional<double> a = MetricValue(before, series);
    const std::optional<double> b = MetricValue(after, series);
    EXPECT_TRUE(a && b) << series << " missing";
    return a && b ? *b - *a : -1;
  };
  const std::string& cb = *coordinator_before;
  const std::string& ca = *coordinator_after;
  EXPECT_EQ(grew(cb, ca, "twopc_coordinator_transactions_begun_total"), 2);
  EXPECT_EQ(grew(cb, ca, "twopc_coordinator_transactions_committed_total"), 1);
  EXPECT_EQ(grew(cb, ca, "twopc_coordinator_transactions_aborted_total{reason=\"voted_no\"}"), 1);
  EXPECT_EQ(
      grew(cb, ca, "twopc_coordinator_transactions_aborted_total{reason=\"prepare_timeout\"}"), 0);
  EXPECT_EQ(grew(cb, ca, "twopc_coordinator_prepare_duration_seconds_count"), 2);
  EXPECT_EQ(grew(cb, ca, "twopc_coordinator_transaction_duration_seconds_count"), 1);
  EXPECT_EQ(grew(cb, ca, "twopc_coordinator_commit_duration_seconds_count"), 1);
  EXPECT_GE(grew(cb, ca, "twopc_wal_syncs_total"), 1);  // the COMMIT record
  EXPECT_GT(grew(cb, ca, "twopc_wal_bytes_total"), 0);

  const std::string& pb = *participant_before;
  const std::string& pa = *participant_after;
  EXPECT_EQ(grew(pb, pa, "twopc_participant_votes_total{vote=\"yes\"}"), 2);
  EXPECT_EQ(grew(pb, pa, "twopc_participant_commits_total"), 1);
  EXPECT_EQ(grew(pb, pa, "twopc_participant_prepare_duration_seconds_count"), 2);
  // PREPARED twice and COMMITTED once, each synced before the answer left.
  EXPECT_GE(grew(pb, pa, "twopc_wal_syncs_total"), 3);
  EXPECT_GE(grew(pb, pa, "twopc_wal_sync_batch_records_count"), 3);
  // The coordinator keeps its connections to the participant open.
  EXPECT_GE(MetricValue(pa, "twopc_rpc_open_connections").value_or(0), 1);
  // Its abort reached p0, which released the prepared branch (sent after the reply).
  EXPECT_TRUE(WaitFor(
      [&] {
        const std::optional<std::string> now = Scrape(participant_admin_, "/metrics");
        return now && grew(pb, *now, "twopc_participant_aborts_total") == 1;
      },
      kRefreshDeadlineMs));
  EXPECT_TRUE(WaitFor(
      [&] {
        const std::optional<std::string> now = Scrape(coordinator_admin_, "/metrics");
        return now &&
               MetricValue(*now, "twopc_coordinator_participant_up{participant=\"p1\"}") == 1.0;
      },
      kRefreshDeadlineMs));
}

TEST_F(AdminTest, TxctlTopShowsParticipantsInDoubtAndRecentTransactions) {
  const RunResult committed = Transfer();
  ASSERT_EQ(committed.exit_code, 0) << committed.out << committed.err;
  const std::string txid = committed.out.substr(0, committed.out.find(' '));
  RunResult top;
  // The participants' health is refreshed in the background every second.
  const bool shown = WaitFor(
      [&] {
        top = cluster_->Txctl({"--admin", coordinator_admin_, "top", "--once"});
        // The in-doubt view is refreshed in the background too: a refresh
        // that ran during the transfer shows it prepared until the next one.
        // Both participants: a refresh that ran before p0 listened shows it
        // DOWN until the next one.
        return top.exit_code == 0 &&
               top.out.find("p0  " + cluster_->participant_address(0) + "  up") !=
                   std::string::npos &&
               top.out.find("p1  " + cluster_->participant_address(1) + "  up") !=
                   std::string::npos &&
               top.out.find("in doubt: none") != std::string::npos;
      },
      kRefreshDeadlineMs);
  EXPECT_TRUE(shown) << top.out << top.err;
  EXPECT_NE(top.out.find("twopc coordinator " + cluster_->coordinator_address()), std::string::npos)
      << top.out;
  EXPECT_NE(top.out.find("p0  " + cluster_->participant_address(0) + "  up"), std::string::npos)
      << top.out;
  EXPECT_NE(top.out.find(txid + "  COMMITTED"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("committed 1"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("in doubt: none"), std::string::npos) << top.out;
  EXPECT_EQ(top.out.find("\x1b["), std::string::npos) << "--once must not clear the screen";

  const RunResult twice =
      cluster_->Txctl({"--admin", participant_admin_, "top", "--iterations", "2"});
  EXPECT_EQ(twice.exit_code, 0) << twice.err;
  size_t screens = 0;
  for (size_t at = twice.out.find("twopc participant p0"); at != std::string::npos;
       at = twice.out.find("twopc participant p0", at + 1)) {
    ++screens;
  }
  EXPECT_EQ(screens, 2u) << twice.out;
  EXPECT_NE(twice.out.find("commits 1"), std::string::npos) << twice.out;
}

TEST_F(AdminTest, TopFindsTheAdminEndpointThroughTheCoordinatorsRpcAddress) {
  const RunResult top =
      cluster_->Txctl({"--coordinator", cluster_->coordinator_address(), "top", "--once"});
  EXPECT_EQ(top.exit_code, 0) << top.err;
  EXPECT_NE(top.out.find("twopc coordinator " + cluster_->coordinator_address()), std::string::npos)
      << top.out;
}

TEST_F(AdminTest, TopExitsThreeWhenTheAdminEndpointDoesNotAnswer) {
  const std::string dead = "127.0.0.1:" + std::to_string(FreePorts(1)[0]);
  const RunResult run = cluster_->Txctl({"--admin", dead, "top", "--once"});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.err.find("admin endpoint " + dead + " unreachable"), std::string::npos) << run.err;
}

// p1 dies when the commit reaches it: the coordinator holds an undelivered
// commit, retries it, and reports p1 down, until p1 is back.
TEST(AdminInDoubtTest, UndeliveredCommitShowsInMetricsAndTopUntilDelivered) {
  TempDir dir;
  Cluster cluster(dir.path());
  const std::string admin = "127.0.0.1:" + std::to_string(FreePorts(1)[0]);
  Cluster::Options options;
  options.coordinator_flags = {"--admin-listen=" + admin};
  options.participant_env = {{}, {"TWOPC_FAILPOINTS=participant_before_apply"}};
  std::string error;
  ASSERT_TRUE(cluster.Start(options, &error)) << error;
  const RunResult transfer =
      cluster.Exec({{"p0", "UPDATE accounts SET balance = balance - 5 WHERE id = 1"},
                    {"p1", "UPDATE accounts SET balance = balance + 5 WHERE id = 2"}});
  EXPECT_EQ(transfer.exit_code, 0) << transfer.out << transfer.err;
  const std::string txid = transfer.out.substr(0, transfer.out.find(' '));
  ASSERT_TRUE(cluster.participant(1).WaitForExit(kRefreshDeadlineMs)) << cluster.Logs();

  auto metric = [&](const std::string& series) {
    const std::optional<std::string> text = Scrape(admin, "/metrics");
    return text ? MetricValue(*text, series).value_or(-1) : -1;
  };
  EXPECT_TRUE(WaitFor(
      [&] {
        return metric("twopc_coordinator_in_doubt_transactions{state=\"UNDELIVERED_COMMIT\"}") ==
                   1 &&
               metric("twopc_coordinator_participant_up{participant=\"p1\"}") == 0 &&
               metric("twopc_coordinator_commit_delivery_retries_total") >= 1 &&
               metric("twopc_coordinator_oldest_in_doubt_age_seconds") > 0;
      },
      kRefreshDeadlineMs))
      << Scrape(admin, "/metrics").value_or("(no answer)");
  EXPECT_EQ(metric("twopc_coordinator_undelivered_commits"), 1);
  const RunResult top = cluster.Txctl({"--admin", admin, "top", "--once"});
  EXPECT_NE(top.out.find("p1  " + cluster.participant_address(1) + "  DOWN"), std::string::npos)
      << top.out;
  EXPECT_NE(top.out.find("in doubt: 1\n  " + txid + "  UNDELIVERED_COMMIT"), std::string::npos)
      << top.out;
  EXPECT_NE(top.out.find("participants=p1"), std::string::npos) << top.out;

  ASSERT_TRUE(cluster.RestartParticipant(1, &error)) << error;
  EXPECT_TRUE(WaitFor(
      [&] {
        return metric("twopc_coordinator_in_doubt_transactions{state=\"UNDELIVERED_COMMIT\"}") ==
                   0 &&
               metric("twopc_coordinator_participant_up{participant=\"p1\"}") == 1;
      },
      kRefreshDeadlineMs))
      << Scrape(admin, "/metrics").value_or("(no answer)") << cluster.Logs();
  EXPECT_EQ(metric("twopc_coordinator_undelivered_commits"), 0);
}

TEST(AdminFlagTest, BadOrBusyAdminAddressIsRefused) {
  TempDir dir;
  const std::string participant = "p0=127.0.0.1:" + std::to_string(FreePorts(1)[0]);
  auto txcoord = [&](const std::string& admin) {
    return RunProgram(BinaryPath("txcoord"),
                      {"--listen", "127.0.0.1:" + std::to_string(FreePorts(1)[0]), "--wal-dir",
                       dir.path() + "/wal", "--participant", participant, "--admin-listen", admin});
  };
  const RunResult bad = txcoord("nowhere");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("txcoord: --admin-listen: expected HOST:PORT"), std::string::npos)
      << bad.err;

  const rpc::HostPort busy{"127.0.0.1", FreePorts(1)[0]};
  admin::AdminServer holder(busy, {});
  ASSERT_TRUE(holder.Start().ok());
  const RunResult taken = txcoord(busy.ToString());
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("txcoord: --admin-listen " + busy.ToString() + ": cannot listen"),
            std::string::npos)
      << taken.err;
}

}  // namespace
}  // namespace twopc::testing
