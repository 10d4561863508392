#include "thrift/rpc/tls_factories.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include <openssl/ssl.h>

namespace twopc::rpc {
namespace {

using apache::thrift::transport::DefaultClientAccessManager;
using apache::thrift::transport::SSLProtocol;
using apache::thrift::transport::TSSLSocketFactory;
using apache::thrift::transport::TTransportException;

[[noreturn]] void Refuse(const std::string& flag, const std::string& path, const std::string& why) {
  throw TTransportException(TTransportException::BAD_ARGS, flag + " " + path + ": " + why);
}

// OpenSSL's own messages do not say which file; check it can be read first.
void RequireReadable(const std::string& flag, const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) Refuse(flag, path, std::string("cannot read it: ") + std::strerror(errno));
  std::fclose(file);
}

template <typename Load>
void LoadFile(const std::string& flag, const std::string& path, const std::string& what,
              const Load& load) {
  RequireReadable(flag, path);
  try {
    load(path.c_str());
  } catch (const TTransportException& e) {
    Refuse(flag, path, "not " + what + " (" + e.what() + ")");
  }
}

// Thrift's TLSv1_2 setting means exactly TLS 1.2; this one takes 1.2 or later.
class ModernTlsFactory : public TSSLSocketFactory {
 public:
  ModernTlsFactory() : TSSLSocketFactory(SSLProtocol::SSLTLS) {
    SSL_CTX_set_min_proto_version(ctx_->get(), TLS1_2_VERSION);
  }
};

std::shared_ptr<TSSLSocketFactory> NewFactory(const SecurityOptions& security, bool server) {
  // OpenSSL writes to the socket with write(2), not send(MSG_NOSIGNAL) as
  // Thrift's plain sockets do: a peer that went away would kill the whole
  // process with SIGPIPE. Ignored, the write fails with EPIPE instead.
  std::signal(SIGPIPE, SIG_IGN);
  std::shared_ptr<TSSLSocketFactory> factory = std::make_shared<ModernTlsFactory>();
  // An encrypted key then fails to load instead of prompting on a terminal.
  factory->overrideDefaultPasswordCallback();
  factory->server(server);
  if (!security.tls_cert.empty()) {
    LoadFile("--tls-cert", security.tls_cert, "a PEM certificate",
             [&](const char* path) { factory->loadCertificate(path); });
    LoadFile("--tls-key", security.tls_key,
             "an unencrypted PEM private key matching --tls-cert " + security.tls_cert,
             [&](const char* path) { factory->loadPrivateKey(path); });
  }
  if (!security.tls_ca.empty()) {
    LoadFile("--tls-ca", security.tls_ca, "a PEM CA certificate bundle",
             [&](const char* path) { factory->loadTrustedCertificates(path); });
  }
  if (server) {
    factory->authenticate(security.tls_require_client_cert);
  } else {
    // The handshake fails unless the server's chain verifies against --tls-ca;
    // the access manager then checks the name against the host dialled.
    factory->authenticate(true);
    factory->access(std::make_shared<DefaultClientAccessManager>());
  }
  return factory;
}

}  // namespace

std::shared_ptr<TSSLSocketFactory> ClientTlsFactory(const SecurityOptions& security) {
  // Loading the files and building an SSL_CTX per connection would be slow:
  // one factory per distinct set of files, kept for the life of the process
  // (never destroyed, so no connection outlives its context at exit).
  static std::mutex* mu = new std::mutex;
  static auto* factories = new std::map<std::string, std::shared_ptr<TSSLSocketFactory>>;
  const std::string key = security.tls_cert + '\n' + security.tls_key + '\n' + security.tls_ca;
  std::lock_guard<std::mutex> lock(*mu);
  auto it = factories->find(key);
  if (it != factories->end()) return it->second;
  std::shared_ptr<TSSLSocketFactory> factory = NewFactory(security, /*server=*/false);
  factories->emplace(key, factory);
  return factory;
}

std::shared_ptr<TSSLSocketFactory> ServerTlsFactory(const SecurityOptions& security) {
  return NewFactory(security, /*server=*/true);
}

Status CheckTlsOptions(const SecurityOptions& security, bool serves) {
  if (security.tls_cert.empty() != security.tls_key.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key go together: give both or neither");
  }
  if (!security.tls_enabled()) {
    if (security.tls_require_client_cert) {
      return Status::InvalidArgument(
          "--tls-require-client-cert needs --tls-cert, --tls-key and --tls-ca");
    }
    return Status::Ok();
  }
  if (security.tls_ca.empty()) {
    return Status::InvalidArgument(
        "--tls-ca is required with TLS: peers' certificates are always verified against it");
  }
  if (serves && security.tls_cert.empty()) {
    return Status::InvalidArgument("a server with TLS needs --tls-cert and --tls-key");
  }
  try {
    ClientTlsFactory(security);
    if (serves) ServerTlsFactory(security);
  } catch (const TTransportException& e) {
    return Status::InvalidArgument(e.what());
  }
  return Status::Ok();
}

}  // namespace twopc::rpc
