// The security flags of the servers (txcoord, txpart), defined once:
// --tls_cert --tls_key --tls_ca --tls_require_client_cert --token_file
// (gflags: --tls-cert etc. work too). The tools with their own parsers
// (txctl, txrecover, txbench) take the same options and share
// tls_factories.h / token_file.h.
#pragma once

#include <string>

#include "thrift/rpc/rpc_security.h"

namespace twopc::rpc {

// Builds the options from the flags: reads the token file and checks that the
// TLS files load. On failure returns false with a one-line reason.
bool SecurityFromFlags(SecurityOptions* out, std::string* error);

// Logs how the process's connections are secured, with a WARNING when it
// runs plain TCP or without a token (or the token file is weak). Never the token.
void LogSecurity(const SecurityOptions& security);

}  // namespace twopc::rpc
