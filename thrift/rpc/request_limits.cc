#include "thrift/rpc/request_limits.h"

#include <algorithm>
#include <set>

#include "thrift/rpc/wire_enum.h"

namespace twopc::rpc {
namespace {

Refusal TooMany(const std::string& what, size_t got, size_t limit) {
  return Refusal{ErrorCode::LIMIT_EXCEEDED,
                 what + ": " + std::to_string(got) + " > " + std::to_string(limit)};
}

size_t ValueBytes(const Value& value) {
  // Any number may arrive in `kind`: read it raw (see wire_enum.h).
  const int32_t kind = WireEnumValue(value.kind);
  if (kind == ValueKind::TEXT) return value.text_value.size();
  if (kind == ValueKind::BLOB) return value.blob_value.size();
  return 0;
}

// The kind is one of ValueKind's and the value of that kind is present.
bool WellFormed(const Value& value) {
  switch (WireEnumValue(value.kind)) {  // any number may arrive
    case ValueKind::NULL_VALUE:
      return true;
    case ValueKind::INTEGER:
      return value.__isset.integer_value;
    case ValueKind::REAL:
      return value.__isset.real_value;
    case ValueKind::TEXT:
      return value.__isset.text_value;
    case ValueKind::BLOB:
      return value.__isset.blob_value;
  }
  return false;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

void ThrowTxError(ErrorCode::type code, const std::string& message) {
  TxError error;
  error.code = code;
  error.message = message;
  throw error;
}

std::optional<Refusal> CheckStatement(const std::string& sql, const std::vector<Value>& params,
                                      const StatementLimits& limits, const std::string& where) {
  if (sql.size() > limits.max_sql_bytes) {
    return TooMany("SQL too long in " + where + " (bytes)", sql.size(), limits.max_sql_bytes);
  }
  if (params.size() > limits.max_params) {
    return TooMany("too many parameters in " + where, params.size(), limits.max_params);
  }
  for (size_t p = 0; p < params.size(); ++p) {
    if (!WellFormed(params[p])) {
      return Refusal{ErrorCode::INVALID_REQUEST, "parameter " + std::to_string(p + 1) + " in " +
                                                     where + ": its kind does not match its value"};
    }
    const size_t bytes = ValueBytes(params[p]);
    if (bytes > limits.max_value_bytes) {
      return TooMany("parameter " + std::to_string(p + 1) + " too large in " + where + " (bytes)",
                     bytes, limits.max_value_bytes);
    }
  }
  return std::nullopt;
}

std::optional<Refusal> CheckStatements(const std::vector<Statement>& statements,
                                       const StatementLimits& limits, const std::string& where) {
  if (statements.empty()) return Refusal{ErrorCode::INVALID_REQUEST, where + " has no statements"};
  if (statements.size() > limits.max_statements) {
    return TooMany("too many statements in " + where, statements.size(), limits.max_statements);
  }
  for (size_t i = 0; i < statements.size(); ++i) {
    if (auto refusal = CheckStatement(statements[i].sql, statements[i].params, limits,
                                      where + ", statement " + std::to_string(i + 1))) {
      return refusal;
    }
  }
  return std::nullopt;
}

std::optional<Refusal> CheckExecuteRequest(const ExecuteRequest& request,
                                           const RequestLimits& limits,
                                           const std::vector<std::string>& known) {
  if (request.branches.empty()) {
    return Refusal{ErrorCode::INVALID_REQUEST, "a transaction has no branches"};
  }
  if (request.branches.size() > limits.max_branches) {
    return TooMany("too many branches", request.branches.size(), limits.max_branches);
  }
  if (request.timeout_ms < 0) {
    return Refusal{ErrorCode::INVALID_REQUEST, "timeout_ms must be >= 0"};
  }
  if (request.deadline_ms < 0) {
    return Refusal{ErrorCode::INVALID_REQUEST, "deadline_ms must be >= 0"};
  }
  std::set<std::string> seen;
  for (const Branch& branch : request.branches) {
    if (!std::binary_search(known.begin(), known.end(), branch.participant)) {
      return Refusal{ErrorCode::UNKNOWN_PARTICIPANT, "unknown participant '" + branch.participant +
                                                         "' (known: " + Join(known) + ")"};
    }
    if (!seen.insert(branch.participant).second) {
      return Refusal{
          ErrorCode::DUPLICATE_PARTICIPANT,
          "participant '" + branch.participant + "' has two branches; put its statements in one"};
    }
    if (auto refusal = CheckStatements(branch.statements, limits.statements,
                                       "the branch for '" + branch.participant + "'")) {
      return refusal;
    }
  }
  return std::nullopt;
}

}  // namespace twopc::rpc
