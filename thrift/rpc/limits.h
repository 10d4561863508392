// How big a request may be. Plain values, no Thrift: the coordinator's
// driver holds them, the edges check requests against them
// (thrift/rpc/request_limits.h).
#pragma once

#include <cstddef>

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

}  // namespace twopc::rpc
