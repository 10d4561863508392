// Conversions between the client's public types and the generated Thrift
// types. Pure; internal to the library (its public headers never show Thrift).
// The ToWire/FromWire functions that take an output pointer reuse its memory.
#pragma once

#include "gen-cpp/twopc_types.h"
#include "twopc/client_error.h"
#include "twopc/transaction.h"
#include "twopc/value.h"

namespace twopc::client_internal {

void ToWire(const Value& value, rpc::Value* out);
void ToWire(const Transaction& transaction, const ExecuteOptions& options,
            rpc::ExecuteRequest* out);

Value FromWire(const rpc::Value& value);
Outcome FromWire(rpc::Outcome::type outcome);
ErrorCode FromWire(rpc::ErrorCode::type code);
void FromWire(const rpc::ExecuteResult& result, ExecuteResult* out);
QueryResult FromWire(const rpc::QueryResult& result);
HealthInfo FromWire(const rpc::Health& health);
InDoubtTransaction FromWire(const rpc::InDoubtTransaction& transaction);

}  // namespace twopc::client_internal
