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

Status SetOnce(const std::string& name, const std::string& value,
               std::optional<std::string>* slot) {
  if (slot->has_value()) {
    return Status::InvalidArgument(name + " given twice");
  }
  *slot = value;
  return Status::Ok();
}

// Splits argv into options and positionals. Options may come before or after
// the command; "--" ends the options.
Status Tokenize(const std::vector<std::string>& args, RawArgs* raw) {
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
        return Status::InvalidArgument("--json takes no value");
      }
      raw->json = true;
      continue;
    }
    if (name == "--once") {
      if (inline_value.has_value()) {
        return Status::InvalidArgument("--once takes no value");
      }
      raw->once = true;
      continue;
    }
    if (name != "--coordinator" && name != "--participant" && name != "--branch" &&
        name != "--expect-rows" && name != "--timeout-ms" && name != "--deadline-ms" &&
        name != "--tls-cert" && name != "--tls-key" && name != "--tls-ca" &&
        name != "--token-file" && name != "--admin" && name != "--iterations") {
      return Status::InvalidArgument("unknown option '" + name + "'");
    }
    std::string value;
    if (inline_value.has_value()) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::InvalidArgument(name + " needs a value");
    }
    if (name == "--branch") {
      raw->branches.push_back(value);
      raw->expect_rows.emplace_back();
    } else if (name == "--expect-rows") {
      if (raw->branches.empty()) {
        return Status::InvalidArgument(
            "--expect-rows applies to the --branch before it; give that --branch first");
      }
      TWOPC_RETURN_IF_ERROR(
          SetOnce("--expect-rows (for one --branch)", value, &raw->expect_rows.back()));
    } else if (name == "--coordinator") {
      TWOPC_RETURN_IF_ERROR(SetOnce(name, value, &raw->coordinator));
    } else if (name == "--participant") {
      TWOPC_RETURN_IF_ERROR(SetOnce(name, value, &raw->participant));
    } else if (name == "--tls-cert") {
      TWOPC_RETURN_IF_ERROR(SetOnce(name, value, &raw->tls_cert));
    } else if (name == "--tls-key") {
      TWOPC_RETURN_IF_ERROR(SetOnce(name, value, &raw->tls_key));
    } else if (name == "--tls-ca") {
      TWOPC_RETURN_IF_ERROR(SetOnce(name, value, &raw->tls_ca));
    } else if (name == "--token-file") {
      TWOPC_RETURN_IF_ERROR(SetOnce(name, value, &raw->token_file));
    } else if (name == "--admin") {
      TWOPC_RETURN_IF_ERROR(SetOnce(name, value, &raw->admin));
    } else if (name == "--iterations") {
      TWOPC_RETURN_IF_ERROR(SetOnce(name, value, &raw->iterations));
    } else if (name == "--deadline-ms") {
      TWOPC_RETURN_IF_ERROR(SetOnce(name, value, &raw->deadline_ms));
    } else {
      TWOPC_RETURN_IF_ERROR(SetOnce(name, value, &raw->timeout_ms));
    }
  }
  return Status::Ok();
}

Status ParseAddress(const std::string& flag, const std::string& text, rpc::HostPort* out) {
  const StatusOr<rpc::HostPort> parsed = rpc::ParseHostPort(text);
  if (!parsed.ok()) return Status::InvalidArgument(flag + ": " + parsed.status().message());
  *out = *parsed;
  if (out->port == 0) {
    return Status::InvalidArgument(flag + ": port must be 1..65535 in '" + text + "'");
  }
  return Status::Ok();
}

// NAME:SQL, split at the first ':' (the SQL may contain more).
Status AddBranch(const std::string& text, std::optional<int64_t> expect_rows,
                 std::vector<BranchArg>* branches) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--branch expects NAME:SQL, got '" + text + "'");
  }
  const std::string name = text.substr(0, colon);
  const std::string sql = text.substr(colon + 1);
  if (sql.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("--branch " + name + ": empty SQL");
  }
  for (BranchArg& branch : *branches) {
    if (branch.participant == name) {
      branch.statements.push_back(sql);
      branch.expect_rows.push_back(expect_rows);
      return Status::Ok();
    }
  }
  branches->push_back(BranchArg{name, {sql}, {expect_rows}});
  return Status::Ok();
}

Status Refuse(const std::string& command, const std::string& what) {
  return Status::InvalidArgument(command + " does not take " + what);
}

