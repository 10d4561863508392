// The Python client (tools/python) against a real cluster: the example script
// runs a transfer, and the balances moved on both databases; a branch's
// SELECT returns its rows; a deadline goes through.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/cluster.h"

namespace twopc::testing {
namespace {

class PythonClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<Cluster>(dir_.path());
    Cluster::Options options;
    options.accounts = 4;
    options.balance = 100;
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }
  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  // transfer_example.py with `args`, through env for PYTHONPATH.
  RunResult Example(const std::vector<std::string>& args) const {
    std::vector<std::string> command = {
        std::string("PYTHONPATH=") + TWOPC_PYTHON_GEN_DIR + ":" + TWOPC_PYTHON_SOURCE_DIR,
        "PYTHONDONTWRITEBYTECODE=1",
        TWOPC_PYTHON,
        std::string(TWOPC_PYTHON_SOURCE_DIR) + "/transfer_example.py",
        "--coordinator",
        cluster_->coordinator_address()};
    command.insert(command.end(), args.begin(), args.end());
    return RunProgram("/usr/bin/env", command);
  }

  // `code` run by Python with the client importable and the coordinator's
  // address as sys.argv[1].
  RunResult Python(const std::string& code) const {
    return RunProgram(
        "/usr/bin/env",
        {std::string("PYTHONPATH=") + TWOPC_PYTHON_GEN_DIR + ":" + TWOPC_PYTHON_SOURCE_DIR,
         "PYTHONDONTWRITEBYTECODE=1", TWOPC_PYTHON, "-c", code, cluster_->coordinator_address()});
  }

  TempDir dir_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(PythonClientTest, ABranchThatReadsReturnsItsRowsAndADeadlineGoesThrough) {
  const RunResult run = Python(R"(
import sys
from twopc_client import Client, Transaction
with Client(sys.argv[1]) as client:
    result = client.execute(
        Transaction()
        .add("p0", "SELECT id, balance FROM accounts WHERE id < 2 ORDER BY id")
        .add("p1", "UPDATE accounts SET balance = balance + 1 WHERE id = 3"),
        wait_applied=True, deadline_ms=60000)
    print(result.outcome, result.rows)
)");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "COMMITTED {'p0': [(['id', 'balance'], [[0, 100], [1, 100]])]}\n") << run.err;
  EXPECT_EQ(ReadBalances(cluster_->db_path(1)), (std::vector<int64_t>{100, 100, 100, 101}));
}

TEST_F(PythonClientTest, ExampleTransferMovesTheMoneyOnBothDatabases) {
  const RunResult run = Example({"--from", "p0:2", "--to", "p1:0", "--amount", "30"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(" COMMITTED"), std::string::npos) << run.out << run.err;
  EXPECT_EQ(ReadBalances(cluster_->db_path(0)), (std::vector<int64_t>{100, 100, 70, 100}));
  EXPECT_EQ(ReadBalances(cluster_->db_path(1)), (std::vector<int64_t>{130, 100, 100, 100}));
}

TEST_F(PythonClientTest, ExampleReportsAnAbortAndChangesNothing) {
  // More than the balance: the CHECK (balance >= 0) fails at p0.
  const RunResult run = Example({"--from", "p0:1", "--to", "p1:1", "--amount", "500"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find(" ABORTED: "), std::string::npos) << run.out << run.err;
  EXPECT_NE(run.out.find("CHECK constraint failed"), std::string::npos) << run.out;
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, 30000));
  EXPECT_EQ(ReadBalances(cluster_->db_path(0)), std::vector<int64_t>(4, 100));
  EXPECT_EQ(ReadBalances(cluster_->db_path(1)), std::vector<int64_t>(4, 100));
}

TEST_F(PythonClientTest, UnknownParticipantIsRefused) {
  const RunResult run = Example({"--from", "px:1", "--to", "p1:1", "--amount", "1"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("UNKNOWN_PARTICIPANT"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace twopc::testing
