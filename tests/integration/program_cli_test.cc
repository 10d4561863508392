// The conventions every program follows, checked on the real binaries:
// --help with examples (exit 0), --version, and for txcoord/txpart the
// --config FILE, exit 2 on a bad flag, and --log_format=json.
#include <gtest/gtest.h>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/cluster.h"
#include "tests/integration/process.h"
#include "tools/cluster/bank_database.h"

namespace twopc::testing {
namespace {

const char* const kPrograms[] = {"txcoord", "txpart", "txctl", "txrecover", "txbench"};

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(ProgramCliTest, EveryProgramHelpShowsExamplesAndExitCodesAndExitsZero) {
  for (const std::string program : kPrograms) {
    const RunResult run = RunProgram(BinaryPath(program), {"--help"});
    EXPECT_EQ(run.exit_code, 0) << program << "\n" << run.err;
    EXPECT_NE(run.out.find("Examples:\n  " + program + " "), std::string::npos) << program << "\n"
                                                                                << run.out;
    EXPECT_NE(run.out.find("Exit codes:"), std::string::npos) << program << "\n" << run.out;
  }
}

TEST(ProgramCliTest, EveryProgramVersionIsTheProjectVersion) {
  for (const std::string program : kPrograms) {
    const RunResult run = RunProgram(BinaryPath(program), {"--version"});
    EXPECT_EQ(run.exit_code, 0) << program << "\n" << run.err;
    EXPECT_EQ(run.out, program + " (twopc) " TWOPC_EXPECTED_VERSION "\n");
  }
}

TEST(ProgramCliTest, ServerHelpListsItsOwnFlagsOnly) {
  const RunResult run = RunProgram(BinaryPath("txpart"), {"--help"});
  for (const char* flag : {"--config FILE", "--wal_dir", "--lock_wait_ms", "--log_format"}) {
    EXPECT_NE(run.out.find(flag), std::string::npos) << flag << "\n" << run.out;
  }
  EXPECT_EQ(run.out.find("--minloglevel ("), std::string::npos) << "glog's flags are listed";
}

TEST(ProgramCliTest, BadFlagsExitTwoWithOneLineReason) {
  TempDir dir;
  const std::string config = dir.path() + "/bad.conf";
  WriteFile(config, "# twopc\n--name=p0\n--lock_wait_msec=5\n");
  struct Case {
    std::string program;
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {"txcoord", {"--bogus"}, "txcoord: unknown flag '--bogus'\n"},
      {"txcoord",
       {"--prepare-timeout-ms=soon"},
       "txcoord: bad value 'soon' for --prepare-timeout-ms (int32)\n"},
      {"txpart",
       {"--config", config},
       "txpart: " + config + " line 3: unknown flag '--lock_wait_msec'\n"},
      {"txpart",
       {"--config", dir.path() + "/absent.conf"},
       "txpart: --config " + dir.path() + "/absent.conf: cannot read: No such file or directory\n"},
      {"txpart", {"--log_format=xml"}, "txpart: --log_format must be text or json, got 'xml'\n"},
      {"txpart", {"stray"}, "txpart: unexpected argument 'stray'\n"},
  };
  for (const Case& c : cases) {
    const RunResult run = RunProgram(BinaryPath(c.program), c.args);
    EXPECT_EQ(run.exit_code, 2) << c.program << " " << c.args[0] << "\n" << run.err;
    EXPECT_EQ(run.err, c.err);
  }
}

// Every flag of a txpart and of a txcoord comes from its config file (the
// coordinator's participant too); a transfer through them commits.
TEST(ProgramCliTest, ConfigFileSetsEveryFlag) {
  TempDir dir;
  const std::vector<int> ports = FreePorts(2);
  const std::string coordinator = "127.0.0.1:" + std::to_string(ports[0]);
  const std::string participant = "127.0.0.1:" + std::to_string(ports[1]);
  const Status created = tools::CreateBankDatabase(dir.path() + "/p0.db", 4, 100);
  ASSERT_TRUE(created.ok()) << created.message();
  std::string error;
  WriteFile(dir.path() + "/txpart.conf",
            "# participant p0\n--name=p0\nlisten=" + participant + "\n--db=" + dir.path() +
                "/p0.db\n--wal-dir=" + dir.path() + "/p0-wal\n--coordinator=" + coordinator +
                "\n--lock_wait_ms=500\n\n--nocreate_db\n");
  WriteFile(dir.path() + "/txcoord.conf", "--listen=" + coordinator + "\n--wal_dir=" + dir.path() +
                                              "/coord-wal\n--participant=p0=" + participant +
                                              "\n--prepare_timeout_ms=20000\n");
  auto part = Process::Start(BinaryPath("txpart"), {"--config", dir.path() + "/txpart.conf"},
                             dir.path() + "/p0.log", &error);
  ASSERT_TRUE(part) << error;
  auto coord = Process::Start(BinaryPath("txcoord"), {"--config=" + dir.path() + "/txcoord.conf"},
                              dir.path() + "/coordinator.log", &error);
  ASSERT_TRUE(coord) << error;
  ASSERT_TRUE(WaitFor(
      [&] { return ParticipantServing(participant) && CoordinatorServing(coordinator); }, 30000))
      << part->LogTail() << coord->LogTail();

  const RunResult run = RunProgram(
      BinaryPath("txctl"), {"--coordinator", coordinator, "exec", "--branch",
                            "p0:UPDATE accounts SET balance = balance - 7 WHERE id = 1", "--branch",
                            "p0:UPDATE accounts SET balance = balance + 7 WHERE id = 2"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err << coord->LogTail();
  EXPECT_NE(run.out.find("COMMITTED"), std::string::npos) << run.out;
  EXPECT_TRUE(WaitFor([&] { return ReadBalances(dir.path() + "/p0.db")[1] == 93; }, 30000));
}

// Parses every line of `path` as a JSON object with the log fields; returns
// the messages.
std::vector<std::string> JsonLogMessages(const std::string& path, const std::string& program) {
  std::ifstream file(path);
  std::string line;
  std::vector<std::string> messages;
  while (std::getline(file, line)) {
    boost::property_tree::ptree object;
    std::istringstream in(line);
    try {
      boost::property_tree::read_json(in, object);
    } catch (const std::exception& e) {
      ADD_FAILURE() << path << ": not a JSON line: " << line;
      continue;
    }
    EXPECT_EQ(object.get<std::string>("program", ""), program) << line;
    EXPECT_NE(object.get<std::string>("time", "").find('T'), std::string::npos) << line;
    EXPECT_NE(object.get<std::string>("severity", ""), "") << line;
    EXPECT_GT(object.get<int64_t>("thread", 0), 0) << line;
    EXPECT_NE(object.get<std::string>("file", ""), "") << line;
    EXPECT_GT(object.get<int>("line", 0), 0) << line;
    messages.push_back(object.get<std::string>("message", ""));
  }
  return messages;
}

bool AnyContains(const std::vector<std::string>& messages, const std::string& text) {
  for (const std::string& message : messages) {
    if (message.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ProgramCliTest, JsonLogFormatWritesOneJsonObjectPerLine) {
  TempDir dir;
  Cluster cluster(dir.path());
  Cluster::Options options;
  options.participant_flags = {"--log_format=json"};
  options.coordinator_flags = {"--log-format", "json"};
  std::string error;
  ASSERT_TRUE(cluster.Start(options, &error)) << error;
  const RunResult run =
      cluster.Exec({{"p0", "UPDATE accounts SET balance = balance - 1 WHERE id = 1"},
                    {"p1", "UPDATE accounts SET balance = balance + 1 WHERE id = 1"}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  cluster.coordinator().Stop(std::chrono::seconds(30));
  cluster.participant(0).Stop(std::chrono::seconds(30));

  const std::vector<std::string> coordinator =
      JsonLogMessages(dir.path() + "/coordinator.log", "txcoord");
  EXPECT_TRUE(AnyContains(coordinator, "coordinator serving on"));
  EXPECT_TRUE(AnyContains(coordinator, ": stopping"));
  const std::vector<std::string> participant = JsonLogMessages(dir.path() + "/p0.log", "txpart");
  EXPECT_TRUE(AnyContains(participant, "participant p0 serving on"));
  EXPECT_TRUE(AnyContains(participant, ": stopping"));
}

TEST(ProgramCliTest, JsonLogFormatReportsAFailedStartAsAJsonLine) {
  TempDir dir;
  const RunResult run = RunProgram(
      BinaryPath("txpart"), {"--log_format=json", "--name=p0", "--db=" + dir.path() + "/absent.db",
                             "--wal_dir=" + dir.path() + "/wal", "--coordinator=127.0.0.1:1"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  WriteFile(dir.path() + "/err.log", run.err);
  const std::vector<std::string> messages = JsonLogMessages(dir.path() + "/err.log", "txpart");
  EXPECT_TRUE(AnyContains(messages, "absent.db does not exist")) << run.err;
}

}  // namespace
}  // namespace twopc::testing
