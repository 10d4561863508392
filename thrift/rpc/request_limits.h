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
#include "thrift/rpc/limits.h"

namespace twopc::rpc {

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

}  // namespace twopc::rpc
