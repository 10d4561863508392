// Builds Prometheus metric families from plain counters and AtomicHistogram
// snapshots at scrape time, and writes them in the text exposition format
// (prometheus-cpp's data model and serializer). The hot paths only increment
// atomics; prometheus-cpp's own Histogram takes a mutex on every Observe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <prometheus/metric_family.h>

#include "wal/base/atomic_histogram.h"

namespace twopc::admin {

using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricFamilies {
 public:
  // Each call adds one sample to the family `name`, created on first use.
  void Counter(const std::string& name, const std::string& help, double value,
               const Labels& labels = {});
  void Gauge(const std::string& name, const std::string& help, double value,
             const Labels& labels = {});
  // Bounds and sum are multiplied by `scale` (1e-9 turns nanoseconds into seconds).
  void Histogram(const std::string& name, const std::string& help,
                 const wal::AtomicHistogram::Snapshot& snapshot, double scale,
                 const Labels& labels = {});

  // The Prometheus text format (version 0.0.4).
  std::string Text() const;
  const std::vector<prometheus::MetricFamily>& families() const { return families_; }

 private:
  prometheus::ClientMetric& Add(const std::string& name, const std::string& help,
                                prometheus::MetricType type, const Labels& labels);

  std::vector<prometheus::MetricFamily> families_;
};

// Content-Type of Text().
constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace twopc::admin
