// The one JSON line txbench prints at the end, in the field order of the
// PostgreSQL reference (../shared/peers/pg2pc) plus txbench's own fields.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tools/txbench/latency_stats.h"

namespace twopc::txbench {

struct BenchReport {
  int participants = 0;
  int accounts = 0;
  int clients = 0;
  int seconds = 0;
  int64_t committed = 0;
  int64_t aborted = 0;
  int64_t errors = 0;
  double tps = 0;
  LatencySummary latency;
  bool invariant_ok = false;
  int64_t fdatasync_us = -1;
  int64_t wal_fdatasync_us = -1;  // the same through twopc's own log
  // The protocol's hops and syncs alone (commit_floor_probe.h).
  int64_t commit_floor_us = -1;
  // Local mode only (empty otherwise): "coordinator", then each participant.
  std::vector<std::pair<std::string, int64_t>> rss_kib;
};

// `report` as one line of JSON, without a trailing newline.
std::string RenderJsonLine(const BenchReport& report);

}  // namespace twopc::txbench
