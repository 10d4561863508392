#include "tools/txctl_top.h"

#include <chrono>
#include <thread>

#include "thrift/admin/http_get.h"
#include "tools/txctl_exit_codes.h"

namespace twopc::txctl {
namespace {

constexpr int kTopTimeoutMs = 5000;
// Moves the cursor home and clears the terminal, like top(1).
constexpr const char* kClearScreen = "\x1b[H\x1b[2J";

}  // namespace

int RunTop(const Command& command, std::ostream& out, std::ostream& err) {
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
