// txrecover: inspect and resolve what a crash left behind.
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <thrift/Thrift.h>

#include "gen-cpp/Coordinator.h"
#include "thrift/rpc/rpc_util.h"
#include "thrift/rpc/tls_factories.h"
#include "thrift/rpc/token_file.h"
#include "thrift/server/version.h"
#include "tools/in_doubt_format.h"
#include "tools/txrecover_offline.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;  // the log is unreadable or corrupt, or the work failed
constexpr int kExitUsage = 2;
constexpr int kExitUnavailable = 3;

const char kUsage[] = R"(txrecover: inspect and resolve what a crash left behind.

Usage:
  txrecover list --participant-wal DIR [--db FILE] [--json]
      From the files alone (the agent may be dead): one line per transaction
      prepared without an outcome, and per unchecked heuristic decision.
      With --db, a prepared transaction already in the database shows as COMMITTED.
  txrecover list --coordinator-wal DIR [--json]
      From the files alone: one line per commit not yet acknowledged by every
      participant.
  txrecover list --coordinator HOST:PORT [--json] [--tls-ca FILE]
                 [--tls-cert FILE --tls-key FILE] [--token-file FILE]
      Online, across the coordinator and all its participants. The security
      options are txctl's: TLS against --tls-ca, the token from --token-file
      (default: the environment variable TWOPC_TOKEN, if set).
  txrecover resolve TXID (--commit | --abort) --participant-wal DIR --db FILE
      A heuristic decision, for when the coordinator's log is lost. Refused
      while the agent runs. Recorded as heuristic: if the coordinator decided
      otherwise, the agent reports a HEURISTIC_MISMATCH when it next runs.

  txrecover --version

Lines: TXID STATE AGE participants=... detail

Examples:
  txrecover list --participant-wal /var/lib/twopc/p1/wal --db /var/lib/twopc/p1/p1.db
  txrecover list --coordinator 127.0.0.1:7700 --json
  txrecover resolve 16710228295681 --commit --participant-wal p1-wal --db p1.db

Exit codes:
  0  ok
  1  the log is unreadable, corrupt or missing (list), or the work failed
  2  bad usage; also resolve refused (agent running, txid not in doubt,
     abort of a committed txid)
  3  the coordinator is unreachable (list --coordinator)
)";

struct Args {
  std::string command;
  std::optional<int64_t> txid;
  std::string participant_wal, coordinator_wal, coordinator, db;
  std::string tls_cert, tls_key, tls_ca, token_file;
  bool json = false, commit = false, abort = false;
};

int Usage(const std::string& error) {
  std::cerr << "txrecover: " << error << "\nTry 'txrecover --help'.\n";
  return kExitUsage;
}

bool TakeValue(const std::vector<std::string>& args, size_t* i, std::string* out,
               std::string* error) {
  const std::string& flag = args[*i];
  if (*i + 1 >= args.size() || args[*i + 1].empty()) {
    *error = flag + " needs a value";
    return false;
  }
  if (!out->empty()) {
    *error = flag + " given twice";
    return false;
  }
  *out = args[++*i];
  return true;
}

bool Parse(const std::vector<std::string>& args, Args* a, std::string* error) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--participant-wal") {
      if (!TakeValue(args, &i, &a->participant_wal, error)) return false;
    } else if (arg == "--coordinator-wal") {
      if (!TakeValue(args, &i, &a->coordinator_wal, error)) return false;
    } else if (arg == "--coordinator") {
      if (!TakeValue(args, &i, &a->coordinator, error)) return false;
    } else if (arg == "--db") {
      if (!TakeValue(args, &i, &a->db, error)) return false;
    } else if (arg == "--tls-cert") {
      if (!TakeValue(args, &i, &a->tls_cert, error)) return false;
    } else if (arg == "--tls-key") {
      if (!TakeValue(args, &i, &a->tls_key, error)) return false;
    } else if (arg == "--tls-ca") {
      if (!TakeValue(args, &i, &a->tls_ca, error)) return false;
    } else if (arg == "--token-file") {
      if (!TakeValue(args, &i, &a->token_file, error)) return false;
    } else if (arg == "--json") {
      a->json = true;
    } else if (arg == "--commit") {
      a->commit = true;
    } else if (arg == "--abort") {
      a->abort = true;
    } else if (arg.rfind("-", 0) == 0) {
      *error = "unknown option '" + arg + "'";
      return false;
    } else if (a->command.empty()) {
      a->command = arg;
    } else if (a->command == "resolve" && !a->txid) {
      char* end = nullptr;
      const long long value = std::strtoll(arg.c_str(), &end, 10);
      if (*end != '\0' || value <= 0) {
        *error = "TXID must be a positive integer, got '" + arg + "'";
        return false;
      }
      a->txid = value;
    } else {
      *error = "unexpected argument '" + arg + "'";
      return false;
    }
  }
  return true;
}

