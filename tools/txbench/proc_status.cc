#include "tools/txbench/proc_status.h"

#include <fstream>
#include <sstream>
#include <string>

namespace twopc::txbench {

std::optional<int64_t> ReadRssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    int64_t kib = 0;
    std::string unit;
    if (fields >> kib >> unit && unit == "kB") return kib;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace twopc::txbench
