#include "tools/txctl_top.h"

#include <chrono>
#include <thread>

#include "thrift/admin/http_get.h"
#include "tools/txctl_commands.h"
#include "tools/txctl_exit_codes.h"
#include "twopc/client.h"

namespace twopc::txctl {
namespace {

constexpr int kTopTimeoutMs = 5000;
// Moves the cursor home and clears the terminal, like top(1).
constexpr const char* kClearScreen = "\x1b[H\x1b[2J";

// The admin endpoint a coordinator tells in health (its --admin-listen); a
// wildcard host is reached on the host the coordinator was reached on.
bool AdminOfCoordinator(const Command& command, rpc::HostPort* admin, std::ostream& err) {
  ClientOptions options;
  options.address = command.address.ToString();
  options.connect_timeout_ms = kConnectTimeoutMs;
  options.call_timeout_ms = kShortCallTimeoutMs;
  options.max_idle_connections = 0;
  options.security = command.security;
  std::map<std::string, std::string> details;
  try {
    details = Client(options).Health().details;
  } catch (const ClientError& e) {
    err << "txctl: coordinator " << options.address << " not serving: " << e.detail() << "\n";
    return false;
  }
  auto it = details.find("admin");
  // No "admin" detail parses as "", which is not HOST:PORT.
  const StatusOr<rpc::HostPort> parsed = rpc::ParseHostPort(it == details.end() ? "" : it->second);
  if (!parsed.ok()) {
    err << "txctl: coordinator " << options.address
        << " has no admin endpoint (start txcoord with --admin-listen HOST:PORT)\n";
    return false;
  }
  *admin = *parsed;
  if (admin->host == "0.0.0.0" || admin->host == "::" || admin->host.empty()) {
    admin->host = command.address.host;
  }
  return true;
}

}  // namespace

int RunTop(const Command& original, std::ostream& out, std::ostream& err) {
  Command command = original;
  if (command.top_via_coordinator && !AdminOfCoordinator(original, &command.address, err)) {
    return kExitUnavailable;
  }
  const bool live = command.iterations != 1;
  for (int shown = 0; command.iterations == 0 || shown < command.iterations; ++shown) {
    if (shown > 0) std::this_thread::sleep_for(std::chrono::seconds(1));
    const admin::HttpResult answer = admin::HttpGet(command.address, "/status.txt", kTopTimeoutMs);
    if (answer.status != 200) {
      err << "txctl: admin endpoint " << command.address.ToString() << " unreachable: "
          << (answer.status == 0 ? answer.error : "HTTP " + std::to_string(answer.status))
          << std::endl;
      return kExitUnavailable;
    }
    if (live) out << kClearScreen;
    out << answer.body << std::flush;
  }
  return kExitOk;
}

}  // namespace twopc::txctl
