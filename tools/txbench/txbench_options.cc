#include "tools/txbench/txbench_options.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <iterator>
#include <set>
#include <string_view>

namespace twopc::txbench {
namespace {

// Parses a whole decimal integer in [min_value, max_value].
Status ParseInt(const std::string& flag, const std::string& text, int min_value, int max_value,
                int* out) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < min_value || value > max_value) {
    return Status::InvalidArgument(flag + " wants an integer in " + std::to_string(min_value) +
                                   ".." + std::to_string(max_value) + ", got '" + text + "'");
  }
  *out = static_cast<int>(value);
  return Status::Ok();
}

// "NAME=HOST:PORT".
StatusOr<NamedAddress> ParseNamedAddress(const std::string& text) {
  const size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    return Status::InvalidArgument("--participant wants NAME=HOST:PORT, got '" + text + "'");
  }
  const StatusOr<rpc::HostPort> address = rpc::ParseHostPort(text.substr(equals + 1));
  if (!address.ok()) {
    return Status::InvalidArgument("--participant " + text + ": " + address.status().message());
  }
  return NamedAddress{text.substr(0, equals), *address};
}

bool TakesValue(const std::string& flag) {
  static constexpr std::string_view kValueFlags[] = {
      "--participants", "--accounts", "--clients", "--seconds", "--coordinator",
      "--participant",  "--tls-cert", "--tls-key", "--tls-ca",  "--token-file"};
  return std::find(std::begin(kValueFlags), std::end(kValueFlags), flag) != std::end(kValueFlags);
}

}  // namespace

Status ParseBenchOptions(const std::vector<std::string>& args, BenchOptions* options) {
  BenchOptions parsed;
  bool participants_given = false;
  bool coordinator_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_inline_value = false;
    if (const size_t equals = flag.find('=');
        flag.rfind("--", 0) == 0 && equals != std::string::npos) {
      value = flag.substr(equals + 1);
      flag = flag.substr(0, equals);
      has_inline_value = true;
    }
    const bool is_switch = flag == "--help" || flag == "-h" || flag == "--version" ||
                           flag == "--local" || flag == "--json-only";
    if (is_switch) {
      if (has_inline_value) {
        return Status::InvalidArgument(flag + " takes no value");
      }
      if (flag == "--local") {
        parsed.local = true;
      } else if (flag == "--json-only") {
        parsed.json_only = true;
      } else if (flag == "--version") {
        parsed.version = true;
      } else {
        parsed.help = true;
      }
      continue;
    }
    if (!TakesValue(flag)) {
      return Status::InvalidArgument(flag.rfind("-", 0) == 0
                                         ? "unknown flag '" + flag + "'"
                                         : "unexpected argument '" + flag + "'");
    }
    if (!has_inline_value) {
      if (i + 1 >= args.size()) {
        return Status::InvalidArgument(flag + " needs a value");
      }
      value = args[++i];
    }
    if (flag == "--participants") {
      TWOPC_RETURN_IF_ERROR(ParseInt(flag, value, 2, 64, &parsed.participants));
      participants_given = true;
    } else if (flag == "--accounts") {
      TWOPC_RETURN_IF_ERROR(ParseInt(flag, value, 1, 100000000, &parsed.accounts));
    } else if (flag == "--clients") {
      TWOPC_RETURN_IF_ERROR(ParseInt(flag, value, 1, 4096, &parsed.clients));
    } else if (flag == "--seconds") {
      TWOPC_RETURN_IF_ERROR(ParseInt(flag, value, 1, 86400, &parsed.seconds));
    } else if (flag == "--coordinator") {
      const StatusOr<rpc::HostPort> address = rpc::ParseHostPort(value);
      if (!address.ok()) {
        return Status::InvalidArgument("--coordinator: " + address.status().message());
      }
      parsed.coordinator = *address;
      coordinator_given = true;
    } else if (flag == "--tls-cert" || flag == "--tls-key" || flag == "--tls-ca" ||
               flag == "--token-file") {
      if (value.empty()) {
        return Status::InvalidArgument(flag + " needs a file name");
      }
      std::string* slot = flag == "--tls-cert"  ? &parsed.security.tls_cert
                          : flag == "--tls-key" ? &parsed.security.tls_key
                          : flag == "--tls-ca"  ? &parsed.security.tls_ca
                                                : &parsed.token_file;
      *slot = value;
    } else {  // --participant
      const StatusOr<NamedAddress> participant = ParseNamedAddress(value);
      if (!participant.ok()) return participant.status();
      parsed.participant_addresses.push_back(*participant);
    }
  }
  if (parsed.help || parsed.version) {
    *options = parsed;
    return Status::Ok();
  }

  if (parsed.local == coordinator_given) {
    return Status::InvalidArgument("give either --local or --coordinator HOST:PORT");
  }
  if (parsed.local && !parsed.participant_addresses.empty()) {
    return Status::InvalidArgument("--participant is for a running cluster, not with --local");
  }
  if (!parsed.local) {
    const int given = static_cast<int>(parsed.participant_addresses.size());
    if (given < 2) {
      return Status::InvalidArgument(
          "a running cluster needs at least two --participant NAME=HOST:PORT");
    }
    if (participants_given && parsed.participants != given) {
      return Status::InvalidArgument("--participants " + std::to_string(parsed.participants) +
                                     " but " + std::to_string(given) + " --participant addresses");
    }
    std::set<std::string> names;
    for (const NamedAddress& participant : parsed.participant_addresses) {
      if (!names.insert(participant.name).second) {
        return Status::InvalidArgument("participant '" + participant.name + "' given twice");
      }
    }
    parsed.participants = given;
  }
  *options = parsed;
  return Status::Ok();
}

std::string UsageText() {
  return "txbench: the standard bank-transfer workload against twopc\n"
         "\n"
         "  txbench --local [options]\n"
         "      starts its own cluster (one txcoord, P txpart, 127.0.0.1, temp dir)\n"
         "  txbench --coordinator HOST:PORT --participant NAME=HOST:PORT ... [options]\n"
         "      runs against a running cluster whose databases hold the bank schema\n"
         "\n"
         "options:\n"
         "  --participants P   participants (default 3; remote: the --participant count)\n"
         "  --accounts K       accounts per participant (default 1000)\n"
         "  --clients C        concurrent clients, one connection each (default 16)\n"
         "  --seconds T        run time (default 10)\n"
         "  --json-only        no progress on stderr, only the JSON line on stdout\n"
         "  --tls-ca FILE      TLS: verify servers against FILE (with --local also\n"
         "  --tls-cert FILE    --tls-cert/--tls-key: the certificate every process of\n"
         "  --tls-key FILE     the local cluster presents; see README \"Security\")\n"
         "  --token-file FILE  the cluster's shared-secret token"
         " (--local: the cluster is started with it)\n"
         "  --help             this text\n"
         "  --version          the version\n"
         "\n"
         "Prints one JSON line on stdout.\n"
         "\n"
         "Examples:\n"
         "  txbench --local --participants 2 --clients 4 --seconds 5\n"
         "  txbench --coordinator 10.0.0.1:7700 --participant p0=10.0.0.2:7701 \\\n"
         "          --participant p1=10.0.0.3:7701 --accounts 1000 --json-only\n"
         "\n"
         "Exit codes:\n"
         "  0    the run finished and the invariant holds\n"
         "  1    the invariant is broken, or the run failed\n"
         "  2    bad usage\n"
         "  130  interrupted (SIGINT or SIGTERM)\n";
}

}  // namespace twopc::txbench
