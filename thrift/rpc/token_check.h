// The shared-secret token on every RPC. A client wraps its protocol in
// Thrift's TMultiplexedProtocol(protocol, token), so each call's name goes out
// as "TOKEN:method" (a Python client does the same with its class of that
// name); replies keep the plain name. On the server, TokenCheckProcessor reads
// the name, checks the prefix and hands the call on with its plain name.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <thrift/TProcessor.h>

namespace twopc::rpc {

// True when both are equal; the time taken depends on the length of `given`
// only, never on where the first difference is.
bool ConstantTimeEquals(std::string_view expected, std::string_view given);

// "TOKEN:method" split at the last ':' (method names have none, a token may).
// A name without ':' carries no token.
struct TokenedName {
  bool has_token = false;
  std::string token;
  std::string method;
};
TokenedName SplitTokenedName(const std::string& name);

// Dispatches a call to `authenticated` when it carries `token`, otherwise to
// `rejecting`, a processor whose handler refuses every method with
// UNAUTHENTICATED; so an unauthenticated call never reaches the real handler.
// Each refusal is logged with the peer's address, never with the token.
// With an empty `token` every call is served, with or without a prefix (a
// prefixed name must not come back as an unknown method: that would echo the
// client's token in the error).
class TokenCheckProcessor : public apache::thrift::TProcessor {
 public:
  TokenCheckProcessor(std::shared_ptr<apache::thrift::TProcessor> authenticated,
                      std::shared_ptr<apache::thrift::TProcessor> rejecting, std::string token)
      : authenticated_(std::move(authenticated)),
        rejecting_(std::move(rejecting)),
        token_(std::move(token)) {}

  bool process(std::shared_ptr<apache::thrift::protocol::TProtocol> in,
               std::shared_ptr<apache::thrift::protocol::TProtocol> out,
               void* connection_context) override;

 private:
  const std::shared_ptr<apache::thrift::TProcessor> authenticated_;
  const std::shared_ptr<apache::thrift::TProcessor> rejecting_;
  const std::string token_;
};

}  // namespace twopc::rpc
