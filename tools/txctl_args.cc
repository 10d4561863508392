#include "tools/txctl_args.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <optional>

namespace twopc::txctl {
namespace {

// Everything the command line said, before the per-command rules are checked.
struct RawArgs {
  std::optional<std::string> coordinator;
  std::optional<std::string> participant;
  std::vector<std::string> branches;
  // --expect-rows, by the index of the --branch it follows.
  std::vector<std::optional<std::string>> expect_rows;
  std::optional<std::string> timeout_ms;
  std::optional<std::string> deadline_ms;
  std::optional<std::string> admin;       // top
  std::optional<std::string> iterations;  // top
  bool once = false;                      // top
  bool json = false;
  std::vector<std::string> positionals;
  std::optional<std::string> tls_cert, tls_key, tls_ca, token_file;
};

bool IsHelp(const std::string& arg) { return arg == "--help" || arg == "-h"; }

// Parses a non-negative decimal integer no larger than max.
bool ParseNonNegative(const std::string& text, int64_t max, int64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  errno = 0;
  const long long value = std::strtoll(text.c_str(), nullptr, 10);
  if (errno != 0 || value > max) return false;
  *out = value;
  return true;
}

bool SetOnce(const std::string& name, const std::string& value, std::optional<std::string>* slot,
             std::string* error) {
  if (slot->has_value()) {
    *error = name + " given twice";
    return false;
  }
  *slot = value;
  return true;
}

// Splits argv into options and positionals. Options may come before or after
// the command; "--" ends the options.
bool Tokenize(const std::vector<std::string>& args, RawArgs* raw, std::string* error) {
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      raw->positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    const size_t equals = arg.find('=');
    if (arg.rfind("--", 0) == 0 && equals != std::string::npos) {
      name = arg.substr(0, equals);
      inline_value = arg.substr(equals + 1);
    }
    if (name == "--json") {
      if (inline_value.has_value()) {
        *error = "--json takes no value";
        return false;
      }
      raw->json = true;
      continue;
    }
    if (name == "--once") {
      if (inline_value.has_value()) {
        *error = "--once takes no value";
        return false;
      }
      raw->once = true;
      continue;
    }
    if (name != "--coordinator" && name != "--participant" && name != "--branch" &&
        name != "--expect-rows" && name != "--timeout-ms" && name != "--deadline-ms" &&
        name != "--tls-cert" && name != "--tls-key" && name != "--tls-ca" &&
        name != "--token-file" && name != "--admin" && name != "--iterations") {
      *error = "unknown option '" + name + "'";
      return false;
    }
    std::string value;
    if (inline_value.has_value()) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      *error = name + " needs a value";
      return false;
    }
    if (name == "--branch") {
      raw->branches.push_back(value);
      raw->expect_rows.emplace_back();
    } else if (name == "--expect-rows") {
      if (raw->branches.empty()) {
        *error = "--expect-rows applies to the --branch before it; give that --branch first";
        return false;
      }
      if (!SetOnce("--expect-rows (for one --branch)", value, &raw->expect_rows.back(), error)) {
        return false;
      }
    } else if (name == "--coordinator") {
      if (!SetOnce(name, value, &raw->coordinator, error)) return false;
    } else if (name == "--participant") {
      if (!SetOnce(name, value, &raw->participant, error)) return false;
    } else if (name == "--tls-cert") {
      if (!SetOnce(name, value, &raw->tls_cert, error)) return false;
    } else if (name == "--tls-key") {
      if (!SetOnce(name, value, &raw->tls_key, error)) return false;
    } else if (name == "--tls-ca") {
      if (!SetOnce(name, value, &raw->tls_ca, error)) return false;
    } else if (name == "--token-file") {
      if (!SetOnce(name, value, &raw->token_file, error)) return false;
    } else if (name == "--admin") {
      if (!SetOnce(name, value, &raw->admin, error)) return false;
    } else if (name == "--iterations") {
      if (!SetOnce(name, value, &raw->iterations, error)) return false;
    } else if (name == "--deadline-ms") {
      if (!SetOnce(name, value, &raw->deadline_ms, error)) return false;
    } else if (!SetOnce(name, value, &raw->timeout_ms, error)) {
      return false;
    }
  }
  return true;
}

bool ParseAddress(const std::string& flag, const std::string& text, rpc::HostPort* out,
                  std::string* error) {
  std::string why;
  if (!rpc::ParseHostPort(text, out, &why)) {
    *error = flag + ": " + why;
    return false;
  }
  if (out->port == 0) {
    *error = flag + ": port must be 1..65535 in '" + text + "'";
    return false;
  }
  return true;
}

