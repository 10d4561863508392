#include "tests/integration/admin_probe.h"

#include <cstdlib>
#include <sstream>

#include "thrift/admin/http_get.h"

namespace twopc::testing {

std::optional<std::string> Scrape(const std::string& address, const std::string& path) {
  const StatusOr<rpc::HostPort> host_port = rpc::ParseHostPort(address);
  if (!host_port.ok()) return std::nullopt;
  admin::HttpResult result = admin::HttpGet(*host_port, path, 10000);
  if (result.status != 200) return std::nullopt;
  return std::move(result.body);
}

std::optional<double> MetricValue(const std::string& metrics_text, const std::string& series) {
  std::istringstream lines(metrics_text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
    }
  }
  return std::nullopt;
}

}  // namespace twopc::testing
