// TLS and the shared-secret token, end to end: real txcoord/txpart/txctl
// processes on 127.0.0.1 with certificates made by openssl when the test runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/cluster.h"
#include "tests/integration/test_certs.h"

namespace twopc::testing {
namespace {

constexpr int kDeadlineMs = 30000;
const char kToken[] = "cluster-token-5f1c2a9e7b3d4c6a";
const char kWrongToken[] = "wrong-token-0a9b8c7d6e5f4a3b";

std::string Credit(int id, int amount) {
  return "UPDATE accounts SET balance = balance + " + std::to_string(amount) +
         " WHERE id = " + std::to_string(id);
}
std::string Debit(int id, int amount) { return Credit(id, -amount); }

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Neither the cluster's token nor the wrong one shows in `text`.
void ExpectNoToken(const std::string& text, const std::string& where) {
  EXPECT_FALSE(Contains(text, kToken)) << "the token appears in " << where;
  EXPECT_FALSE(Contains(text, kWrongToken)) << "a token appears in " << where;
}

std::string Both(const RunResult& result) { return result.out + result.err; }

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(MakeTestCerts(dir_.path() + "/certs", &certs_, &error)) << error;
  }
  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Logs();
  }

  // TLS with the node certificate, the cluster's token; `mutual`: client
  // certificates required.
  rpc::SecurityOptions Secure(bool mutual = false) const {
    rpc::SecurityOptions security;
    security.tls_cert = certs_.Path("node.pem");
    security.tls_key = certs_.Path("node.key");
    security.tls_ca = certs_.Path("ca.pem");
    security.token = kToken;
    security.tls_require_client_cert = mutual;
    return security;
  }

  void StartCluster(const rpc::SecurityOptions& security, Cluster::Options options = {}) {
    cluster_ = std::make_unique<Cluster>(dir_.path());
    options.security = security;
    std::string error;
    ASSERT_TRUE(cluster_->Start(options, &error)) << error;
  }

  // txctl with exactly `args` (none of the cluster's security options).
  static RunResult RawTxctl(const std::vector<std::string>& args) {
    return RunProgram(BinaryPath("txctl"), args);
  }

  std::string TokenFile(const std::string& name, const std::string& token) {
    const std::string path = dir_.path() + "/" + name;
    std::string error;
    EXPECT_TRUE(WriteTokenFile(path, token, &error)) << error;
    return path;
  }

  std::string CoordinatorLog() const { return cluster_->coordinator().LogTail(1 << 20); }
  std::string ParticipantLog(int i) const { return cluster_->participant(i).LogTail(1 << 20); }

  void ExpectNoTokenInLogs() const {
    ExpectNoToken(CoordinatorLog(), "the coordinator's log");
    for (int i = 0; i < cluster_->size(); ++i) {
      ExpectNoToken(ParticipantLog(i), cluster_->participant_name(i) + "'s log");
    }
  }

  // The transfer of 5 from p0's account 1 to p1's account 2, with txctl's `args`.
  std::vector<std::string> TransferArgs() const {
    return {"--coordinator",
            cluster_->coordinator_address(),
            "exec",
            "--branch",
            "p0:" + Debit(1, 5),
            "--branch",
            "p1:" + Credit(2, 5)};
  }

  void ExpectBalances(int64_t account1_on_p0, int64_t account2_on_p1) const {
    EXPECT_EQ(QueryInt(cluster_->db_path(0), "SELECT balance FROM accounts WHERE id = 1"),
              account1_on_p0);
    EXPECT_EQ(QueryInt(cluster_->db_path(1), "SELECT balance FROM accounts WHERE id = 2"),
              account2_on_p1);
  }

  TempDir dir_;
  TestCerts certs_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(SecurityTest, TlsAndTokenClusterCommitsATransferEndToEnd) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(Secure()));
  const RunResult transfer = cluster_->Txctl(TransferArgs());
  ASSERT_EQ(transfer.exit_code, 0) << Both(transfer);
  EXPECT_TRUE(Contains(transfer.out, "COMMITTED")) << transfer.out;
  ExpectBalances(995, 1005);
  const RunResult query = cluster_->Txctl({"--participant", cluster_->participant_address(0),
                                           "query", "SELECT balance FROM accounts WHERE id = 1"});
  EXPECT_EQ(query.exit_code, 0) << Both(query);
  EXPECT_EQ(query.out, "995\n");
  // txrecover's online listing goes through the same door.
  const std::vector<std::string> recover = {
      "list", "--coordinator", cluster_->coordinator_address(), "--tls-ca", certs_.Path("ca.pem")};
  std::vector<std::string> with_token = recover;
  with_token.insert(with_token.end(), {"--token-file", cluster_->token_file()});
  const RunResult listed = RunProgram(BinaryPath("txrecover"), with_token);
  EXPECT_EQ(listed.exit_code, 0) << Both(listed);
  EXPECT_EQ(listed.out, "nothing in doubt\n");
  const RunResult refused = RunProgram(BinaryPath("txrecover"), recover);
  EXPECT_NE(refused.exit_code, 0) << Both(refused);
  EXPECT_TRUE(Contains(refused.err, "unauthenticated")) << refused.err;
  EXPECT_TRUE(Contains(CoordinatorLog(), "TLS on every connection"));
  EXPECT_FALSE(Contains(CoordinatorLog(), "plain TCP"));
  EXPECT_FALSE(Contains(ParticipantLog(0), "no --token-file"));
  ExpectNoTokenInLogs();
}