// NAME:SQL, split at the first ':' (the SQL may contain more).
bool AddBranch(const std::string& text, std::optional<int64_t> expect_rows,
               std::vector<BranchArg>* branches, std::string* error) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    *error = "--branch expects NAME:SQL, got '" + text + "'";
    return false;
  }
  const std::string name = text.substr(0, colon);
  const std::string sql = text.substr(colon + 1);
  if (sql.find_first_not_of(" \t\r\n") == std::string::npos) {
    *error = "--branch " + name + ": empty SQL";
    return false;
  }
  for (BranchArg& branch : *branches) {
    if (branch.participant == name) {
      branch.statements.push_back(sql);
      branch.expect_rows.push_back(expect_rows);
      return true;
    }
  }
  branches->push_back(BranchArg{name, {sql}, {expect_rows}});
  return true;
}

bool Refuse(const std::string& command, const std::string& what, std::string* error) {
  *error = command + " does not take " + what;
  return false;
}

bool BuildExec(const RawArgs& raw, Command* command, std::string* error) {
  command->kind = CommandKind::kExec;
  if (raw.participant) return Refuse("exec", "--participant (it talks to --coordinator)", error);
  if (!raw.coordinator) {
    *error = "exec needs --coordinator HOST:PORT";
    return false;
  }
  if (raw.positionals.size() > 1) return Refuse("exec", "'" + raw.positionals[1] + "'", error);
  if (raw.branches.empty()) {
    *error = "exec needs at least one --branch NAME:SQL";
    return false;
  }
  if (!ParseAddress("--coordinator", *raw.coordinator, &command->address, error)) return false;
  for (size_t i = 0; i < raw.branches.size(); ++i) {
    std::optional<int64_t> expect_rows;
    if (const std::optional<std::string>& text = raw.expect_rows[i]) {
      int64_t value = 0;
      if (!ParseNonNegative(*text, INT64_MAX, &value)) {
        *error = "--expect-rows expects a count of rows (0 or more), got '" + *text + "'";
        return false;
      }
      expect_rows = value;
    }
    if (!AddBranch(raw.branches[i], expect_rows, &command->branches, error)) return false;
  }
  if (raw.timeout_ms) {
    int64_t value = 0;
    if (!ParseNonNegative(*raw.timeout_ms, INT32_MAX, &value)) {
      *error = "--timeout-ms expects milliseconds (0.." + std::to_string(INT32_MAX) + "), got '" +
               *raw.timeout_ms + "'";
      return false;
    }
    command->timeout_ms = static_cast<int>(value);
  }
  if (raw.deadline_ms) {
    int64_t value = 0;
    if (!ParseNonNegative(*raw.deadline_ms, INT32_MAX, &value)) {
      *error = "--deadline-ms expects milliseconds (0.." + std::to_string(INT32_MAX) + "), got '" +
               *raw.deadline_ms + "'";
      return false;
    }
    command->deadline_ms = static_cast<int>(value);
  }
  command->json = raw.json;
  return true;
}

// Options that only exec takes.
bool RefuseExecOptions(const std::string& name, const RawArgs& raw, std::string* error) {
  if (!raw.branches.empty()) return Refuse(name, "--branch", error);
  if (raw.timeout_ms) return Refuse(name, "--timeout-ms", error);
  if (raw.deadline_ms) return Refuse(name, "--deadline-ms", error);
  if (raw.json) return Refuse(name, "--json", error);
  return true;
}

bool OnePositional(const std::string& name, const std::string& what, const RawArgs& raw,
                   std::string* out, std::string* error) {
  if (raw.positionals.size() < 2) {
    *error = name + " needs " + what;
    return false;
  }
  if (raw.positionals.size() > 2) {
    *error = name + " takes one " + what + " (quote it), got extra '" + raw.positionals[2] + "'";
    return false;
  }
  *out = raw.positionals[1];
  return true;
}

bool BuildStatus(const RawArgs& raw, Command* command, std::string* error) {
  command->kind = CommandKind::kStatus;
  if (!RefuseExecOptions("status", raw, error)) return false;
  if (raw.participant) return Refuse("status", "--participant (it asks --coordinator)", error);
  if (!raw.coordinator) {
    *error = "status needs --coordinator HOST:PORT";
    return false;
  }
  std::string text;
  if (!OnePositional("status", "TXID", raw, &text, error)) return false;
  if (!ParseNonNegative(text, INT64_MAX, &command->txid)) {
    *error = "status: TXID must be a non-negative integer, got '" + text + "'";
    return false;
  }
  return ParseAddress("--coordinator", *raw.coordinator, &command->address, error);
}

