#include "tests/integration/test_certs.h"

#include <filesystem>

#include "tests/integration/process.h"

namespace twopc::testing {
namespace {

// $1: the directory. P-256 keys: quick to generate.
const char kScript[] = R"(set -e
cd "$1"
ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$1.key" -out "$1.pem" -subj "/CN=twopc test $1" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1.key" -out "$1.csr" -subj "/CN=twopc test $1"
  printf 'subjectAltName=%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 \
    -out "$1.pem" -extfile "$1.ext"
}
ca ca
ca other-ca
leaf node ca IP:127.0.0.1,DNS:localhost
leaf other-node other-ca IP:127.0.0.1,DNS:localhost
leaf wrong-name ca DNS:db.example.com
)";

}  // namespace

bool MakeTestCerts(const std::string& dir, TestCerts* certs, std::string* error) {
  std::filesystem::create_directories(dir);
  const RunResult result = RunProgram("/bin/sh", {"-c", kScript, "sh", dir});
  if (result.exit_code != 0) {
    *error = "openssl failed (exit " + std::to_string(result.exit_code) + "): " + result.err;
    return false;
  }
  certs->dir = dir;
  return true;
}

}  // namespace twopc::testing