TEST_F(SecurityTest, ClusterWithoutTlsOrTokenWarnsAtStartup) {
  ASSERT_NO_FATAL_FAILURE(StartCluster({}));
  for (const std::string& log : {CoordinatorLog(), ParticipantLog(0)}) {
    EXPECT_TRUE(Contains(log, "plain TCP: no --tls-cert/--tls-key/--tls-ca given")) << log;
    EXPECT_TRUE(Contains(log, "no --token-file: RPCs are accepted from anyone")) << log;
  }
}

TEST_F(SecurityTest, PlainTcpClientAgainstTlsServerFailsWithAClearError) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(Secure()));
  const std::string token = TokenFile("token-copy", kToken);
  const RunResult health =
      RawTxctl({"--token-file", token, "--coordinator", cluster_->coordinator_address(), "health"});
  EXPECT_EQ(health.exit_code, 3) << Both(health);
  EXPECT_TRUE(Contains(health.err, "if the server uses TLS, give --tls-ca")) << health.err;
  std::vector<std::string> args = {"--token-file", token};
  for (const std::string& arg : TransferArgs()) args.push_back(arg);
  const RunResult transfer = RawTxctl(args);
  EXPECT_NE(transfer.exit_code, 0) << Both(transfer);
  ExpectBalances(1000, 1000);
}

TEST_F(SecurityTest, ClientTrustingAnotherCaIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(Secure()));
  const RunResult health =
      RawTxctl({"--tls-ca", certs_.Path("other-ca.pem"), "--token-file", cluster_->token_file(),
                "--coordinator", cluster_->coordinator_address(), "health"});
  EXPECT_EQ(health.exit_code, 3) << Both(health);
  EXPECT_TRUE(Contains(health.err, "certificate verify failed")) << health.err;
  // The same client trusting the cluster's CA gets in.
  const RunResult trusted =
      RawTxctl({"--tls-ca", certs_.Path("ca.pem"), "--token-file", cluster_->token_file(),
                "--coordinator", cluster_->coordinator_address(), "health"});
  EXPECT_EQ(trusted.exit_code, 0) << Both(trusted);
}

TEST_F(SecurityTest, ServerCertificateForAnotherHostNameIsRefused) {
  // A coordinator whose certificate (from the trusted CA) names db.example.com only.
  const int port = FreePorts(1)[0];
  const std::string address = "127.0.0.1:" + std::to_string(port);
  std::string error;
  auto coordinator =
      Process::Start(BinaryPath("txcoord"),
                     {"--listen", address, "--wal-dir", dir_.path() + "/wal", "--participant",
                      "p0=127.0.0.1:1", "--tls-cert", certs_.Path("wrong-name.pem"), "--tls-key",
                      certs_.Path("wrong-name.key"), "--tls-ca", certs_.Path("ca.pem")},
                     dir_.path() + "/coordinator.log", &error);
  ASSERT_TRUE(coordinator) << error;
  ASSERT_TRUE(WaitFor([&] { return Contains(coordinator->LogTail(), "coordinator serving on"); },
                      kDeadlineMs))
      << coordinator->LogTail();
  const RunResult health =
      RawTxctl({"--tls-ca", certs_.Path("ca.pem"), "--coordinator", address, "health"});
  EXPECT_EQ(health.exit_code, 3) << Both(health);
  EXPECT_TRUE(Contains(health.err, "authorize")) << health.err;
}

