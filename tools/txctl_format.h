// How txctl prints results: plain text lines and JSON. Pure functions. Each
// takes the client library's types; the Thrift-typed overloads convert.
#pragma once

#include <string>
#include <vector>

#include "gen-cpp/twopc_types.h"
#include "twopc/transaction.h"
#include "twopc/value.h"

namespace twopc::txctl {

// "COMMITTED", "ABORTED", "IN_PROGRESS" or "UNKNOWN".
std::string OutcomeName(rpc::Outcome::type outcome);

// One value as a query prints it: NULL, an integer, a real, text (tab,
// newline, CR and backslash escaped) or X'hex' for a blob.
std::string FormatValue(const Value& value);
std::string FormatValue(const rpc::Value& value);

// The values of one row, separated by tabs.
std::string FormatRow(const std::vector<Value>& row);
std::string FormatRow(const rpc::Row& row);

// "TXID COMMITTED" or "TXID ABORTED: reason" (other outcomes: "TXID OUTCOME").
std::string FormatExecuteText(const ExecuteResult& result);
std::string FormatExecuteText(const rpc::ExecuteResult& result);

// The rows the branches read, one line each as FormatRow prints them: branch
// by branch, statement by statement. Empty when nothing was read.
std::string FormatExecuteReads(const ExecuteResult& result);

// {"txid":..,"outcome":"..","reason":"..","branches":[{"participant":"..","changes":[..]}]}
// and, for a branch that read, "rows":[{"columns":[..],"rows":[[..],..]},..]
// per statement (values: null, numbers, strings, {"blob":"HEX"}).
std::string FormatExecuteJson(const ExecuteResult& result);
std::string FormatExecuteJson(const rpc::ExecuteResult& result);

}  // namespace twopc::txctl
