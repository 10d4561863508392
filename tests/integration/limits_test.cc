// The configured limits, each against a real cluster: a request beyond one is
// refused with a clear error, and the process keeps serving.
#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <memory>

#include <thrift/TApplicationException.h>

#include "gen-cpp/Coordinator.h"
#include "gen-cpp/Participant.h"
#include "tests/integration/cluster.h"
#include "thrift/rpc/rpc_util.h"

namespace twopc::testing {
namespace {

// Bounds on waiting for a state (deadlines, not expectations).
constexpr int kDeadlineMs = 30000;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string Transfer(int from, int to, int amount, bool debit) {
  return "UPDATE accounts SET balance = balance " + std::string(debit ? "- " : "+ ") +
         std::to_string(amount) + " WHERE id = " + std::to_string(debit ? from : to);
}

template <typename ClientT>
std::unique_ptr<rpc::RpcClient<ClientT>> Connect(const std::string& address) {
  const StatusOr<rpc::HostPort> host_port = rpc::ParseHostPort(address);
  EXPECT_TRUE(host_port.ok()) << host_port.status().ToString();
  auto client = std::make_unique<rpc::RpcClient<ClientT>>(
      host_port.ok() ? *host_port : rpc::HostPort(), 5000, kDeadlineMs);
  client->EnsureOpen();
  return client;
}

rpc::Statement Sql(const std::string& sql) {
  rpc::Statement statement;
  statement.sql = sql;
  return statement;
}

rpc::Value Text(size_t bytes) {
  rpc::Value value;
  value.kind = rpc::ValueKind::TEXT;
  value.__set_text_value(std::string(bytes, 'x'));
  return value;
}

class LimitsTest : public ::testing::Test {
 protected:
  void Start(const Cluster::Options& options) {
    cluster_ = std::make_unique<Cluster>(dir_.path());
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }

  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  // A two-branch transfer through txctl; true when it committed.
  bool TransferCommits() const {
    const RunResult run =
        cluster_->Exec({{"p0", Transfer(1, 2, 1, true)}, {"p1", Transfer(1, 2, 1, false)}});
    return run.exit_code == 0 && Contains(run.out, "COMMITTED");
  }

