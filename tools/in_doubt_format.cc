#include "tools/in_doubt_format.h"

#include "wal/base/json_text.h"

#include <cstdio>

namespace twopc::tools {

std::string FormatAge(int64_t age_ms) {
  if (age_ms < 0) age_ms = 0;
  char buf[48];
  const int64_t s = age_ms / 1000;
  if (s < 60) {
    std::snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(age_ms) / 1000.0);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof(buf), "%lldm%llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%lldh%lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>((s % 3600) / 60));
  }
  return buf;
}

namespace {

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

}  // namespace

std::string FormatInDoubtText(const InDoubtLine& line) {
  std::string out =
      std::to_string(line.txid) + " " + line.state + " " + FormatAge(line.age_ms) +
      " participants=" + (line.participants.empty() ? "-" : Joined(line.participants));
  if (!line.detail.empty()) out += " " + line.detail;
  return out;
}

std::string FormatInDoubtJson(const InDoubtLine& line) {
  std::string out = "{\"txid\":" + std::to_string(line.txid) +
                    ",\"state\":" + JsonQuote(line.state) +
                    ",\"age_ms\":" + std::to_string(line.age_ms) + ",\"participants\":[";
  for (size_t i = 0; i < line.participants.size(); ++i) {
    out += (i ? "," : "") + JsonQuote(line.participants[i]);
  }
  return out + "],\"detail\":" + JsonQuote(line.detail) + "}";
}

}  // namespace twopc::tools
