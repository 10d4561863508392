// How a connection is secured: TLS files and the cluster's shared-secret token.
// Every program fills one of these from its flags and hands it to RpcClient /
// RpcServer. Empty fields mean "off" (plain TCP, no token).
#pragma once

#include <string>

namespace twopc::rpc {

struct SecurityOptions {
  std::string tls_cert;  // PEM certificate this side presents (server; client for mutual TLS)
  std::string tls_key;   // PEM private key of tls_cert
  std::string tls_ca;    // PEM CA bundle the peer's certificate is verified against
  std::string token;     // shared secret every RPC carries; never logged or printed
  // Servers only: refuse a TLS client that presents no certificate signed by tls_ca.
  bool tls_require_client_cert = false;

  bool tls_enabled() const { return !tls_ca.empty() || !tls_cert.empty(); }
  bool token_enabled() const { return !token.empty(); }
};

}  // namespace twopc::rpc
