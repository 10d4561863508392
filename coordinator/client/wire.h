// Conversions between the public types (the vocabulary of requests and
// results that the client and the coordinator share) and the generated Thrift
// types, both ways: the client converts requests to the wire and results from
// it, the coordinator's Thrift edge the reverse. Pure; never in a public
// header. The functions that take an output pointer reuse its memory.
#pragma once

#include "gen-cpp/twopc_types.h"
#include "twopc/client_error.h"
#include "twopc/transaction.h"
#include "twopc/value.h"

namespace twopc::client_internal {

void ToWire(const Value& value, rpc::Value* out);
void ToWire(const Statement& statement, rpc::Statement* out);
void ToWire(const Transaction& transaction, const ExecuteOptions& options,
            rpc::ExecuteRequest* out);
// The coordinator's side.
void FromWire(const rpc::ExecuteRequest& request, std::vector<Branch>* branches,
              ExecuteOptions* options);
void ToWire(const QueryResult& result, rpc::QueryResult* out);
void ToWire(const ExecuteResult& result, rpc::ExecuteResult* out);
rpc::Outcome::type ToWire(Outcome outcome);
rpc::InDoubtTransaction ToWire(const InDoubtTransaction& transaction);

Value FromWire(const rpc::Value& value);
Outcome FromWire(const rpc::Outcome::type& outcome);
ErrorCode FromWire(const rpc::ErrorCode::type& code);
void FromWire(const rpc::ExecuteResult& result, ExecuteResult* out);
QueryResult FromWire(const rpc::QueryResult& result);
QueryResult FromWire(rpc::QueryResult&& result);  // moves the strings
HealthInfo FromWire(const rpc::Health& health);
InDoubtTransaction FromWire(const rpc::InDoubtTransaction& transaction);

}  // namespace twopc::client_internal
