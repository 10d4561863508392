// What each bad input gets, against a real cluster: a clear error, the
// process keeps serving, nothing is lost. (Malformed SQL, an unknown
// participant and a slow participant are in transaction_test.cc.)
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "gen-cpp/Coordinator.h"
#include "gen-cpp/Participant.h"
#include "tests/integration/cluster.h"
#include "tests/integration/raw_connection.h"
#include "tests/integration/wal_files.h"
#include "thrift/rpc/rpc_util.h"

namespace twopc::testing {
namespace {

// Bounds on waiting for a state (deadlines, not expectations).
constexpr int kDeadlineMs = 30000;
constexpr int kAccounts = 10;
constexpr int64_t kBalance = 1000;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string Credit(int id, int amount) {
  return "UPDATE accounts SET balance = balance + " + std::to_string(amount) +
         " WHERE id = " + std::to_string(id);
}
std::string Debit(int id, int amount) { return Credit(id, -amount); }

template <typename ClientT>
std::unique_ptr<rpc::RpcClient<ClientT>> Connect(const std::string& address) {
  const StatusOr<rpc::HostPort> host_port = rpc::ParseHostPort(address);
  EXPECT_TRUE(host_port.ok()) << host_port.status().ToString();
  auto client = std::make_unique<rpc::RpcClient<ClientT>>(
      host_port.ok() ? *host_port : rpc::HostPort(), 5000, kDeadlineMs);
  client->EnsureOpen();
  return client;
}

rpc::Branch BranchOf(const std::string& participant, const std::vector<std::string>& sqls) {
  rpc::Branch branch;
  branch.participant = participant;
  for (const std::string& sql : sqls) {
    rpc::Statement statement;
    statement.sql = sql;
    branch.statements.push_back(statement);
  }
  return branch;
}

// How many established TCP connections (IPv4) have `port` as their local
// port: on a server's port, the connections it accepted and still keeps.
int EstablishedAtLocalPort(int port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // header
  int count = 0;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    const size_t colon = local.find(':');
    if (colon == std::string::npos || state != "01") continue;  // 01: ESTABLISHED
    if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) ++count;
  }
  return count;
}

int64_t Total(const std::vector<int64_t>& balances) {
  int64_t total = 0;
  for (int64_t balance : balances) total += balance;
  return total;
}

class HostileInputTest : public ::testing::Test {
 protected:
  void Start(Cluster::Options options = {}) {
    options.accounts = kAccounts;
    options.balance = kBalance;
    cluster_ = std::make_unique<Cluster>(dir_.path());
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }

  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  RunResult TransferOne() const {
    return cluster_->Exec({{"p0", Debit(1, 1)}, {"p1", Credit(2, 1)}});
  }

  // Both databases together still hold every unit: a transfer happened on
  // both or on neither.
  void ExpectTotalKept() const {
    EXPECT_EQ(Total(ReadBalances(cluster_->db_path(0))) + Total(ReadBalances(cluster_->db_path(1))),
              2 * kAccounts * kBalance);
  }

