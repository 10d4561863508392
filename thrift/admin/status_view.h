// What the status page and `txctl top` show, in one structure, rendered as
// JSON (/status.json, read by the page's script) and as a terminal screen
// (/status.txt, printed by txctl top). Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "thrift/admin/rate_history.h"

namespace twopc::admin {

struct StatusView {
  std::string role;  // "coordinator" or "participant"
  std::string name;
  int64_t now_ms = 0;  // wall clock
  // Cumulative counts since start, in display order ("committed", 42).
  std::vector<std::pair<std::string, uint64_t>> totals;
  // Other processes this one depends on (a coordinator's participants).
  struct Peer {
    std::string name;
    std::string address;
    bool up = false;
    std::string detail;  // why it is down, or what it reported
  };
  std::vector<Peer> peers;
  std::vector<RateSample> history;  // oldest first
  struct Pending {
    int64_t txid = 0;
    std::string state;
    int64_t age_ms = 0;
    std::vector<std::string> participants;
    std::string detail;
  };
  std::vector<Pending> in_doubt;
  std::vector<Pending> mismatches;  // heuristic mismatches
  struct Recent {
    int64_t txid = 0;
    std::string outcome;
    double ms = 0;
  };
  std::vector<Recent> recent;  // newest first
};

std::string ToJson(const StatusView& view);

// The screen of txctl top: totals, the rate and latency over the last
// `window_s` seconds, peers, in-doubt transactions and mismatches.
std::string ToText(const StatusView& view, int window_s = 10);

}  // namespace twopc::admin