Status BuildExec(const RawArgs& raw, Command* command) {
  command->kind = CommandKind::kExec;
  if (raw.participant) return Refuse("exec", "--participant (it talks to --coordinator)");
  if (!raw.coordinator) {
    return Status::InvalidArgument("exec needs --coordinator HOST:PORT");
  }
  if (raw.positionals.size() > 1) return Refuse("exec", "'" + raw.positionals[1] + "'");
  if (raw.branches.empty()) {
    return Status::InvalidArgument("exec needs at least one --branch NAME:SQL");
  }
  TWOPC_RETURN_IF_ERROR(ParseAddress("--coordinator", *raw.coordinator, &command->address));
  for (size_t i = 0; i < raw.branches.size(); ++i) {
    std::optional<int64_t> expect_rows;
    if (const std::optional<std::string>& text = raw.expect_rows[i]) {
      int64_t value = 0;
      if (!ParseNonNegative(*text, INT64_MAX, &value)) {
        return Status::InvalidArgument("--expect-rows expects a count of rows (0 or more), got '" +
                                       *text + "'");
      }
      expect_rows = value;
    }
    TWOPC_RETURN_IF_ERROR(AddBranch(raw.branches[i], expect_rows, &command->branches));
  }
  if (raw.timeout_ms) {
    int64_t value = 0;
    if (!ParseNonNegative(*raw.timeout_ms, INT32_MAX, &value)) {
      return Status::InvalidArgument("--timeout-ms expects milliseconds (0.." +
                                     std::to_string(INT32_MAX) + "), got '" + *raw.timeout_ms +
                                     "'");
    }
    command->timeout_ms = static_cast<int>(value);
  }
  if (raw.deadline_ms) {
    int64_t value = 0;
    if (!ParseNonNegative(*raw.deadline_ms, INT32_MAX, &value)) {
      return Status::InvalidArgument("--deadline-ms expects milliseconds (0.." +
                                     std::to_string(INT32_MAX) + "), got '" + *raw.deadline_ms +
                                     "'");
    }
    command->deadline_ms = static_cast<int>(value);
  }
  command->json = raw.json;
  return Status::Ok();
}

// Options that only exec takes.
Status RefuseExecOptions(const std::string& name, const RawArgs& raw) {
  if (!raw.branches.empty()) return Refuse(name, "--branch");
  if (raw.timeout_ms) return Refuse(name, "--timeout-ms");
  if (raw.deadline_ms) return Refuse(name, "--deadline-ms");
  if (raw.json) return Refuse(name, "--json");
  return Status::Ok();
}

Status OnePositional(const std::string& name, const std::string& what, const RawArgs& raw,
                     std::string* out) {
  if (raw.positionals.size() < 2) {
    return Status::InvalidArgument(name + " needs " + what);
  }
  if (raw.positionals.size() > 2) {
    return Status::InvalidArgument(name + " takes one " + what + " (quote it), got extra '" +
                                   raw.positionals[2] + "'");
  }
  *out = raw.positionals[1];
  return Status::Ok();
}

Status BuildStatus(const RawArgs& raw, Command* command) {
  command->kind = CommandKind::kStatus;
  TWOPC_RETURN_IF_ERROR(RefuseExecOptions("status", raw));
  if (raw.participant) return Refuse("status", "--participant (it asks --coordinator)");
  if (!raw.coordinator) {
    return Status::InvalidArgument("status needs --coordinator HOST:PORT");
  }
  std::string text;
  TWOPC_RETURN_IF_ERROR(OnePositional("status", "TXID", raw, &text));
  if (!ParseNonNegative(text, INT64_MAX, &command->txid)) {
    return Status::InvalidArgument("status: TXID must be a non-negative integer, got '" + text +
                                   "'");
  }
  return ParseAddress("--coordinator", *raw.coordinator, &command->address);
}

Status BuildQuery(const RawArgs& raw, Command* command) {
  command->kind = CommandKind::kQuery;
  command->target = Target::kParticipant;
  TWOPC_RETURN_IF_ERROR(RefuseExecOptions("query", raw));
  if (raw.coordinator) return Refuse("query", "--coordinator (it reads --participant)");
  if (!raw.participant) {
    return Status::InvalidArgument("query needs --participant HOST:PORT");
  }
  TWOPC_RETURN_IF_ERROR(OnePositional("query", "SQL", raw, &command->sql));
  return ParseAddress("--participant", *raw.participant, &command->address);
}

Status BuildHealth(const RawArgs& raw, Command* command) {
  command->kind = CommandKind::kHealth;
  TWOPC_RETURN_IF_ERROR(RefuseExecOptions("health", raw));
  if (raw.positionals.size() > 1) return Refuse("health", "'" + raw.positionals[1] + "'");
  if (raw.coordinator.has_value() == raw.participant.has_value()) {
    return Status::InvalidArgument(
        "health needs exactly one of --coordinator HOST:PORT or --participant HOST:PORT");
  }
  if (raw.coordinator) {
    command->target = Target::kCoordinator;
    return ParseAddress("--coordinator", *raw.coordinator, &command->address);
  }
  command->target = Target::kParticipant;
  return ParseAddress("--participant", *raw.participant, &command->address);
}

