#include "thrift/server/security_flags.h"

#include <string>
#include <utility>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "thrift/rpc/tls_factories.h"
#include "thrift/rpc/token_file.h"

DEFINE_string(tls_cert, "",
              "PEM certificate this process presents (as a server, and as a client to servers "
              "that require client certificates); with --tls-key and --tls-ca turns TLS on");
DEFINE_string(tls_key, "", "PEM private key of --tls-cert (unencrypted)");
DEFINE_string(tls_ca, "",
              "PEM CA bundle every peer's certificate is verified against (required with TLS)");
DEFINE_bool(tls_require_client_cert, false,
            "mutual TLS: refuse clients that present no certificate signed by --tls-ca");
DEFINE_string(token_file, "",
              "file holding the cluster's shared-secret token; every RPC sent carries it and "
              "every RPC served must (none given: calls without a token are accepted)");

namespace twopc::rpc {
namespace {

// Set by SecurityFromFlags, logged by LogSecurity once logging is set up.
std::string token_file_warning;

}  // namespace

StatusOr<SecurityOptions> SecurityFromFlags() {
  SecurityOptions security;
  security.tls_cert = FLAGS_tls_cert;
  security.tls_key = FLAGS_tls_key;
  security.tls_ca = FLAGS_tls_ca;
  security.tls_require_client_cert = FLAGS_tls_require_client_cert;
  if (!FLAGS_token_file.empty()) {
    StatusOr<std::string> token = ReadTokenFile(FLAGS_token_file, &token_file_warning);
    if (!token.ok()) return token.status();
    security.token = std::move(token).value();
  }
  TWOPC_RETURN_IF_ERROR(CheckTlsOptions(security, /*serves=*/true));
  return security;
}

void LogSecurity(const SecurityOptions& security) {
  if (security.tls_enabled()) {
    LOG(INFO) << "TLS on every connection (certificate " << security.tls_cert << ", CA "
              << security.tls_ca << "); client certificates "
              << (security.tls_require_client_cert ? "required" : "not required");
  } else {
    LOG(WARNING) << "plain TCP: no --tls-cert/--tls-key/--tls-ca given, so connections are "
                    "neither encrypted nor verified";
  }
  if (security.token_enabled()) {
    LOG(INFO) << "every RPC must carry the token from --token-file";
  } else {
    LOG(WARNING) << "no --token-file: RPCs are accepted from anyone who can connect";
  }
  if (!token_file_warning.empty()) LOG(WARNING) << token_file_warning;
}

}  // namespace twopc::rpc
