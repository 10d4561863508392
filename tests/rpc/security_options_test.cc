// The rules for the security options every program shares: the token file,
// and which TLS files must be given together.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "tests/temp_dir.h"
#include "thrift/rpc/tls_factories.h"
#include "thrift/rpc/token_file.h"

namespace twopc::rpc {
namespace {

std::string WriteFile(const test::TempDir& dir, const std::string& name, const std::string& text,
                      mode_t mode) {
  const std::string path = dir.Join(name);
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
  return path;
}

TEST(ReadTokenFileTest, TheTokenIsTheContentWithoutSurroundingWhitespace) {
  test::TempDir dir;
  const std::string path = WriteFile(dir, "token", "  s3cret-token-0123456789\n", 0600);
  std::string warning;
  const StatusOr<std::string> token = ReadTokenFile(path, &warning);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(*token, "s3cret-token-0123456789");
  EXPECT_EQ(warning, "");
}

TEST(ReadTokenFileTest, AnEmptyOrMissingFileIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const std::string empty = WriteFile(dir, "empty", " \n\n", 0600);
  std::string warning;
  const StatusOr<std::string> from_empty = ReadTokenFile(empty, &warning);
  EXPECT_TRUE(from_empty.status().IsInvalidArgument());
  EXPECT_EQ(from_empty.status().message(),
            "--token-file " + empty + ": empty (it must hold the cluster's token)");
  const StatusOr<std::string> from_missing = ReadTokenFile(dir.Join("missing"), &warning);
  EXPECT_TRUE(from_missing.status().IsIoError());
  EXPECT_EQ(from_missing.status().message(),
            "--token-file " + dir.Join("missing") + ": cannot read it: No such file or directory");
}

TEST(ReadTokenFileTest, WarnsWhenOthersCanReadItOrTheTokenIsShort) {
  test::TempDir dir;
  std::string warning;
  const std::string shared = WriteFile(dir, "shared", "s3cret-token-0123456789", 0644);
  const StatusOr<std::string> shared_token = ReadTokenFile(shared, &warning);
  ASSERT_TRUE(shared_token.ok()) << shared_token.status().ToString();
  EXPECT_EQ(warning, "--token-file " + shared + " can be read by other users (chmod 600 it)");
  const std::string short_path = WriteFile(dir, "short", "abc", 0600);
  const StatusOr<std::string> short_token = ReadTokenFile(short_path, &warning);
  ASSERT_TRUE(short_token.ok()) << short_token.status().ToString();
  EXPECT_NE(warning.find("shorter than 16 characters"), std::string::npos) << warning;
  EXPECT_EQ(warning.find("abc"), std::string::npos) << "the token is in the warning";
}

TEST(CheckTlsOptionsTest, NoTlsFilesMeansPlainTcp) {
  const Status status = CheckTlsOptions(SecurityOptions(), /*serves=*/true);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

// The message of a refusal (the check must fail with InvalidArgument).
std::string RefusalOf(const SecurityOptions& security, bool serves) {
  const Status status = CheckTlsOptions(security, serves);
  EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
  return status.message();
}

TEST(CheckTlsOptionsTest, RefusesIncompleteSets) {
  SecurityOptions cert_only;
  cert_only.tls_cert = "node.pem";
  EXPECT_EQ(RefusalOf(cert_only, false),
            "--tls-cert and --tls-key go together: give both or neither");

  SecurityOptions key_only;
  key_only.tls_key = "node.key";
  EXPECT_EQ(RefusalOf(key_only, false),
            "--tls-cert and --tls-key go together: give both or neither");

  SecurityOptions no_ca;
  no_ca.tls_cert = "node.pem";
  no_ca.tls_key = "node.key";
  EXPECT_EQ(RefusalOf(no_ca, false),
            "--tls-ca is required with TLS: peers' certificates are always verified "
            "against it");

  SecurityOptions server_without_cert;
  server_without_cert.tls_ca = "ca.pem";
  EXPECT_EQ(RefusalOf(server_without_cert, /*serves=*/true),
            "a server with TLS needs --tls-cert and --tls-key");

  SecurityOptions mutual_without_tls;
  mutual_without_tls.tls_require_client_cert = true;
  EXPECT_EQ(RefusalOf(mutual_without_tls, true),
            "--tls-require-client-cert needs --tls-cert, --tls-key and --tls-ca");
}

TEST(CheckTlsOptionsTest, AnUnreadableOrNonPemCaIsNamedInTheError) {
  test::TempDir dir;
  SecurityOptions client;
  client.tls_ca = dir.Join("missing.pem");
  EXPECT_EQ(RefusalOf(client, /*serves=*/false),
            "--tls-ca " + client.tls_ca + ": cannot read it: No such file or directory");
  client.tls_ca = WriteFile(dir, "garbage.pem", "not a certificate\n", 0600);
  const std::string error = RefusalOf(client, /*serves=*/false);
  EXPECT_EQ(error.rfind("--tls-ca " + client.tls_ca + ": not a PEM CA certificate bundle (", 0), 0u)
      << error;
}

}  // namespace
}  // namespace twopc::rpc