  TempDir dir_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(HostileInputTest, GarbageBytesGetAnErrorReplyAndBothServersKeepServing) {
  ASSERT_NO_FATAL_FAILURE(Start());
  struct Garbage {
    std::string bytes;
    std::string reply;  // part of the error the server sends back
  };
  const std::vector<Garbage> garbage = {
      // An HTTP request: its first four bytes read as a frame of ~1.2 GB.
      {"GET / HTTP/1.1\r\nHost: twopc\r\n\r\n", "oversized frame"},
      // A frame of the right size holding no Thrift message.
      {std::string("\0\0\0\x0c", 4) + "hello, world", "not a valid Thrift request"},
      // A negative frame size.
      {"\xff\xff\xff\xfe", "negative"},
  };
  for (const std::string& address :
       {cluster_->coordinator_address(), cluster_->participant_address(0)}) {
    for (const Garbage& g : garbage) {
      SCOPED_TRACE(address + " <- " + g.reply);
      RawConnection connection(address);
      ASSERT_TRUE(connection.connected());
      ASSERT_TRUE(connection.Send(g.bytes));
      connection.FinishSending();
      bool closed = false;
      const std::string reply = connection.ReadUntilClosed(kDeadlineMs, &closed);
      EXPECT_TRUE(closed) << "the server kept a connection that sent garbage";
      EXPECT_TRUE(Contains(reply, g.reply)) << reply;
    }
  }
  EXPECT_TRUE(CoordinatorServing(cluster_->coordinator_address()));
  EXPECT_TRUE(ParticipantServing(cluster_->participant_address(0)));
  EXPECT_EQ(TransferOne().exit_code, 0);
}

TEST_F(HostileInputTest, ASilentClientIsClosedAfterTheIdleTimeoutAndBlocksNoOne) {
  Cluster::Options options;
  options.coordinator_flags = {"--idle_timeout_ms=500"};
  options.participant_flags = {"--idle_timeout_ms=500"};
  ASSERT_NO_FATAL_FAILURE(Start(options));
  RawConnection to_coordinator(cluster_->coordinator_address());
  RawConnection to_participant(cluster_->participant_address(0));
  ASSERT_TRUE(to_coordinator.connected() && to_participant.connected());
  // While they sit there, others are served.
  const RunResult run = TransferOne();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  bool closed = false;
  EXPECT_EQ(to_coordinator.ReadUntilClosed(kDeadlineMs, &closed), "");
  EXPECT_TRUE(closed) << "the coordinator kept a silent connection";
  EXPECT_EQ(to_participant.ReadUntilClosed(kDeadlineMs, &closed), "");
  EXPECT_TRUE(closed) << "the participant kept a silent connection";
}

TEST_F(HostileInputTest, PooledConnectionsSurviveTheParticipantsIdleTimeout) {
  Cluster::Options options;
  options.participant_flags = {"--idle_timeout_ms=300"};
  ASSERT_NO_FATAL_FAILURE(Start(options));
  const RunResult first = TransferOne();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  // Every connection the participants accepted (the coordinator's pooled
  // ones among them) is closed once idle.
  auto port_of = [](const std::string& address) {
    return std::stoi(address.substr(address.rfind(':') + 1));
  };
  const int port0 = port_of(cluster_->participant_address(0));
  const int port1 = port_of(cluster_->participant_address(1));
  ASSERT_TRUE(WaitFor(
      [&] { return EstablishedAtLocalPort(port0) == 0 && EstablishedAtLocalPort(port1) == 0; },
      kDeadlineMs));
  const RunResult second = TransferOne();
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_TRUE(WaitFor(
      [&] {
        return cluster_->Balance(0, 1) == kBalance - 2 && cluster_->Balance(1, 2) == kBalance + 2;
      },
      kDeadlineMs));
}

TEST_F(HostileInputTest, MalformedRequestsGetTypedErrorsAndChangeNothing) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto coordinator = Connect<rpc::CoordinatorClient>(cluster_->coordinator_address());
  auto refused = [&](const rpc::ExecuteRequest& request) -> std::optional<rpc::TxError> {
    rpc::ExecuteResult result;
    try {
      (*coordinator)->execute(result, request);
    } catch (const rpc::TxError& e) {
      return e;
    }
    return std::nullopt;
  };
  rpc::ExecuteRequest empty;
  auto no_branches = refused(empty);
  ASSERT_TRUE(no_branches);
  EXPECT_EQ(no_branches->code, rpc::ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(no_branches->message, "a transaction has no branches");

  rpc::ExecuteRequest empty_branch;
  empty_branch.branches = {BranchOf("p0", {Debit(1, 5)}), BranchOf("p1", {})};
  auto no_statements = refused(empty_branch);
  ASSERT_TRUE(no_statements);
  EXPECT_EQ(no_statements->code, rpc::ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(no_statements->message, "the branch for 'p1' has no statements");

  rpc::ExecuteRequest duplicate;
  duplicate.branches = {BranchOf("p0", {Debit(1, 5)}), BranchOf("p0", {Credit(2, 5)})};
  auto twice = refused(duplicate);
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->code, rpc::ErrorCode::DUPLICATE_PARTICIPANT);
  EXPECT_EQ(twice->message, "participant 'p0' has two branches; put its statements in one");

  rpc::ExecuteRequest unknown;
  unknown.branches = {BranchOf("p0", {Debit(1, 5)}), BranchOf("px", {Credit(2, 5)})};
  auto who = refused(unknown);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->code, rpc::ErrorCode::UNKNOWN_PARTICIPANT);