  TempDir dir_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(LimitsTest, OversizedRequestGetsAClearErrorAndTheCoordinatorKeepsServing) {
  Cluster::Options options;
  options.coordinator_flags = {"--max_frame_bytes=65536"};
  ASSERT_NO_FATAL_FAILURE(Start(options));
  const std::string big_sql = "SELECT 1 -- " + std::string(100000, 'x');
  const RunResult run = cluster_->Exec({{"p0", big_sql}});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_TRUE(Contains(run.err,
                       "the coordinator refused the request, nothing was run: request "
                       "refused: Received an oversized frame"))
      << run.err;
  EXPECT_TRUE(Contains(run.err, "--max_frame_bytes 65536")) << run.err;
  EXPECT_TRUE(CoordinatorServing(cluster_->coordinator_address()));
  EXPECT_TRUE(TransferCommits());
}

TEST_F(LimitsTest, PrepareOverTheParticipantsFrameLimitAbortsAndTheParticipantKeepsServing) {
  Cluster::Options options;
  options.participant_flags = {"--max_frame_bytes=65536"};
  ASSERT_NO_FATAL_FAILURE(Start(options));
  const std::string big_sql =
      "UPDATE accounts SET balance = balance WHERE id = 1 -- " + std::string(100000, 'x');
  const RunResult run = cluster_->Exec({{"p0", big_sql}, {"p1", Transfer(1, 2, 1, false)}});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(Contains(run.out, "ABORTED: participant p0")) << run.out;
  EXPECT_TRUE(Contains(run.out, "--max_frame_bytes 65536")) << run.out;
  EXPECT_TRUE(ParticipantServing(cluster_->participant_address(0)));
  EXPECT_TRUE(TransferCommits());
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
}

TEST_F(LimitsTest, TooManyStatementsOrBranchesAreRefusedWithLimitExceeded) {
  Cluster::Options options;
  options.participants = 3;
  options.coordinator_flags = {"--max_statements=3", "--max_branches=2"};
  options.participant_flags = {"--max_statements=2"};
  ASSERT_NO_FATAL_FAILURE(Start(options));

  const RunResult statements = cluster_->Exec(
      {{"p0", "SELECT 1"}, {"p0", "SELECT 2"}, {"p0", "SELECT 3"}, {"p0", "SELECT 4"}});
  EXPECT_EQ(statements.exit_code, 2);
  EXPECT_TRUE(Contains(statements.err, "too many statements in the branch for 'p0': 4 > 3"))
      << statements.err;

  const RunResult branches =
      cluster_->Exec({{"p0", "SELECT 1"}, {"p1", "SELECT 1"}, {"p2", "SELECT 1"}});
  EXPECT_EQ(branches.exit_code, 2);
  EXPECT_TRUE(Contains(branches.err, "too many branches: 3 > 2")) << branches.err;

  // The participant checks its own limit on a prepare sent to it directly.
  auto participant = Connect<rpc::ParticipantClient>(cluster_->participant_address(0));
  rpc::PrepareRequest prepare;
  prepare.txid = 12345;
  prepare.statements = {Sql("SELECT 1"), Sql("SELECT 2"), Sql("SELECT 3")};
  rpc::PrepareResult result;
  try {
    (*participant)->prepare(result, prepare);
    ADD_FAILURE() << "a prepare over --max_statements was accepted";
  } catch (const rpc::TxError& e) {
    EXPECT_EQ(e.code, rpc::ErrorCode::LIMIT_EXCEEDED);
    EXPECT_EQ(e.message, "too many statements in the branch: 3 > 2");
  }
  EXPECT_TRUE(TransferCommits());
}

TEST_F(LimitsTest, OversizedParameterIsRefusedByCoordinatorAndParticipant) {
  Cluster::Options options;
  options.coordinator_flags = {"--max_value_bytes=1024"};
  options.participant_flags = {"--max_value_bytes=1024"};
  ASSERT_NO_FATAL_FAILURE(Start(options));

  rpc::Statement statement = Sql("UPDATE accounts SET balance = length(?) WHERE id = 1");
  statement.params = {Text(1025)};
  rpc::ExecuteRequest request;
  rpc::Branch branch;
  branch.participant = "p0";
  branch.statements = {statement};
  request.branches = {branch};
  auto coordinator = Connect<rpc::CoordinatorClient>(cluster_->coordinator_address());
  rpc::ExecuteResult result;
  try {
    (*coordinator)->execute(result, request);
    ADD_FAILURE() << "a parameter over --max_value_bytes was accepted";
  } catch (const rpc::TxError& e) {
    EXPECT_EQ(e.code, rpc::ErrorCode::LIMIT_EXCEEDED);
    EXPECT_EQ(e.message,
              "parameter 1 too large in the branch for 'p0', statement 1 (bytes): 1025 > 1024");
  }

  auto participant = Connect<rpc::ParticipantClient>(cluster_->participant_address(0));
  rpc::PrepareRequest prepare;
  prepare.txid = 12345;
  prepare.statements = {statement};
  rpc::PrepareResult vote;
  EXPECT_THROW((*participant)->prepare(vote, prepare), rpc::TxError);
  rpc::QueryResult rows;
  try {
    (*participant)->query(rows, "SELECT length(?)", {Text(2000)});
    ADD_FAILURE() << "a query parameter over --max_value_bytes was accepted";
  } catch (const rpc::TxError& e) {
    EXPECT_EQ(e.code, rpc::ErrorCode::LIMIT_EXCEEDED);
  }

  // Within the limit, the same request commits.
  request.branches[0].statements[0].params = {Text(1024)};
  (*coordinator)->execute(result, request);
  EXPECT_EQ(result.outcome, rpc::Outcome::COMMITTED);
  EXPECT_TRUE(WaitFor(
      [&] {
        return QueryInt(cluster_->db_path(0), "SELECT balance FROM accounts WHERE id = 1") == 1024;
      },
      kDeadlineMs));
}

// Connections that have been served a health call (so they hold a slot);
// one that is refused is dropped and tried again (a connection that just
// closed may still hold its slot for a moment).
template <typename ClientT>
bool HoldServedConnections(const std::string& address, size_t count,
                           std::vector<std::unique_ptr<rpc::RpcClient<ClientT>>>* held) {
  while (held->size() < count) {
    try {
      auto client = Connect<ClientT>(address);
      rpc::Health health;
      (*client)->health(health);
      held->push_back(std::move(client));
    } catch (const apache::thrift::TException&) {
      return false;
    }
  }
  return true;
}

TEST_F(LimitsTest, ConnectionsBeyondTheLimitAreToldSoAndServedOnceASlotFrees) {
  Cluster::Options options;
  options.coordinator_flags = {"--max_connections=2"};
  options.participant_flags = {"--max_connections=2"};
  ASSERT_NO_FATAL_FAILURE(Start(options));
  auto expect_limit = [&](const std::string& address, const std::string& txctl_flag,
                          const std::function<bool()>& fill,
                          const std::function<void()>& free_one) {
    SCOPED_TRACE(address);
    ASSERT_TRUE(WaitFor(fill, kDeadlineMs));
    const RunResult refused = cluster_->Txctl({txctl_flag, address, "health"});
    EXPECT_EQ(refused.exit_code, 3);
    EXPECT_TRUE(Contains(refused.err, "too many connections: this server serves at most 2"))
        << refused.err;
    free_one();
    EXPECT_TRUE(WaitFor(
        [&] {
          return cluster_->Txctl({txctl_flag, address, "health"}).exit_code == 0;
        },
        kDeadlineMs));
  };
  std::vector<std::unique_ptr<rpc::RpcClient<rpc::CoordinatorClient>>> to_coordinator;
  expect_limit(
      cluster_->coordinator_address(), "--coordinator",
      [&] { return HoldServedConnections(cluster_->coordinator_address(), 2, &to_coordinator); },
      [&] { to_coordinator.pop_back(); });
  std::vector<std::unique_ptr<rpc::RpcClient<rpc::ParticipantClient>>> to_participant;
  expect_limit(
      cluster_->participant_address(0), "--participant",
      [&] { return HoldServedConnections(cluster_->participant_address(0), 2, &to_participant); },
      [&] { to_participant.pop_back(); });
}

TEST_F(LimitsTest, ExecuteBeyondMaxInFlightFailsFastWithOverloaded) {
  Cluster::Options options;
  options.prepare_timeout_ms = 60000;
  options.coordinator_flags = {"--max_in_flight=1"};
  ASSERT_NO_FATAL_FAILURE(Start(options));
  // p1 answers nothing: the first transaction stays in flight.
  cluster_->participant(1).Pause();
  std::string error;
  auto first = Process::Start(
      BinaryPath("txctl"),
      {"--coordinator", cluster_->coordinator_address(), "exec", "--branch",
       "p0:" + Transfer(1, 2, 5, true), "--branch", "p1:" + Transfer(1, 2, 5, false)},
      dir_.path() + "/first-exec.log", &error);
  ASSERT_TRUE(first) << error;
  // In flight for sure once p0 holds its branch prepared.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto prepared = ListPrepared(cluster_->participant_address(0));
        return prepared && prepared->size() == 1;
      },
      kDeadlineMs))
      << first->LogTail();
  const RunResult second = cluster_->Exec({{"p0", "SELECT 1"}});
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_TRUE(Contains(second.err, "overloaded: 1 transactions in flight (--max_in_flight 1)"))
      << second.err;
  cluster_->participant(1).Resume();
  ASSERT_TRUE(first->WaitForExit(kDeadlineMs));
  EXPECT_EQ(first->exit_code(), 0) << first->LogTail();
  EXPECT_TRUE(WaitFor(
      [&] {
        return cluster_->Exec({{"p0", "SELECT 1"}}).exit_code == 0;
      },
      kDeadlineMs));
}

TEST_F(LimitsTest, ARequestedPrepareTimeoutIsCappedByMaxPrepareTimeout) {
  Cluster::Options options;
  options.coordinator_flags = {"--max_prepare_timeout_ms=1000"};
  ASSERT_NO_FATAL_FAILURE(Start(options));
  cluster_->participant(1).Pause();
  const RunResult run =
      cluster_->Exec({{"p0", Transfer(1, 2, 5, true)}, {"p1", Transfer(1, 2, 5, false)}},
                     {"--timeout-ms", "600000"});
  cluster_->participant(1).Resume();
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  // "... no vote within the prepare timeout (N ms)": N is what it waited.
  const std::string marker = "no vote within the prepare timeout (";
  const size_t at = run.out.find(marker);
  ASSERT_NE(at, std::string::npos) << run.out;
  EXPECT_LE(std::stoi(run.out.substr(at + marker.size())), 1000) << run.out;
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
}

}  // namespace
}  // namespace twopc::testing