Status BuildInDoubt(const RawArgs& raw, Command* command) {
  command->kind = CommandKind::kInDoubt;
  if (!raw.branches.empty()) return Refuse("in-doubt", "--branch");
  if (raw.timeout_ms) return Refuse("in-doubt", "--timeout-ms");
  if (raw.deadline_ms) return Refuse("in-doubt", "--deadline-ms");
  if (raw.participant) return Refuse("in-doubt", "--participant (it asks --coordinator)");
  if (raw.positionals.size() > 1) return Refuse("in-doubt", "'" + raw.positionals[1] + "'");
  if (!raw.coordinator) {
    return Status::InvalidArgument("in-doubt needs --coordinator HOST:PORT");
  }
  command->json = raw.json;
  return ParseAddress("--coordinator", *raw.coordinator, &command->address);
}

// top reads the admin HTTP endpoint (--admin-listen of txcoord or txpart).
Status BuildTop(const RawArgs& raw, Command* command) {
  command->kind = CommandKind::kTop;
  TWOPC_RETURN_IF_ERROR(RefuseExecOptions("top", raw));
  if (raw.participant || (raw.coordinator && raw.admin)) {
    return Status::InvalidArgument(
        "top reads the admin endpoint: give --coordinator HOST:PORT (a txcoord started with "
        "--admin-listen) or --admin HOST:PORT (the --admin-listen of txcoord or txpart)");
  }
  if (raw.positionals.size() > 1) return Refuse("top", "'" + raw.positionals[1] + "'");
  if (!raw.admin && !raw.coordinator) {
    return Status::InvalidArgument(
        "top needs --coordinator HOST:PORT or --admin HOST:PORT (the --admin-listen of txcoord "
        "or txpart)");
  }
  if (raw.once && raw.iterations) return Refuse("top", "both --once and --iterations");
  if (raw.once) command->iterations = 1;
  if (raw.iterations) {
    int64_t value = 0;
    if (!ParseNonNegative(*raw.iterations, INT32_MAX, &value) || value == 0) {
      return Status::InvalidArgument("--iterations expects a positive count, got '" +
                                     *raw.iterations + "'");
    }
    command->iterations = static_cast<int>(value);
  }
  if (raw.coordinator) {
    // The coordinator tells its admin endpoint in health (see RunTop).
    command->target = Target::kCoordinator;
    command->top_via_coordinator = true;
    return ParseAddress("--coordinator", *raw.coordinator, &command->address);
  }
  return ParseAddress("--admin", *raw.admin, &command->address);
}

// Options that only top takes.
Status RefuseTopOptions(const std::string& name, const RawArgs& raw) {
  if (raw.admin) return Refuse(name, "--admin (only top does)");
  if (raw.iterations) return Refuse(name, "--iterations");
  if (raw.once) return Refuse(name, "--once");
  return Status::Ok();
}

}  // namespace

Status ParseCommandLine(const std::vector<std::string>& args, Command* command) {
  *command = Command();
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (IsHelp(arg)) return Status::Ok();  // kHelp
    if (arg == "--version") {
      command->kind = CommandKind::kVersion;
      return Status::Ok();
    }
  }
  if (!args.empty() && args[0] == "help") return Status::Ok();
  RawArgs raw;
  TWOPC_RETURN_IF_ERROR(Tokenize(args, &raw));
  if (raw.positionals.empty()) {
    return Status::InvalidArgument(
        "no command given (exec, status, query, health, in-doubt or top)");
  }
  command->security.tls_cert = raw.tls_cert.value_or("");
  command->security.tls_key = raw.tls_key.value_or("");
  command->security.tls_ca = raw.tls_ca.value_or("");
  command->token_file = raw.token_file.value_or("");
  for (const auto* file : {&raw.tls_cert, &raw.tls_key, &raw.tls_ca, &raw.token_file}) {
    if (file->has_value() && (*file)->empty()) {
      return Status::InvalidArgument(
          "--tls-cert, --tls-key, --tls-ca and --token-file need a file name");
    }
  }
  const std::string& name = raw.positionals[0];
  if (name == "top") return BuildTop(raw, command);
  TWOPC_RETURN_IF_ERROR(RefuseTopOptions(name, raw));
  if (name == "exec") return BuildExec(raw, command);
  if (name == "status") return BuildStatus(raw, command);
  if (name == "query") return BuildQuery(raw, command);
  if (name == "health") return BuildHealth(raw, command);
  if (name == "in-doubt") return BuildInDoubt(raw, command);
  return Status::InvalidArgument("unknown command '" + name +
                                 "' (exec, status, query, health, in-doubt or top)");
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