  // A parameter whose kind and value disagree is refused: nothing runs.
  rpc::ExecuteRequest bad_value;
  bad_value.branches = {BranchOf("p0", {"UPDATE accounts SET balance = ? WHERE id = 1"}),
                        BranchOf("p1", {Credit(2, 5)})};
  rpc::Value text_without_text;
  text_without_text.kind = rpc::ValueKind::TEXT;
  bad_value.branches[0].statements[0].params = {text_without_text};
  auto mismatched = refused(bad_value);
  ASSERT_TRUE(mismatched);
  EXPECT_EQ(mismatched->code, rpc::ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(mismatched->message,
            "parameter 1 in the branch for 'p0', statement 1: its kind does not match its value");

  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
  EXPECT_EQ(ReadBalances(cluster_->db_path(0)), std::vector<int64_t>(kAccounts, kBalance));
  EXPECT_EQ(ReadBalances(cluster_->db_path(1)), std::vector<int64_t>(kAccounts, kBalance));
  EXPECT_EQ(TransferOne().exit_code, 0);
}

// The changeset carries the values a statement produced, so random() is not
// run again when a commit is replayed from the log.
TEST_F(HostileInputTest, ARandomValueIsReappliedFromTheLogUnchanged) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string db = cluster_->db_path(0);
  const std::string before = dir_.path() + "/p0-before.db";
  // A copy of p0's database from before the transaction (taken while stopped).
  cluster_->participant(0).Stop(std::chrono::milliseconds(kDeadlineMs));
  for (const std::string suffix : {"", "-wal"}) {
    if (std::filesystem::exists(db + suffix))
      std::filesystem::copy_file(db + suffix, before + suffix);
  }
  std::string error;
  ASSERT_TRUE(cluster_->RestartParticipant(0, &error)) << error;

  const RunResult run = cluster_->Exec(
      {{"p0", "UPDATE accounts SET balance = 1000000 + abs(random() % 1000000000) WHERE id = 1"},
       {"p1", Credit(2, 1)}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const int64_t chosen = cluster_->Balance(0, 1);
  ASSERT_GE(chosen, 1000000);

  // The database loses the commit (as an unsynced commit can in a power
  // loss); the agent's log still has it.
  cluster_->participant(0).Stop(std::chrono::milliseconds(kDeadlineMs));
  std::filesystem::remove(db + "-wal");
  std::filesystem::remove(db + "-shm");
  for (const std::string suffix : {"", "-wal"}) {
    if (std::filesystem::exists(before + suffix)) {
      std::filesystem::copy_file(before + suffix, db + suffix,
                                 std::filesystem::copy_options::overwrite_existing);
    }
  }
  ASSERT_EQ(cluster_->Balance(0, 1), kBalance);
  ASSERT_TRUE(cluster_->RestartParticipant(0, &error)) << error;
  EXPECT_TRUE(
      Contains(cluster_->participant(0).LogTail(100000), "applying them again from the log"))
      << cluster_->participant(0).LogTail();
  EXPECT_EQ(cluster_->Balance(0, 1), chosen);
}

TEST_F(HostileInputTest, AClientThatDisconnectsMidTransactionLeavesNoLocks) {
  Cluster::Options options;
  options.prepare_timeout_ms = 60000;
  ASSERT_NO_FATAL_FAILURE(Start(options));
  cluster_->participant(1).Pause();
  std::string error;
  auto client = Process::Start(BinaryPath("txctl"),
                               {"--coordinator", cluster_->coordinator_address(), "exec",
                                "--branch", "p0:" + Debit(1, 5), "--branch", "p1:" + Credit(2, 5)},
                               dir_.path() + "/client.log", &error);
  ASSERT_TRUE(client) << error;
  // p0 holds its branch prepared, p1 has not answered: the client goes away.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto prepared = ListPrepared(cluster_->participant_address(0));
        return prepared && prepared->size() == 1;
      },
      kDeadlineMs));
  client->Kill();
  cluster_->participant(1).Resume();

  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
  ExpectTotalKept();
  EXPECT_EQ(kBalance - cluster_->Balance(0, 1), cluster_->Balance(1, 2) - kBalance)
      << "half a transfer";
  // Nothing stays locked: the same rows can be written again.
  const RunResult next = TransferOne();
  EXPECT_EQ(next.exit_code, 0) << next.out << next.err;
}