bool BuildQuery(const RawArgs& raw, Command* command, std::string* error) {
  command->kind = CommandKind::kQuery;
  command->target = Target::kParticipant;
  if (!RefuseExecOptions("query", raw, error)) return false;
  if (raw.coordinator) return Refuse("query", "--coordinator (it reads --participant)", error);
  if (!raw.participant) {
    *error = "query needs --participant HOST:PORT";
    return false;
  }
  if (!OnePositional("query", "SQL", raw, &command->sql, error)) return false;
  return ParseAddress("--participant", *raw.participant, &command->address, error);
}

bool BuildHealth(const RawArgs& raw, Command* command, std::string* error) {
  command->kind = CommandKind::kHealth;
  if (!RefuseExecOptions("health", raw, error)) return false;
  if (raw.positionals.size() > 1) return Refuse("health", "'" + raw.positionals[1] + "'", error);
  if (raw.coordinator.has_value() == raw.participant.has_value()) {
    *error = "health needs exactly one of --coordinator HOST:PORT or --participant HOST:PORT";
    return false;
  }
  if (raw.coordinator) {
    command->target = Target::kCoordinator;
    return ParseAddress("--coordinator", *raw.coordinator, &command->address, error);
  }
  command->target = Target::kParticipant;
  return ParseAddress("--participant", *raw.participant, &command->address, error);
}

bool BuildInDoubt(const RawArgs& raw, Command* command, std::string* error) {
  command->kind = CommandKind::kInDoubt;
  if (!raw.branches.empty()) return Refuse("in-doubt", "--branch", error);
  if (raw.timeout_ms) return Refuse("in-doubt", "--timeout-ms", error);
  if (raw.deadline_ms) return Refuse("in-doubt", "--deadline-ms", error);
  if (raw.participant) return Refuse("in-doubt", "--participant (it asks --coordinator)", error);
  if (raw.positionals.size() > 1) return Refuse("in-doubt", "'" + raw.positionals[1] + "'", error);
  if (!raw.coordinator) {
    *error = "in-doubt needs --coordinator HOST:PORT";
    return false;
  }
  command->json = raw.json;
  return ParseAddress("--coordinator", *raw.coordinator, &command->address, error);
}

// top reads the admin HTTP endpoint (--admin-listen of txcoord or txpart).
bool BuildTop(const RawArgs& raw, Command* command, std::string* error) {
  command->kind = CommandKind::kTop;
  if (!RefuseExecOptions("top", raw, error)) return false;
  if (raw.participant || (raw.coordinator && raw.admin)) {
    *error =
        "top reads the admin endpoint: give --coordinator HOST:PORT (a txcoord started with "
        "--admin-listen) or --admin HOST:PORT (the --admin-listen of txcoord or txpart)";
    return false;
  }
  if (raw.positionals.size() > 1) return Refuse("top", "'" + raw.positionals[1] + "'", error);
  if (!raw.admin && !raw.coordinator) {
    *error =
        "top needs --coordinator HOST:PORT or --admin HOST:PORT (the --admin-listen of txcoord "
        "or txpart)";
    return false;
  }
  if (raw.once && raw.iterations) return Refuse("top", "both --once and --iterations", error);
  if (raw.once) command->iterations = 1;
  if (raw.iterations) {
    int64_t value = 0;
    if (!ParseNonNegative(*raw.iterations, INT32_MAX, &value) || value == 0) {
      *error = "--iterations expects a positive count, got '" + *raw.iterations + "'";
      return false;
    }
    command->iterations = static_cast<int>(value);
  }
  if (raw.coordinator) {
    // The coordinator tells its admin endpoint in health (see RunTop).
    command->target = Target::kCoordinator;
    command->top_via_coordinator = true;
    return ParseAddress("--coordinator", *raw.coordinator, &command->address, error);
  }
  return ParseAddress("--admin", *raw.admin, &command->address, error);
}

// Options that only top takes.
bool RefuseTopOptions(const std::string& name, const RawArgs& raw, std::string* error) {
  if (raw.admin) return Refuse(name, "--admin (only top does)", error);
  if (raw.iterations) return Refuse(name, "--iterations", error);
  if (raw.once) return Refuse(name, "--once", error);
  return true;
}

}  // namespace

