#include "thrift/admin/metric_families.h"

#include <limits>

#include <glog/logging.h>
#include <prometheus/check_names.h>
#include <prometheus/text_serializer.h>

namespace twopc::admin {

prometheus::ClientMetric& MetricFamilies::Add(const std::string& name, const std::string& help,
                                              prometheus::MetricType type, const Labels& labels) {
  prometheus::MetricFamily* family = nullptr;
  for (prometheus::MetricFamily& f : families_) {
    if (f.name == name) family = &f;
  }
  if (family == nullptr) {
    DCHECK(prometheus::CheckMetricName(name)) << name;
    families_.push_back(prometheus::MetricFamily{name, help, type, {}});
    family = &families_.back();
  }
  CHECK(family->type == type) << name << " used with two types";
  prometheus::ClientMetric& metric = family->metric.emplace_back();
  for (const auto& [label, value] : labels) metric.label.push_back({label, value});
  return metric;
}

void MetricFamilies::Counter(const std::string& name, const std::string& help, double value,
                             const Labels& labels) {
  Add(name, help, prometheus::MetricType::Counter, labels).counter.value = value;
}

void MetricFamilies::Gauge(const std::string& name, const std::string& help, double value,
                           const Labels& labels) {
  Add(name, help, prometheus::MetricType::Gauge, labels).gauge.value = value;
}

void MetricFamilies::Histogram(const std::string& name, const std::string& help,
                               const wal::AtomicHistogram::Snapshot& snapshot, double scale,
                               const Labels& labels) {
  prometheus::ClientMetric::Histogram& histogram =
      Add(name, help, prometheus::MetricType::Histogram, labels).histogram;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < snapshot.counts.size(); ++i) {
    cumulative += snapshot.counts[i];
    const double bound = i < snapshot.upper_bounds.size()
                             ? static_cast<double>(snapshot.upper_bounds[i]) * scale
                             : std::numeric_limits<double>::infinity();
    histogram.bucket.push_back({cumulative, bound});
  }
  histogram.sample_count = cumulative;
  histogram.sample_sum = static_cast<double>(snapshot.sum) * scale;
}

std::string MetricFamilies::Text() const {
  return prometheus::TextSerializer().Serialize(families_);
}

}  // namespace twopc::admin
