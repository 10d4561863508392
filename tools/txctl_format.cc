#include "tools/txctl_format.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "coordinator/client/wire.h"
#include "thrift/server/json_log_line.h"
#include "wal/base/json_text.h"

namespace twopc::txctl {

std::string OutcomeName(rpc::Outcome::type outcome) {
  switch (outcome) {
    case rpc::Outcome::COMMITTED:
      return "COMMITTED";
    case rpc::Outcome::ABORTED:
      return "ABORTED";
    case rpc::Outcome::IN_PROGRESS:
      return "IN_PROGRESS";
    case rpc::Outcome::UNKNOWN:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

namespace {

std::string FormatReal(double value) {
  // The shortest of %.15g / %.17g that reads back as the same double.
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.15g", value);
  if (std::strtod(buffer, nullptr) != value) {
    std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  }
  std::string text = buffer;
  // Keep a real recognisable as one: 1.0, not 1.
  if (text.find_first_of(".eEni") == std::string::npos) text += ".0";
  return text;
}

std::string EscapeText(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0xf];
  }
  return out;
}

std::string HexBlob(const std::string& bytes) { return "X'" + Hex(bytes) + "'"; }

}  // namespace

std::string FormatValue(const Value& value) {
  switch (value.kind()) {
    case ValueKind::kNull:
      return "NULL";
    case ValueKind::kInteger:
      return std::to_string(value.integer());
    case ValueKind::kReal:
      return FormatReal(value.real());
    case ValueKind::kText:
      return EscapeText(value.bytes());
    case ValueKind::kBlob:
      return HexBlob(value.bytes());
  }
  return "NULL";
}

std::string FormatValue(const rpc::Value& value) {
  return FormatValue(client_internal::FromWire(value));
}

std::string FormatRow(const std::vector<Value>& row) {
  std::string line;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) line += '\t';
    line += FormatValue(row[i]);
  }
  return line;
}

std::string FormatRow(const rpc::Row& row) {
  std::string line;
  for (size_t i = 0; i < row.values.size(); ++i) {
    if (i > 0) line += '\t';
    line += FormatValue(row.values[i]);
  }
  return line;
}

std::string FormatExecuteText(const ExecuteResult& result) {
  std::string line = std::to_string(result.txid) + " " + OutcomeName(result.outcome);
  if (result.outcome == Outcome::kAborted) line += ": " + result.reason;
  return line;
}

std::string FormatExecuteText(const rpc::ExecuteResult& result) {
  ExecuteResult converted;
  client_internal::FromWire(result, &converted);
  return FormatExecuteText(converted);
}

std::string FormatExecuteReads(const ExecuteResult& result) {
  std::string out;
  for (const BranchResult& branch : result.branches) {
    for (const QueryResult& read : branch.rows) {
      for (const std::vector<Value>& row : read.rows) out += FormatRow(row) + "\n";
    }
  }
  return out;
}

namespace {

// A value in JSON: null, a number, a string, or {"blob":"HEX"}.
std::string JsonValue(const Value& value) {
  switch (value.kind()) {
    case ValueKind::kNull:
      return "null";
    case ValueKind::kInteger:
      return std::to_string(value.integer());
    case ValueKind::kReal:
      return std::isfinite(value.real()) ? FormatReal(value.real()) : "null";
    case ValueKind::kText:
      return JsonQuote(program::ValidUtf8(value.bytes()));  // JSON needs UTF-8
    case ValueKind::kBlob:
      return "{\"blob\":" + JsonQuote(Hex(value.bytes())) + "}";
  }
  return "null";
}

std::string JsonReads(const std::vector<QueryResult>& reads) {
  std::string out = "[";
  for (size_t i = 0; i < reads.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"columns\":[";
    for (size_t c = 0; c < reads[i].columns.size(); ++c) {
      if (c > 0) out += ',';
      out += JsonQuote(reads[i].columns[c]);
    }
    out += "],\"rows\":[";
    for (size_t r = 0; r < reads[i].rows.size(); ++r) {
      if (r > 0) out += ',';
      out += '[';
      for (size_t v = 0; v < reads[i].rows[r].size(); ++v) {
        if (v > 0) out += ',';
        out += JsonValue(reads[i].rows[r][v]);
      }
      out += ']';
    }
    out += "]}";
  }
  return out + "]";
}

}  // namespace

std::string FormatExecuteJson(const ExecuteResult& result) {
  std::string out = "{\"txid\":" + std::to_string(result.txid) +
                    ",\"outcome\":" + JsonQuote(OutcomeName(result.outcome)) +
                    ",\"reason\":" + JsonQuote(result.reason) + ",\"branches\":[";
  for (size_t i = 0; i < result.branches.size(); ++i) {
    const BranchResult& branch = result.branches[i];
    if (i > 0) out += ',';
    out += "{\"participant\":" + JsonQuote(branch.participant) + ",\"changes\":[";
    for (size_t j = 0; j < branch.changes.size(); ++j) {
      if (j > 0) out += ',';
      out += std::to_string(branch.changes[j]);
    }
    out += ']';
    if (!branch.rows.empty()) out += ",\"rows\":" + JsonReads(branch.rows);
    out += '}';
  }
  out += "]}";
  return out;
}

std::string FormatExecuteJson(const rpc::ExecuteResult& result) {
  ExecuteResult converted;
  client_internal::FromWire(result, &converted);
  return FormatExecuteJson(converted);
}

}  // namespace twopc::txctl