// A full WAL disk, made with a file-size limit (RLIMIT_FSIZE) on the running
// participant: appends fail with EFBIG. The agent refuses new work with the
// reason, keeps answering, and what it committed before stays.
TEST_F(HostileInputTest, AParticipantWhoseLogCannotGrowRefusesNewWorkAndKeepsServing) {
  Cluster::Options options;
  options.schema_sql = "CREATE TABLE docs (id INTEGER PRIMARY KEY, body BLOB NOT NULL);";
  ASSERT_NO_FATAL_FAILURE(Start(options));
  ASSERT_EQ(TransferOne().exit_code, 0);
  rlimit limit{256 << 10, 256 << 10};
  ASSERT_EQ(::prlimit(cluster_->participant(0).pid(), RLIMIT_FSIZE, &limit, nullptr), 0);

  const RunResult big = cluster_->Exec(
      {{"p0", "INSERT INTO docs VALUES (1, zeroblob(400000))"}, {"p1", Credit(3, 1)}});
  EXPECT_EQ(big.exit_code, 1) << big.out << big.err;
  EXPECT_TRUE(Contains(big.out, "participant p0: participant cannot log")) << big.out;
  // Sticky: nothing more is prepared on a log that failed.
  const RunResult small = TransferOne();
  EXPECT_EQ(small.exit_code, 1) << small.out << small.err;
  EXPECT_TRUE(Contains(small.out, "participant cannot log")) << small.out;
  const RunResult health =
      cluster_->Txctl({"--participant", cluster_->participant_address(0), "health"});
  EXPECT_EQ(health.exit_code, 0) << health.err;

  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
  EXPECT_EQ(cluster_->Balance(0, 1), kBalance - 1);
  EXPECT_EQ(cluster_->Balance(1, 2), kBalance + 1);
  ExpectTotalKept();
  // With room again (a restart without the limit), it serves as before.
  std::string error;
  ASSERT_TRUE(cluster_->RestartParticipant(0, &error)) << error;
  EXPECT_EQ(TransferOne().exit_code, 0);
  EXPECT_EQ(cluster_->Balance(0, 1), kBalance - 2);
}

// The coordinator cannot tell whether a COMMIT record it failed to write
// reached the disk: it stops rather than announce either outcome, and the
// restart settles the transaction from the log.
TEST_F(HostileInputTest, ACoordinatorWhoseLogCannotGrowStopsAndTheRestartSettlesEverything) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_EQ(TransferOne().exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
  // No room for one more byte in the segment it appends to (the newest), at the end of
  // its records (the file is longer: preallocated space). Its stderr log is larger
  // already, so what it says about it is lost too.
  const std::map<std::string, uint64_t> ends =
      test::SegmentDataEnds(dir_.path() + "/coordinator-wal");
  ASSERT_FALSE(ends.empty());
  const rlim_t size = ends.rbegin()->second;
  const rlimit file_size{size, size};
  const rlimit no_core{0, 0};
  ASSERT_EQ(::prlimit(cluster_->coordinator().pid(), RLIMIT_FSIZE, &file_size, nullptr), 0);
  ASSERT_EQ(::prlimit(cluster_->coordinator().pid(), RLIMIT_CORE, &no_core, nullptr), 0);
  const RunResult run = TransferOne();
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_TRUE(Contains(run.err, "outcome unknown")) << run.err;
  ASSERT_TRUE(cluster_->coordinator().WaitForExit(kDeadlineMs));
  EXPECT_EQ(cluster_->coordinator().term_signal(), SIGABRT);  // LOG(FATAL)

  std::string error;
  ASSERT_TRUE(cluster_->RestartCoordinator(&error)) << error;
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
  ExpectTotalKept();
  EXPECT_EQ(kBalance - cluster_->Balance(0, 1), cluster_->Balance(1, 2) - kBalance)
      << "half a transfer";
  EXPECT_EQ(TransferOne().exit_code, 0);
}

// A flipped byte in the middle of either log: the process refuses to start
// with a one-line error (exit 2) instead of skipping the damage.
TEST_F(HostileInputTest, CorruptionInTheMiddleOfEitherLogStopsTheStartWithOneLine) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_EQ(TransferOne().exit_code, 0);
  ASSERT_EQ(TransferOne().exit_code, 0);
  cluster_->coordinator().Stop(std::chrono::milliseconds(kDeadlineMs));
  cluster_->participant(0).Stop(std::chrono::milliseconds(kDeadlineMs));
  for (const std::string& wal : {dir_.path() + "/coordinator-wal", dir_.path() + "/p0-wal"}) {
    std::string segment;
    uintmax_t largest = 0;
    for (const auto& entry : std::filesystem::directory_iterator(wal)) {
      if (entry.path().extension() == ".log" && entry.file_size() > largest) {
        largest = entry.file_size();
        segment = entry.path();
      }
    }
    ASSERT_GT(largest, 100u) << wal;
    // The checksum of the segment's first record (after the 24-byte header);
    // valid records follow it.
    std::fstream file(segment, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(25);
    char byte = 0;
    file.read(&byte, 1);
    file.seekp(25);
    byte = static_cast<char>(byte ^ 0x5a);
    file.write(&byte, 1);
  }
  std::string error;
  EXPECT_FALSE(cluster_->RestartParticipant(0, &error));
  EXPECT_EQ(cluster_->participant(0).exit_code(), 2);
  EXPECT_TRUE(Contains(cluster_->participant(0).LogTail(), "txpart: write-ahead log"))
      << cluster_->participant(0).LogTail();
  EXPECT_TRUE(Contains(cluster_->participant(0).LogTail(), "corruption"));
  EXPECT_FALSE(cluster_->RestartCoordinator(&error));
  EXPECT_EQ(cluster_->coordinator().exit_code(), 2);
  EXPECT_TRUE(Contains(cluster_->coordinator().LogTail(), "txcoord: decision log"))
      << cluster_->coordinator().LogTail();
  EXPECT_TRUE(Contains(cluster_->coordinator().LogTail(), "corruption"));
}

