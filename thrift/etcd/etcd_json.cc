#include "thrift/etcd/etcd_json.h"

#include <sstream>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

namespace twopc::etcd {

namespace {

using boost::property_tree::ptree;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int DigitOf(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// The target's name, and the field its operand goes in.
struct TargetJson {
  const char* name;
  const char* field;
};

TargetJson JsonOf(Compare::Target target) {
  switch (target) {
    case Compare::Target::kCreateRevision:
      return {"CREATE", "create_revision"};
    case Compare::Target::kModRevision:
      return {"MOD", "mod_revision"};
    case Compare::Target::kVersion:
      return {"VERSION", "version"};
    case Compare::Target::kValue:
      return {"VALUE", "value"};
    case Compare::Target::kLease:
      return {"LEASE", "lease"};
  }
  return {"CREATE", "create_revision"};
}

// "key" and, for a prefix, "range_end": the members of a range or delete.
std::string RangeFields(const std::string& key, bool prefix) {
  std::string out = "\"key\":\"" + Base64Encode(key) + "\"";
  if (prefix) out += ",\"range_end\":\"" + Base64Encode(PrefixEnd(key)) + "\"";
  return out;
}

std::string OperationJson(const Operation& op) {
  switch (op.kind) {
    case Operation::Kind::kPut: {
      std::string out = "{\"request_put\":{\"key\":\"" + Base64Encode(op.key) + "\",\"value\":\"" +
                        Base64Encode(op.value) + "\"";
      if (op.lease != 0) out += ",\"lease\":\"" + std::to_string(op.lease) + "\"";
      return out + "}}";
    }
    case Operation::Kind::kRange:
      return "{\"request_range\":{" + RangeFields(op.key, op.prefix) + "}}";
    case Operation::Kind::kDelete:
      return "{\"request_delete_range\":{" + RangeFields(op.key, op.prefix) + "}}";
  }
  return "{}";
}

std::string OperationsJson(const std::vector<Operation>& ops) {
  std::string out = "[";
  for (size_t i = 0; i < ops.size(); ++i) out += (i > 0 ? "," : "") + OperationJson(ops[i]);
  return out + "]";
}

StatusOr<ptree> Parse(const std::string& body) {
  ptree tree;
  std::istringstream in(body);
  try {
    boost::property_tree::read_json(in, tree);
  } catch (const boost::property_tree::json_parser_error& e) {
    return Status::Corruption("etcd answered something that is not JSON: " + e.message());
  }
  if (tree.count("error") > 0) return ErrorFromBody(500, body);
  return tree;
}

// A 64-bit number the gateway wrote as a string (absent: 0).
StatusOr<int64_t> NumberAt(const ptree& tree, const std::string& path) {
  const std::string text = tree.get<std::string>(path, "0");
  try {
    size_t used = 0;
    const long long value = std::stoll(text, &used);
    if (used == text.size()) return static_cast<int64_t>(value);
  } catch (const std::exception&) {
  }
  return Status::Corruption("etcd's " + path + " is not a number: '" + text + "'");
}

StatusOr<std::vector<KeyValue>> KeyValuesOf(const ptree& range) {
  std::vector<KeyValue> out;
  const auto kvs = range.get_child_optional("kvs");
  if (!kvs) return out;
  for (const auto& [unused, node] : *kvs) {
    KeyValue& kv = out.emplace_back();
    StatusOr<std::string> key = Base64Decode(node.get<std::string>("key", ""));
    StatusOr<std::string> value = Base64Decode(node.get<std::string>("value", ""));
    if (!key.ok()) return key.status();
    if (!value.ok()) return value.status();
    kv.key = std::move(*key);
    kv.value = std::move(*value);
    for (auto [field, into] :
         {std::pair<const char*, int64_t*>{"create_revision", &kv.create_revision},
          {"mod_revision", &kv.mod_revision},
          {"version", &kv.version},
          {"lease", &kv.lease}}) {
      StatusOr<int64_t> number = NumberAt(node, field);
      if (!number.ok()) return number.status();
      *into = *number;
    }
  }
  return out;
}

}  // namespace

std::string Base64Encode(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t n =
        (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

StatusOr<std::string> Base64Decode(const std::string& text) {
  if (text.size() % 4 != 0)
    return Status::InvalidArgument("base64 of a length not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    uint32_t n = 0;
    for (size_t k = 0; k < 4; ++k) {
      const int digit = k >= 4 - static_cast<size_t>(pad) ? 0 : DigitOf(text[i + k]);
      if (digit < 0) return Status::InvalidArgument("a character outside base64");
      n = (n << 6) | static_cast<uint32_t>(digit);
    }
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<uint8_t>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key (etcd's convention)
}

std::string TxnBody(const TxnRequest& request) {
  std::string out = "{\"compare\":[";
  for (size_t i = 0; i < request.compare.size(); ++i) {
    const Compare& c = request.compare[i];
    if (i > 0) out += ",";
    const TargetJson target = JsonOf(c.target);
    out +=
        "{\"key\":\"" + Base64Encode(c.key) + "\",\"target\":\"" + target.name +
        "\",\"result\":\"EQUAL\",\"" + target.field + "\":\"" +
        (c.target == Compare::Target::kValue ? Base64Encode(c.value) : std::to_string(c.number)) +
        "\"}";
  }
  return out + "],\"success\":" + OperationsJson(request.success) +
         ",\"failure\":" + OperationsJson(request.failure) + "}";
}

std::string RangeBody(const std::string& key, bool prefix) {
  return "{" + RangeFields(key, prefix) + "}";
}

std::string DeleteRangeBody(const std::string& key, bool prefix) {
  return "{" + RangeFields(key, prefix) + "}";
}

std::string LeaseGrantBody(int64_t ttl_s) { return "{\"TTL\":\"" + std::to_string(ttl_s) + "\"}"; }

std::string LeaseIdBody(int64_t id) { return "{\"ID\":\"" + std::to_string(id) + "\"}"; }

StatusOr<TxnResult> ParseTxn(const std::string& body) {
  StatusOr<ptree> tree = Parse(body);
  if (!tree.ok()) return tree.status();
  TxnResult result;
  result.succeeded = tree->get<std::string>("succeeded", "false") == "true";
  StatusOr<int64_t> revision = NumberAt(*tree, "header.revision");
  if (!revision.ok()) return revision.status();
  result.revision = *revision;
  if (const auto responses = tree->get_child_optional("responses")) {
    for (const auto& [unused, node] : *responses) {
      OperationResult& op = result.results.emplace_back();
      if (const auto range = node.get_child_optional("response_range")) {
        StatusOr<std::vector<KeyValue>> kvs = KeyValuesOf(*range);
        if (!kvs.ok()) return kvs.status();
        op.kvs = std::move(*kvs);
      } else if (const auto deleted = node.get_child_optional("response_delete_range")) {
        StatusOr<int64_t> count = NumberAt(*deleted, "deleted");
        if (!count.ok()) return count.status();
        op.deleted = *count;
      }
    }
  }
  return result;
}

StatusOr<std::vector<KeyValue>> ParseRange(const std::string& body) {
  StatusOr<ptree> tree = Parse(body);
  if (!tree.ok()) return tree.status();
  return KeyValuesOf(*tree);
}

StatusOr<int64_t> ParseDeleted(const std::string& body) {
  StatusOr<ptree> tree = Parse(body);
  if (!tree.ok()) return tree.status();
  return NumberAt(*tree, "deleted");
}

StatusOr<Lease> ParseLeaseGrant(const std::string& body) {
  StatusOr<ptree> tree = Parse(body);
  if (!tree.ok()) return tree.status();
  Lease lease;
  StatusOr<int64_t> id = NumberAt(*tree, "ID");
  StatusOr<int64_t> ttl = NumberAt(*tree, "TTL");
  if (!id.ok()) return id.status();
  if (!ttl.ok()) return ttl.status();
  if (*id == 0) return Status::Corruption("etcd granted a lease without an ID");
  lease.id = *id;
  lease.ttl_s = *ttl;
  return lease;
}

StatusOr<Lease> ParseKeepAlive(const std::string& body) {
  StatusOr<ptree> tree = Parse(body);
  if (!tree.ok()) return tree.status();
  const auto result = tree->get_child_optional("result");
  if (!result) return Status::Corruption("etcd's keep-alive answer has no result");
  Lease lease;
  StatusOr<int64_t> id = NumberAt(*result, "ID");
  StatusOr<int64_t> ttl = NumberAt(*result, "TTL");
  if (!id.ok()) return id.status();
  if (!ttl.ok()) return ttl.status();
  lease.id = *id;
  lease.ttl_s = *ttl;
  return lease;
}

Status ErrorFromBody(int http_status, const std::string& body) {
  ptree tree;
  std::istringstream in(body);
  try {
    boost::property_tree::read_json(in, tree);
  } catch (const boost::property_tree::json_parser_error&) {
    return Status::IoError("etcd answered HTTP " + std::to_string(http_status));
  }
  std::string message = tree.get<std::string>("message", "");
  std::string code = tree.get<std::string>("code", "");
  if (const auto nested = tree.get_child_optional("error"); nested && !nested->empty()) {
    message = nested->get<std::string>("message", message);
    code = nested->get<std::string>("grpc_code", code);
  } else if (message.empty()) {
    message = tree.get<std::string>("error", "");
  }
  const std::string text =
      "etcd: " + (message.empty() ? "HTTP " + std::to_string(http_status) : message);
  if (code == "5") return Status::NotFound(text);
  if (code == "3") return Status::InvalidArgument(text);
  if (code == "14" || http_status == 503) return Status::Busy(text);
  return Status::IoError(text);
}

bool BodyIsError(const std::string& body) {
  const size_t start = body.find_first_not_of(" \t\r\n");
  return start != std::string::npos && body.compare(start, 9, "{\"error\":") == 0;
}

}  // namespace twopc::etcd
