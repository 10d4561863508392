// The one exception twopc::Client throws. Its code mirrors the IDL's ErrorCode
// for what the service refused, plus codes for what went wrong on the way.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace twopc {

enum class ErrorCode {
  // Refused by the service (same numbers as twopc.thrift's ErrorCode).
  kInvalidRequest = 1,
  kUnknownParticipant = 2,
  kDuplicateParticipant = 3,
  kLimitExceeded = 4,
  kOverloaded = 5,
  kInternal = 6,
  kNotFound = 7,
  kHeuristicMismatch = 8,
  kUnauthenticated = 9,  // wrong or missing token (ClientOptions::security.token)
  // Found by the client.
  kInvalidArgument = 100,  // bad client options (e.g. an address that is not HOST:PORT)
  kUnavailable = 101,      // could not connect: the request was not sent
  kCallFailed = 102,       // the call failed after the request was sent: its effect is unknown
};

// "INVALID_REQUEST", ..., "UNAVAILABLE", "CALL_FAILED".
const char* ErrorCodeName(ErrorCode code);

class ClientError : public std::runtime_error {
 public:
  // `message` is the whole sentence (what()); `detail` is its cause alone (the
  // service's message, or the transport's error text).
  ClientError(ErrorCode code, const std::string& message, std::string detail)
      : std::runtime_error(message), code_(code), detail_(std::move(detail)) {}

  ErrorCode code() const { return code_; }
  const std::string& detail() const { return detail_; }
  // True for the service's own refusals (codes 1..9): the request reached it
  // and was not run.
  bool refused_by_service() const { return static_cast<int>(code_) < 100; }

 private:
  ErrorCode code_;
  std::string detail_;
};

}  // namespace twopc