TEST_F(HostileInputTest, ADatabaseLockedByAnotherProcessVotesNoUntilItIsReleased) {
  Cluster::Options options;
  options.prepare_timeout_ms = 60000;
  ASSERT_NO_FATAL_FAILURE(Start(options));
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(cluster_->db_path(0).c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  const RunResult locked = TransferOne();
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_EQ(locked.exit_code, 1) << locked.out << locked.err;
  EXPECT_TRUE(Contains(locked.out, "participant p0")) << locked.out;
  EXPECT_TRUE(Contains(locked.out, "database is locked")) << locked.out;
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs));
  EXPECT_EQ(cluster_->Balance(1, 2), kBalance);
  EXPECT_EQ(TransferOne().exit_code, 0);
}

TEST_F(HostileInputTest, AMissingOrNonDatabaseFileStopsTheStartWithOneLine) {
  const std::vector<int> ports = FreePorts(1);
  const std::string not_db = dir_.path() + "/not.db";
  {
    std::ofstream file(not_db);
    file << std::string(8192, 'x');
  }
  struct Case {
    std::string db;
    std::string message;
  };
  for (const Case& c : {Case{dir_.path() + "/missing.db", "does not exist"},
                        Case{not_db, "file is not a database"}}) {
    SCOPED_TRACE(c.db);
    std::string error;
    auto process =
        Process::Start(BinaryPath("txpart"),
                       {"--name", "p0", "--listen", "127.0.0.1:" + std::to_string(ports[0]), "--db",
                        c.db, "--wal-dir", dir_.path() + "/wal", "--coordinator", "127.0.0.1:1"},
                       dir_.path() + "/txpart.log", &error);
    ASSERT_TRUE(process) << error;
    ASSERT_TRUE(process->WaitForExit(kDeadlineMs));
    EXPECT_EQ(process->exit_code(), 2);
    EXPECT_TRUE(Contains(process->LogTail(), c.message)) << process->LogTail();
  }
}

TEST_F(HostileInputTest, AWalDirectoryInUseStopsASecondProcessWithOneLine) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::vector<int> ports = FreePorts(2);
  std::string error;
  auto second_participant =
      Process::Start(BinaryPath("txpart"),
                     {"--name", "p0", "--listen", "127.0.0.1:" + std::to_string(ports[0]), "--db",
                      cluster_->db_path(0), "--wal-dir", dir_.path() + "/p0-wal", "--coordinator",
                      cluster_->coordinator_address()},
                     dir_.path() + "/second-p0.log", &error);
  ASSERT_TRUE(second_participant) << error;
  auto second_coordinator = Process::Start(
      BinaryPath("txcoord"),
      {"--listen", "127.0.0.1:" + std::to_string(ports[1]), "--wal-dir",
       dir_.path() + "/coordinator-wal", "--participant", "p0=" + cluster_->participant_address(0)},
      dir_.path() + "/second-coordinator.log", &error);
  ASSERT_TRUE(second_coordinator) << error;
  for (Process* process : {second_participant.get(), second_coordinator.get()}) {
    ASSERT_TRUE(process->WaitForExit(kDeadlineMs));
    EXPECT_EQ(process->exit_code(), 2);
    EXPECT_TRUE(Contains(process->LogTail(), "is in use by another process")) << process->LogTail();
  }
  EXPECT_EQ(TransferOne().exit_code, 0);
}

}  // namespace
}  // namespace twopc::testing
