// The limits a request must stay within, checked before any work is done.
// Pure functions over the Thrift request types, shared by both services:
// the coordinator checks every transaction, the participant checks again
// what reaches its port directly.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gen-cpp/twopc_types.h"

namespace twopc::rpc {

struct StatementLimits {
  size_t max_statements = 1000;      // per branch
  size_t max_sql_bytes = 1 << 20;    // one statement's SQL text
  size_t max_value_bytes = 1 << 20;  // one parameter (TEXT or BLOB)
  size_t max_params = 1000;          // per statement
};

struct RequestLimits {
  size_t max_branches = 64;
  StatementLimits statements;
};

// Why a request is refused: the code and message of the TxError it gets.
struct Refusal {
  ErrorCode::type code;
  std::string message;
};

// Throws the TxError a service answers with.
[[noreturn]] void ThrowTxError(ErrorCode::type code, const std::string& message);

// One statement (`where` names it in the message, e.g. "the query"): within
// the limits, and every parameter well formed (a known kind, with its value).
std::optional<Refusal> CheckStatement(const std::string& sql, const std::vector<Value>& params,
                                      const StatementLimits& limits, const std::string& where);

// The statements of one branch (`where` names it in the message, e.g.
// "the branch for 'p0'"). nullopt when they are within the limits.
std::optional<Refusal> CheckStatements(const std::vector<Statement>& statements,
                                       const StatementLimits& limits, const std::string& where);

// A whole transaction: not empty, within the limits, every participant known
// (`known` is sorted) and named once.
std::optional<Refusal> CheckExecuteRequest(const ExecuteRequest& request,
                                           const RequestLimits& limits,
                                           const std::vector<std::string>& known);

// Admission: OVERLOADED once `in_flight` transactions already run.
std::optional<Refusal> CheckInFlight(size_t in_flight, size_t max_in_flight);

// The prepare timeout a request gets: its own (timeout_ms > 0) capped at
// `max`, or `default_timeout`.
std::chrono::milliseconds EffectivePrepareTimeout(int32_t timeout_ms,
                                                  std::chrono::milliseconds default_timeout,
                                                  std::chrono::milliseconds max);

// What a prepare sent with `remaining_ms` of its prepare timeout left asks the
// participant for (PrepareRequest.timeout_ms): a tenth less, at most 500 ms
// less, so that the participant's NO vote with its reason arrives before the
// coordinator stops waiting. At least 1.
int32_t BranchTimeoutMs(int64_t remaining_ms);

}  // namespace twopc::rpc
