#include "tools/txbench/json_report.h"

#include "wal/base/json_text.h"

#include <cstdio>
#include <sstream>

namespace twopc::txbench {

std::string RenderJsonLine(const BenchReport& report) {
  char tps[32];
  std::snprintf(tps, sizeof(tps), "%.1f", report.tps);
  std::ostringstream out;
  out << "{\"system\":\"twopc\""
      << ",\"participants\":" << report.participants << ",\"accounts\":" << report.accounts
      << ",\"clients\":" << report.clients << ",\"seconds\":" << report.seconds
      << ",\"committed\":" << report.committed << ",\"aborted\":" << report.aborted
      << ",\"errors\":" << report.errors << ",\"tps\":" << tps
      << ",\"p50_us\":" << report.latency.p50_us << ",\"p99_us\":" << report.latency.p99_us
      << ",\"max_us\":" << report.latency.max_us
      << ",\"invariant_ok\":" << (report.invariant_ok ? "true" : "false")
      << ",\"fdatasync_us\":" << report.fdatasync_us
      << ",\"wal_fdatasync_us\":" << report.wal_fdatasync_us
      << ",\"commit_floor_us\":" << report.commit_floor_us;
  if (!report.rss_kib.empty()) {
    out << ",\"rss_kib\":{";
    for (size_t i = 0; i < report.rss_kib.size(); ++i) {
      out << (i == 0 ? "" : ",") << JsonQuote(report.rss_kib[i].first) << ":"
          << report.rss_kib[i].second;
    }
    out << "}";
  }
  out << "}";
  return out.str();
}

}  // namespace twopc::txbench
