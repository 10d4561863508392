// The OpenSSL contexts behind TLS connections, built from SecurityOptions.
//
// What is verified: a client checks that the server's certificate chains to
// tls_ca and names the host it dialled (Thrift's DefaultClientAccessManager:
// a subjectAltName DNS name or IP address, or the common name). A server asks
// for a client certificate only with tls_require_client_cert, and then checks
// that it chains to tls_ca (no name check: any holder of a certificate from
// that CA is a member of the cluster). TLS 1.2 or later (1.3 when both have it).
#pragma once

#include <memory>
#include <string>

#include <thrift/transport/TSSLSocket.h>

#include "thrift/rpc/rpc_security.h"
#include "wal/base/status.h"

namespace twopc::rpc {

// The factory for client sockets with these options, built once per distinct
// (cert, key, ca) and shared by every connection. Throws
// apache::thrift::transport::TTransportException with a one-line reason (which
// file, what is wrong with it) when a file cannot be used.
std::shared_ptr<apache::thrift::transport::TSSLSocketFactory> ClientTlsFactory(
    const SecurityOptions& security);

// A new factory for a server's accepted sockets. Throws like ClientTlsFactory.
std::shared_ptr<apache::thrift::transport::TSSLSocketFactory> ServerTlsFactory(
    const SecurityOptions& security);

// Checks the TLS options of a program that serves (`serves`) and/or connects:
// the right files are given and each loads. Returns InvalidArgument with a
// one-line reason naming the flag and the file when they are not.
Status CheckTlsOptions(const SecurityOptions& security, bool serves);

}  // namespace twopc::rpc
