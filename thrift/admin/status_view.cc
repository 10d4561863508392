#include "thrift/admin/status_view.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "wal/base/json_text.h"

namespace twopc::admin {
namespace {

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", value);
  return text;
}

// Txids exceed 2^53, which JavaScript numbers cannot hold exactly: they are
// written as strings.
std::string TxidJson(int64_t txid) { return "\"" + std::to_string(txid) + "\""; }

std::string PendingJson(const StatusView::Pending& p) {
  std::string out = "{\"txid\":" + TxidJson(p.txid) + ",\"state\":" + JsonQuote(p.state) +
                    ",\"age_ms\":" + std::to_string(p.age_ms) + ",\"participants\":[";
  for (size_t i = 0; i < p.participants.size(); ++i) {
    out += (i ? "," : "") + JsonQuote(p.participants[i]);
  }
  return out + "],\"detail\":" + JsonQuote(p.detail) + "}";
}

template <typename T, typename F>
std::string JsonList(const std::vector<T>& items, const F& one) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + one(items[i]);
  return out + "]";
}

std::string UtcTime(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

std::string Age(int64_t ms) {
  if (ms < 10000) return Number(static_cast<double>(ms) / 1000.0).substr(0, 4) + "s";
  if (ms < 3600 * 1000)
    return std::to_string(ms / 60000) + "m" + std::to_string(ms / 1000 % 60) + "s";
  return std::to_string(ms / 3600000) + "h" + std::to_string(ms / 60000 % 60) + "m";
}

void PrintPending(std::ostringstream& out, const StatusView::Pending& p) {
  out << "  " << p.txid << "  " << p.state << "  " << Age(p.age_ms) << "  participants=";
  for (size_t i = 0; i < p.participants.size(); ++i) out << (i ? "," : "") << p.participants[i];
  if (!p.detail.empty()) out << "  " << p.detail;
  out << "\n";
}

}  // namespace

std::string ToJson(const StatusView& view) {
  std::string out = "{\"role\":" + JsonQuote(view.role) + ",\"name\":" + JsonQuote(view.name) +
                    ",\"now_ms\":" + std::to_string(view.now_ms) + ",\"totals\":{";
  for (size_t i = 0; i < view.totals.size(); ++i) {
    out += (i ? "," : "") + JsonQuote(view.totals[i].first) + ":" +
           std::to_string(view.totals[i].second);
  }
  out += "},\"peers\":" + JsonList(view.peers, [](const StatusView::Peer& p) {
           return "{\"name\":" + JsonQuote(p.name) + ",\"address\":" + JsonQuote(p.address) +
                  ",\"up\":" + (p.up ? "true" : "false") + ",\"detail\":" + JsonQuote(p.detail) +
                  "}";
         });
  out += ",\"history\":" + JsonList(view.history, [](const RateSample& s) {
           return "{\"unix_ms\":" + std::to_string(s.unix_ms) +
                  ",\"seconds\":" + Number(s.seconds) +
                  ",\"committed\":" + std::to_string(s.committed) +
                  ",\"aborted\":" + std::to_string(s.aborted) + ",\"p50_ms\":" + Number(s.p50_ms) +
                  ",\"p99_ms\":" + Number(s.p99_ms) + "}";
         });
  out += ",\"in_doubt\":" + JsonList(view.in_doubt, PendingJson);
  out += ",\"mismatches\":" + JsonList(view.mismatches, PendingJson);
  out += ",\"recent\":" + JsonList(view.recent, [](const StatusView::Recent& r) {
           return "{\"txid\":" + TxidJson(r.txid) + ",\"outcome\":" + JsonQuote(r.outcome) +
                  ",\"ms\":" + Number(r.ms) + "}";
         });
  return out + "}\n";
}

std::string ToText(const StatusView& view, int window_s) {
  std::ostringstream out;
  out << "twopc " << view.role << " " << view.name << "   " << UtcTime(view.now_ms) << "\n";
  out << "totals:";
  for (const auto& [name, value] : view.totals) out << "  " << name << " " << value;
  out << "\n";
  // The last window_s seconds of the history.
  uint64_t committed = 0, aborted = 0;
  double seconds = 0, p50 = 0, p99 = 0;
  const size_t first = view.history.size() > static_cast<size_t>(window_s)
                           ? view.history.size() - static_cast<size_t>(window_s)
                           : 0;
  for (size_t i = first; i < view.history.size(); ++i) {
    const RateSample& s = view.history[i];
    committed += s.committed;
    aborted += s.aborted;
    seconds += s.seconds;
    // The worst second's percentiles: a spike must not be averaged away.
    p50 = std::max(p50, s.p50_ms);
    p99 = std::max(p99, s.p99_ms);
  }
  out << "last " << static_cast<int>(seconds + 0.5) << " s:  ";
  if (seconds > 0) {
    out << Number(static_cast<double>(committed) / seconds) << " committed/s  "
        << Number(static_cast<double>(aborted) / seconds) << " aborted/s  p50 " << Number(p50)
        << " ms  p99 " << Number(p99) << " ms (worst second)\n";
  } else {
    out << "no samples yet\n";
  }
  if (!view.peers.empty()) {
    out << "participants:\n";
    for (const StatusView::Peer& p : view.peers) {
      out << "  " << p.name << "  " << p.address << "  " << (p.up ? "up" : "DOWN");
      if (!p.detail.empty()) out << "  " << p.detail;
      out << "\n";
    }
  }
  out << "in doubt: " << (view.in_doubt.empty() ? "none" : std::to_string(view.in_doubt.size()))
      << "\n";
  for (const StatusView::Pending& p : view.in_doubt) PrintPending(out, p);
  out << "heuristic mismatches: "
      << (view.mismatches.empty() ? "none" : std::to_string(view.mismatches.size())) << "\n";
  for (const StatusView::Pending& p : view.mismatches) PrintPending(out, p);
  if (!view.recent.empty()) {
    out << "recent transactions:\n";
    for (const StatusView::Recent& r : view.recent) {
      out << "  " << r.txid << "  " << r.outcome << "  " << Number(r.ms) << " ms\n";
    }
  }
  return out.str();
}

}  // namespace twopc::admin
