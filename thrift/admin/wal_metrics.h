// The metrics every process with a write-ahead log exports (twopc_wal_*).
#pragma once

#include "thrift/admin/metric_families.h"
#include "wal/log.h"

namespace twopc::admin {

inline void AddWalMetrics(const wal::Log& log, MetricFamilies* out) {
  const wal::Log::Stats stats = log.stats();
  out->Counter("twopc_wal_appends_total", "Records appended to the write-ahead log.",
               static_cast<double>(stats.appends));
  out->Counter("twopc_wal_syncs_total",
               "fdatasync calls on the write-ahead log (group commit and rotations).",
               static_cast<double>(stats.syncs));
  out->Counter("twopc_wal_bytes_total", "Bytes written to the write-ahead log.",
               static_cast<double>(stats.bytes_written));
  out->Histogram("twopc_wal_sync_batch_records",
                 "Records made durable by one group-commit fdatasync.",
                 log.sync_batch_records().Read(), 1.0);
  out->Histogram("twopc_wal_sync_duration_seconds", "Duration of one group-commit fdatasync.",
                 log.sync_latency().Read(), 1e-9);
}

}  // namespace twopc::admin