int Print(const twopc::tools::OfflineListing& listing, bool json) {
  for (const std::string& note : listing.notes) std::cerr << "txrecover: note: " << note << "\n";
  for (const twopc::tools::InDoubtLine& line : listing.lines) {
    std::cout << (json ? twopc::tools::FormatInDoubtJson(line)
                       : twopc::tools::FormatInDoubtText(line))
              << "\n";
  }
  if (listing.lines.empty() && !json) std::cout << "nothing in doubt\n";
  return kExitOk;
}

int ListOnline(const Args& a) {
  const twopc::StatusOr<twopc::rpc::HostPort> address = twopc::rpc::ParseHostPort(a.coordinator);
  if (!address.ok()) return Usage(address.status().message());
  twopc::rpc::SecurityOptions security;
  security.tls_cert = a.tls_cert;
  security.tls_key = a.tls_key;
  security.tls_ca = a.tls_ca;
  if (!a.token_file.empty()) {
    std::string warning;
    twopc::StatusOr<std::string> token = twopc::rpc::ReadTokenFile(a.token_file, &warning);
    if (!token.ok()) return Usage(token.status().message());
    security.token = std::move(token).value();
    if (!warning.empty()) std::cerr << "txrecover: warning: " << warning << "\n";
  } else if (const char* env = std::getenv("TWOPC_TOKEN"); env != nullptr) {
    security.token = twopc::rpc::TrimToken(env);
  }
  if (const twopc::Status tls = twopc::rpc::CheckTlsOptions(security, /*serves=*/false);
      !tls.ok()) {
    return Usage(tls.message());
  }
  try {
    twopc::rpc::RpcClient<twopc::rpc::CoordinatorClient> client(*address, 2000, 30000, security);
    client.EnsureOpen();
    std::vector<twopc::rpc::InDoubtTransaction> found;
    client->in_doubt(found);
    twopc::tools::OfflineListing listing;
    for (const auto& t : found) {
      listing.lines.push_back({t.txid, t.state, t.age_ms, t.participants, t.detail});
    }
    return Print(listing, a.json);
  } catch (const apache::thrift::TException& e) {
    std::cerr << "txrecover: coordinator " << a.coordinator << ": "
              << twopc::rpc::DescribeRpcFailure(e, security) << "\n";
    return kExitUnavailable;
  }
}

int Fail(const twopc::Status& status) {
  std::cerr << "txrecover: " << status.ToString() << "\n";
  return status.IsBusy() || status.IsInvalidArgument() || status.IsNotFound() ? kExitUsage
                                                                              : kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return kExitOk;
    }
    if (arg == "--version") {
      std::cout << twopc::VersionLine("txrecover") << "\n";
      return kExitOk;
    }
  }
  Args a;
  std::string error;
  if (!Parse(args, &a, &error)) return Usage(error);
  if (a.command == "list") {
    const int sources =
        !a.participant_wal.empty() + !a.coordinator_wal.empty() + !a.coordinator.empty();
    if (sources != 1) {
      return Usage("list needs exactly one of --participant-wal, --coordinator-wal, --coordinator");
    }
    if (a.commit || a.abort) return Usage("--commit/--abort belong to resolve");
    if (!a.db.empty() && a.participant_wal.empty())
      return Usage("--db goes with --participant-wal");
    const bool security_given =
        !a.tls_cert.empty() || !a.tls_key.empty() || !a.tls_ca.empty() || !a.token_file.empty();
    if (security_given && a.coordinator.empty()) {
      return Usage("--tls-*/--token-file go with --coordinator (offline listing reads files)");
    }
    if (!a.coordinator.empty()) return ListOnline(a);
    twopc::tools::OfflineListing listing;
    twopc::Status status =
        a.participant_wal.empty()
            ? twopc::tools::ListCoordinatorLog(a.coordinator_wal, &listing)
            : twopc::tools::ListParticipantLog(a.participant_wal, a.db, &listing);
    if (!status.ok()) {
      std::cerr << "txrecover: " << status.ToString() << "\n";
      return kExitFailed;
    }
    return Print(listing, a.json);
  }
  if (a.command == "resolve") {
    if (!a.txid) return Usage("resolve needs a TXID");
    if (a.commit == a.abort) return Usage("resolve needs exactly one of --commit or --abort");
    if (a.participant_wal.empty() || a.db.empty()) {
      return Usage("resolve needs --participant-wal DIR and --db FILE");
    }
    if (!a.coordinator.empty() || !a.coordinator_wal.empty() || a.json || !a.tls_cert.empty() ||
        !a.tls_key.empty() || !a.tls_ca.empty() || !a.token_file.empty()) {
      return Usage("resolve takes only TXID, --commit|--abort, --participant-wal and --db");
    }
    std::string done;
    twopc::Status status =
        twopc::tools::ResolveHeuristically(*a.txid, a.commit, a.participant_wal, a.db, &done);
    if (!status.ok()) return Fail(status);
    std::cout << done << "\n";
    return kExitOk;
  }
  if (a.command.empty()) return Usage("no command given (list or resolve)");
  return Usage("unknown command '" + a.command + "' (list or resolve)");
}
