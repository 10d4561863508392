#include "twopc/client_error.h"

namespace twopc {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest:
      return "INVALID_REQUEST";
    case ErrorCode::kUnknownParticipant:
      return "UNKNOWN_PARTICIPANT";
    case ErrorCode::kDuplicateParticipant:
      return "DUPLICATE_PARTICIPANT";
    case ErrorCode::kLimitExceeded:
      return "LIMIT_EXCEEDED";
    case ErrorCode::kOverloaded:
      return "OVERLOADED";
    case ErrorCode::kInternal:
      return "INTERNAL";
    case ErrorCode::kNotFound:
      return "NOT_FOUND";
    case ErrorCode::kHeuristicMismatch:
      return "HEURISTIC_MISMATCH";
    case ErrorCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case ErrorCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::kUnavailable:
      return "UNAVAILABLE";
    case ErrorCode::kCallFailed:
      return "CALL_FAILED";
  }
  return "UNKNOWN_ERROR";
}

}  // namespace twopc