TEST_F(SecurityTest, MutualTlsRefusesClientsWithoutACertificateFromTheCa) {
  // The processes present their certificates to each other as well.
  ASSERT_NO_FATAL_FAILURE(StartCluster(Secure(/*mutual=*/true)));
  const std::string coordinator = cluster_->coordinator_address();
  const RunResult no_cert =
      RawTxctl({"--tls-ca", certs_.Path("ca.pem"), "--token-file", cluster_->token_file(),
                "--coordinator", coordinator, "health"});
  EXPECT_EQ(no_cert.exit_code, 3) << Both(no_cert);
  EXPECT_TRUE(WaitFor(
      [&] { return Contains(CoordinatorLog(), "peer did not return a certificate"); }, kDeadlineMs))
      << CoordinatorLog();
  const RunResult foreign_cert =
      RawTxctl({"--tls-ca", certs_.Path("ca.pem"), "--tls-cert", certs_.Path("other-node.pem"),
                "--tls-key", certs_.Path("other-node.key"), "--token-file", cluster_->token_file(),
                "--coordinator", coordinator, "health"});
  EXPECT_EQ(foreign_cert.exit_code, 3) << Both(foreign_cert);
  const RunResult transfer = cluster_->Txctl(TransferArgs());  // presents node.pem
  EXPECT_EQ(transfer.exit_code, 0) << Both(transfer);
  ExpectBalances(995, 1005);
}

TEST_F(SecurityTest, WrongOrMissingTokenIsRefusedAndLoggedAndTheRightOneWorks) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(Secure()));
  const std::vector<std::string> tls = {"--tls-ca", certs_.Path("ca.pem")};
  const std::string wrong = TokenFile("wrong-token", kWrongToken);
  auto with = [&](std::vector<std::string> first, const std::vector<std::string>& rest) {
    first.insert(first.begin(), tls.begin(), tls.end());
    first.insert(first.end(), rest.begin(), rest.end());
    return first;
  };

  const RunResult wrong_exec = RawTxctl(with({"--token-file", wrong}, TransferArgs()));
  EXPECT_EQ(wrong_exec.exit_code, 2) << Both(wrong_exec);
  EXPECT_TRUE(Contains(wrong_exec.err, "unauthenticated")) << wrong_exec.err;
  const RunResult missing_exec = RawTxctl(with({}, TransferArgs()));
  EXPECT_EQ(missing_exec.exit_code, 2) << Both(missing_exec);
  EXPECT_TRUE(Contains(missing_exec.err, "unauthenticated")) << missing_exec.err;
  // Calls whose signature has no TxError are refused as well.
  const RunResult wrong_health = RawTxctl(
      with({"--token-file", wrong}, {"--coordinator", cluster_->coordinator_address(), "health"}));
  EXPECT_EQ(wrong_health.exit_code, 2) << Both(wrong_health);
  EXPECT_TRUE(Contains(wrong_health.err, "unauthenticated")) << wrong_health.err;
  const RunResult wrong_query =
      RawTxctl(with({"--token-file", wrong},
                    {"--participant", cluster_->participant_address(0), "query", "SELECT 1"}));
  EXPECT_EQ(wrong_query.exit_code, 2) << Both(wrong_query);
  EXPECT_TRUE(Contains(wrong_query.err, "unauthenticated")) << wrong_query.err;
  ExpectBalances(1000, 1000);

  EXPECT_TRUE(Contains(CoordinatorLog(), "refused call 'execute' from 127.0.0.1:"));
  EXPECT_TRUE(Contains(CoordinatorLog(), "wrong token"));
  EXPECT_TRUE(Contains(CoordinatorLog(), "no token"));
  EXPECT_TRUE(Contains(ParticipantLog(0), "refused call 'query'"));

  // The right token, from the file or from the environment.
  const RunResult right = RawTxctl(with({"--token-file", cluster_->token_file()}, TransferArgs()));
  EXPECT_EQ(right.exit_code, 0) << Both(right);
  std::vector<std::string> env_args = {std::string("TWOPC_TOKEN=") + kToken, BinaryPath("txctl")};
  for (const std::string& arg : with({}, TransferArgs())) env_args.push_back(arg);
  const RunResult from_env = RunProgram("/usr/bin/env", env_args);
  EXPECT_EQ(from_env.exit_code, 0) << Both(from_env);
  ExpectBalances(990, 1010);

  for (const RunResult* result :
       {&wrong_exec, &missing_exec, &wrong_health, &wrong_query, &right, &from_env}) {
    ExpectNoToken(Both(*result), "txctl's output");
  }
  ExpectNoTokenInLogs();
}