bool ParseCommandLine(const std::vector<std::string>& args, Command* command, std::string* error) {
  *command = Command();
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (IsHelp(arg)) return true;  // kHelp
    if (arg == "--version") {
      command->kind = CommandKind::kVersion;
      return true;
    }
  }
  if (!args.empty() && args[0] == "help") return true;
  RawArgs raw;
  if (!Tokenize(args, &raw, error)) return false;
  if (raw.positionals.empty()) {
    *error = "no command given (exec, status, query, health, in-doubt or top)";
    return false;
  }
  command->security.tls_cert = raw.tls_cert.value_or("");
  command->security.tls_key = raw.tls_key.value_or("");
  command->security.tls_ca = raw.tls_ca.value_or("");
  command->token_file = raw.token_file.value_or("");
  for (const auto* file : {&raw.tls_cert, &raw.tls_key, &raw.tls_ca, &raw.token_file}) {
    if (file->has_value() && (*file)->empty()) {
      *error = "--tls-cert, --tls-key, --tls-ca and --token-file need a file name";
      return false;
    }
  }
  const std::string& name = raw.positionals[0];
  if (name == "top") return BuildTop(raw, command, error);
  if (!RefuseTopOptions(name, raw, error)) return false;
  if (name == "exec") return BuildExec(raw, command, error);
  if (name == "status") return BuildStatus(raw, command, error);
  if (name == "query") return BuildQuery(raw, command, error);
  if (name == "health") return BuildHealth(raw, command, error);
  if (name == "in-doubt") return BuildInDoubt(raw, command, error);
  *error = "unknown command '" + name + "' (exec, status, query, health, in-doubt or top)";
  return false;
}

std::string UsageText() {
  return R"(txctl: client of a twopc cluster.

Usage:
  txctl --coordinator HOST:PORT exec --branch NAME:SQL [--expect-rows N]
                                     [--branch NAME:SQL [--expect-rows N] ...]
                                     [--timeout-ms N] [--deadline-ms N] [--json]
      Runs one transaction over the named participants. NAME:SQL splits at the
      first ':'. Several --branch for one NAME run on it in the given order.
      Prints "TXID COMMITTED" or "TXID ABORTED: reason" (--json: one JSON object).
      --expect-rows N: the --branch just before it must change exactly N rows
      (a write) or return exactly N (a SELECT), or the transaction aborts.
      --timeout-ms N: prepare timeout (default: the coordinator's).
      --deadline-ms N: abort unless the transaction reaches its commit point
      within N ms of arriving at the coordinator (reason "deadline: ...").
  txctl --coordinator HOST:PORT status TXID
      Prints COMMITTED, ABORTED, IN_PROGRESS or UNKNOWN.
  txctl --participant HOST:PORT query SQL
      Prints the committed rows, one per line, values separated by tabs
      (NULL as NULL, blobs as X'hex'; tab, newline, CR and backslash in text
      as \t, \n, \r and \\).
  txctl --coordinator HOST:PORT health
  txctl --participant HOST:PORT health
      Exit 0 when the service answers.
  txctl --coordinator HOST:PORT in-doubt [--json]
      Lists what is unresolved right now, across the coordinator and its
      participants: TXID STATE AGE participants=... detail.
  txctl --coordinator HOST:PORT top [--once | --iterations N]
  txctl --admin HOST:PORT top [--once | --iterations N]
      Live view of a txcoord (found through its RPC address) or of a txcoord
      or txpart given by its --admin-listen HOST:PORT:
      totals, throughput and latency over the last 10 s, participants'
      health, in-doubt transactions, heuristic mismatches. Refreshes every
      second until Ctrl-C; --once / --iterations N print that many screens.
  txctl --help
  txctl --version

Security options (every command; see README "Security"):
  --tls-ca FILE      speak TLS; the server's certificate must chain to FILE
                     and name the host dialled
  --tls-cert FILE --tls-key FILE
                     present this certificate (servers that require client
                     certificates)
  --token-file FILE  send the cluster's token from FILE (default: the
                     environment variable TWOPC_TOKEN, if set)

Exit codes:
  0  committed (exec), or the command succeeded
  1  the transaction aborted
  2  bad usage or input (including a request the coordinator refused)
  3  service unreachable, or the outcome of the transaction is unknown

Examples:
  txctl --coordinator 127.0.0.1:7000 exec \
      --branch 'p0:UPDATE accounts SET balance = balance - 5 WHERE id = 1' \
      --branch 'p1:UPDATE accounts SET balance = balance + 5 WHERE id = 2'
  txctl --coordinator 127.0.0.1:7000 status 42
  txctl --participant 127.0.0.1:7001 query 'SELECT SUM(balance) FROM accounts'
  txctl --participant 127.0.0.1:7001 health
  txctl --admin 127.0.0.1:9700 top
)";
}

}  // namespace twopc::txctl
