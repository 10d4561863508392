// Throw-away certificates for the TLS tests, made with the openssl CLI in the
// test's own directory when the test runs (no key is ever committed).
#pragma once

#include <string>

namespace twopc::testing {

// Files under `dir` (all PEM, keys unencrypted):
//   ca.pem/ca.key, other-ca.pem/other-ca.key       two unrelated CAs
//   node.pem/node.key       signed by ca, for IP:127.0.0.1 and DNS:localhost
//   other-node.pem/.key     signed by other-ca, same names
//   wrong-name.pem/.key     signed by ca, for DNS:db.example.com only
struct TestCerts {
  std::string dir;
  std::string Path(const std::string& file) const { return dir + "/" + file; }
};

// Creates `dir` and the files; false with openssl's output in *error on failure.
bool MakeTestCerts(const std::string& dir, TestCerts* certs, std::string* error);

}  // namespace twopc::testing
