// txctl as a process, without a cluster: usage errors exit 2 with a one-line
// reason on stderr; an address where nothing listens exits 3.
#include <gtest/gtest.h>

#include "tests/integration/cluster.h"
#include "tests/integration/process.h"

namespace twopc::testing {
namespace {

RunResult Txctl(const std::vector<std::string>& args) {
  return RunProgram(BinaryPath("txctl"), args);
}

// An address on 127.0.0.1 that refuses connections.
std::string DeadAddress() { return "127.0.0.1:" + std::to_string(FreePorts(1)[0]); }

void ExpectUsageError(const std::vector<std::string>& args, const std::string& mentions) {
  const RunResult run = Txctl(args);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("txctl: ", 0), 0u) << run.err;
  EXPECT_NE(run.err.find(mentions), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--help"), std::string::npos) << run.err;
}

TEST(TxctlCliTest, HelpPrintsUsageWithExamplesAndExitsZero) {
  const RunResult run = Txctl({"--help"});
  EXPECT_EQ(run.exit_code, 0);
  for (const char* word : {"exec", "--branch", "status", "query", "health", "Exit codes"}) {
    EXPECT_NE(run.out.find(word), std::string::npos) << word;
  }
}

TEST(TxctlCliTest, BadUsageExitsWithCodeTwo) {
  ExpectUsageError({}, "no command");
  ExpectUsageError({"frobnicate"}, "frobnicate");
  ExpectUsageError({"--coordinator", "127.0.0.1:1", "exec", "--nope"}, "--nope");
  ExpectUsageError({"--coordinator", "127.0.0.1:1", "exec"}, "--branch");
  ExpectUsageError({"--coordinator", "127.0.0.1:1", "exec", "--branch"}, "needs a value");
  ExpectUsageError({"--coordinator", "127.0.0.1:1", "exec", "--branch", "no colon here"},
                   "NAME:SQL");
  ExpectUsageError({"--coordinator", "localhost", "exec", "--branch", "p0:SELECT 1"}, "HOST:PORT");
  ExpectUsageError({"--coordinator", "127.0.0.1:99999", "health"}, "port");
  ExpectUsageError(
      {"--coordinator", "127.0.0.1:1", "exec", "--branch", "p0:SELECT 1", "--timeout-ms", "soon"},
      "--timeout-ms");
  ExpectUsageError({"--coordinator", "127.0.0.1:1", "status", "abc"}, "TXID");
  ExpectUsageError({"--participant", "127.0.0.1:1", "query"}, "SQL");
  ExpectUsageError({"health"}, "--coordinator");
}

TEST(TxctlCliTest, UnreachableCoordinatorExitsWithCodeThree) {
  const std::string address = DeadAddress();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--coordinator", address, "exec", "--branch", "p0:SELECT 1"},
        std::vector<std::string>{"--coordinator", address, "status", "1"},
        std::vector<std::string>{"--coordinator", address, "health"}}) {
    const RunResult run = Txctl(args);
    EXPECT_EQ(run.exit_code, 3) << args[2] << ": " << run.err;
    EXPECT_NE(run.err.find(address), std::string::npos) << run.err;
  }
}

TEST(TxctlCliTest, UnreachableParticipantExitsWithCodeThree) {
  const std::string address = DeadAddress();
  EXPECT_EQ(Txctl({"--participant", address, "health"}).exit_code, 3);
  EXPECT_EQ(Txctl({"--participant", address, "query", "SELECT 1"}).exit_code, 3);
}

}  // namespace
}  // namespace twopc::testing
