// The security flags of the servers (txcoord, txpart), defined once:
// --tls_cert --tls_key --tls_ca --tls_require_client_cert --token_file
// (gflags: --tls-cert etc. work too). The tools with their own parsers
// (txctl, txrecover, txbench) take the same options and share
// tls_factories.h / token_file.h.
#pragma once

#include "thrift/rpc/rpc_security.h"
#include "wal/base/status.h"

namespace twopc::rpc {

// Builds the options from the flags: reads the token file and checks that the
// TLS files load. Returns the error of ReadTokenFile or CheckTlsOptions (a
// one-line reason) when either fails.
StatusOr<SecurityOptions> SecurityFromFlags();

// Logs how the process's connections are secured, with a WARNING when it
// runs plain TCP or without a token (or the token file is weak). Never the token.
void LogSecurity(const SecurityOptions& security);

}  // namespace twopc::rpc