TEST_F(SecurityTest, InDoubtParticipantAsksTheCoordinatorOverMutualTlsWithTheToken) {
  // p1 dies right after its PREPARED record is synced; the coordinator aborts
  // and cannot tell it. Restarted, p1 is in doubt and must ask the coordinator.
  Cluster::Options options;
  options.participant_flags = {"--in_doubt_after_ms=300"};
  options.participant_env = {{}, {"TWOPC_FAILPOINTS=participant_after_prepared_sync"}};
  ASSERT_NO_FATAL_FAILURE(StartCluster(Secure(/*mutual=*/true), options));
  const RunResult transfer = cluster_->Txctl(TransferArgs());
  EXPECT_NE(transfer.exit_code, 0) << Both(transfer);
  ASSERT_TRUE(cluster_->participant(1).WaitForExit(kDeadlineMs)) << "p1 never reached the point";
  std::string error;
  ASSERT_TRUE(cluster_->RestartParticipant(1, &error)) << error;
  EXPECT_TRUE(WaitFor([&] { return cluster_->NothingInDoubt(); }, kDeadlineMs))
      << "p1 could not resolve its transaction";
  EXPECT_TRUE(Contains(ParticipantLog(1), "in doubt after restart")) << ParticipantLog(1);
  EXPECT_TRUE(Contains(ParticipantLog(1), "resolved: ABORT")) << ParticipantLog(1);
  ExpectBalances(1000, 1000);
  ExpectNoTokenInLogs();
}

TEST_F(SecurityTest, UnusableSecurityFilesStopTheProgramWithAOneLineError) {
  const std::string garbage = dir_.path() + "/garbage.pem";
  std::string error;
  ASSERT_TRUE(WriteTokenFile(garbage, "not a certificate\n", &error)) << error;
  const std::string empty_token = TokenFile("empty-token", "\n");
  const std::string secret_token = TokenFile("secret-token", kToken);
  const std::vector<std::string> coordinator = {"--wal-dir", dir_.path() + "/wal", "--participant",
                                                "p0=127.0.0.1:1"};
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"--tls-cert", garbage, "--tls-key", certs_.Path("node.key"), "--tls-ca",
        certs_.Path("ca.pem"), "--token-file", secret_token},
       "--tls-cert " + garbage + ": not a PEM certificate"},
      {{"--tls-cert", certs_.Path("node.pem"), "--tls-key", certs_.Path("other-node.key"),
        "--tls-ca", certs_.Path("ca.pem")},
       "--tls-key " + certs_.Path("other-node.key") + ": not an unencrypted PEM private key"},
      {{"--tls-cert", certs_.Path("node.pem"), "--tls-key", certs_.Path("node.key"), "--tls-ca",
        dir_.path() + "/missing.pem"},
       "--tls-ca " + dir_.path() + "/missing.pem: cannot read it: No such file or directory"},
      {{"--tls-cert", certs_.Path("node.pem"), "--tls-key", certs_.Path("node.key")},
       "--tls-ca is required with TLS"},
      {{"--token-file", empty_token}, "--token-file " + empty_token + ": empty"},
      {{"--tls-require-client-cert"}, "--tls-require-client-cert needs"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = coordinator;
    args.insert(args.end(), c.args.begin(), c.args.end());
    const RunResult result = RunProgram(BinaryPath("txcoord"), args);
    EXPECT_EQ(result.exit_code, 2) << Both(result);
    EXPECT_TRUE(Contains(result.err, "txcoord: " + c.expected)) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    ExpectNoToken(Both(result), "txcoord's error");
  }
  const RunResult txpart =
      RunProgram(BinaryPath("txpart"),
                 {"--name", "p0", "--db", dir_.path() + "/p0.db", "--create_db", "--wal-dir",
                  dir_.path() + "/p0-wal", "--coordinator", "127.0.0.1:1", "--tls-ca", garbage,
                  "--tls-cert", certs_.Path("node.pem"), "--tls-key", certs_.Path("node.key")});
  EXPECT_EQ(txpart.exit_code, 2) << Both(txpart);
  EXPECT_TRUE(Contains(txpart.err, "txpart: --tls-ca " + garbage + ": not a PEM CA")) << txpart.err;
  const RunResult txctl = RawTxctl({"--tls-ca", garbage, "--coordinator", "127.0.0.1:1", "health"});
  EXPECT_EQ(txctl.exit_code, 2) << Both(txctl);
  EXPECT_TRUE(Contains(txctl.err, "txctl: --tls-ca " + garbage + ": not a PEM CA")) << txctl.err;
  for (const std::string program : {"txcoord", "txpart", "txctl"}) {
    const RunResult help = RunProgram(BinaryPath(program), {"--help"});
    EXPECT_TRUE(Contains(Both(help), "--tls")) << program;
    ExpectNoToken(Both(help), program + " --help");
  }
}

}  // namespace
}  // namespace twopc::testing
