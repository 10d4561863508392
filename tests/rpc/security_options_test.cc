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
  std::string token, error, warning;
  ASSERT_TRUE(ReadTokenFile(path, &token, &error, &warning)) << error;
  EXPECT_EQ(token, "s3cret-token-0123456789");
  EXPECT_EQ(warning, "");
}

TEST(ReadTokenFileTest, AnEmptyOrMissingFileIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const std::string empty = WriteFile(dir, "empty", " \n\n", 0600);
  std::string token, error, warning;
  EXPECT_FALSE(ReadTokenFile(empty, &token, &error, &warning));
  EXPECT_EQ(error, "--token-file " + empty + ": empty (it must hold the cluster's token)");
  EXPECT_FALSE(ReadTokenFile(dir.Join("missing"), &token, &error, &warning));
  EXPECT_EQ(error,
            "--token-file " + dir.Join("missing") + ": cannot read it: No such file or directory");
}

TEST(ReadTokenFileTest, WarnsWhenOthersCanReadItOrTheTokenIsShort) {
  test::TempDir dir;
  std::string token, error, warning;
  const std::string shared = WriteFile(dir, "shared", "s3cret-token-0123456789", 0644);
  ASSERT_TRUE(ReadTokenFile(shared, &token, &error, &warning)) << error;
  EXPECT_EQ(warning, "--token-file " + shared + " can be read by other users (chmod 600 it)");
  const std::string short_token = WriteFile(dir, "short", "abc", 0600);
  ASSERT_TRUE(ReadTokenFile(short_token, &token, &error, &warning)) << error;
  EXPECT_NE(warning.find("shorter than 16 characters"), std::string::npos) << warning;
  EXPECT_EQ(warning.find("abc"), std::string::npos) << "the token is in the warning";
}

TEST(CheckTlsOptionsTest, NoTlsFilesMeansPlainTcp) {
  std::string error;
  EXPECT_TRUE(CheckTlsOptions(SecurityOptions(), /*serves=*/true, &error)) << error;
}

TEST(CheckTlsOptionsTest, RefusesIncompleteSets) {
  std::string error;
  SecurityOptions cert_only;
  cert_only.tls_cert = "node.pem";
  EXPECT_FALSE(CheckTlsOptions(cert_only, false, &error));
  EXPECT_EQ(error, "--tls-cert and --tls-key go together: give both or neither");

  SecurityOptions key_only;
  key_only.tls_key = "node.key";
  EXPECT_FALSE(CheckTlsOptions(key_only, false, &error));
  EXPECT_EQ(error, "--tls-cert and --tls-key go together: give both or neither");

  SecurityOptions no_ca;
  no_ca.tls_cert = "node.pem";
  no_ca.tls_key = "node.key";
  EXPECT_FALSE(CheckTlsOptions(no_ca, false, &error));
  EXPECT_EQ(error,
            "--tls-ca is required with TLS: peers' certificates are always verified "
            "against it");

  SecurityOptions server_without_cert;
  server_without_cert.tls_ca = "ca.pem";
  EXPECT_FALSE(CheckTlsOptions(server_without_cert, /*serves=*/true, &error));
  EXPECT_EQ(error, "a server with TLS needs --tls-cert and --tls-key");

  SecurityOptions mutual_without_tls;
  mutual_without_tls.tls_require_client_cert = true;
  EXPECT_FALSE(CheckTlsOptions(mutual_without_tls, true, &error));
  EXPECT_EQ(error, "--tls-require-client-cert needs --tls-cert, --tls-key and --tls-ca");
}

TEST(CheckTlsOptionsTest, AnUnreadableOrNonPemCaIsNamedInTheError) {
  test::TempDir dir;
  std::string error;
  SecurityOptions client;
  client.tls_ca = dir.Join("missing.pem");
  EXPECT_FALSE(CheckTlsOptions(client, /*serves=*/false, &error));
  EXPECT_EQ(error, "--tls-ca " + client.tls_ca + ": cannot read it: No such file or directory");
  client.tls_ca = WriteFile(dir, "garbage.pem", "not a certificate\n", 0600);
  EXPECT_FALSE(CheckTlsOptions(client, /*serves=*/false, &error));
  EXPECT_EQ(error.rfind("--tls-ca " + client.tls_ca + ": not a PEM CA certificate bundle (", 0), 0u)
      << error;
}

}  // namespace
}  // namespace twopc::rpc
