#include "thrift/admin/metric_families.h"

#include <gtest/gtest.h>

namespace twopc::admin {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(MetricFamiliesTest, CountersAndGaugesInTextFormat) {
  MetricFamilies metrics;
  metrics.Counter("twopc_test_total", "A test counter.", 7, {{"reason", "voted_no"}});
  metrics.Counter("twopc_test_total", "A test counter.", 2, {{"reason", "prepare_timeout"}});
  metrics.Gauge("twopc_test_open", "A test gauge.", 3);
  const std::string text = metrics.Text();
  EXPECT_TRUE(Contains(text, "# HELP twopc_test_total A test counter.\n")) << text;
  EXPECT_TRUE(Contains(text, "# TYPE twopc_test_total counter\n")) << text;
  EXPECT_TRUE(Contains(text, "twopc_test_total{reason=\"voted_no\"} 7\n")) << text;
  EXPECT_TRUE(Contains(text, "twopc_test_total{reason=\"prepare_timeout\"} 2\n")) << text;
  EXPECT_TRUE(Contains(text, "# TYPE twopc_test_open gauge\ntwopc_test_open 3\n")) << text;
  ASSERT_EQ(metrics.families().size(), 2u);
  EXPECT_EQ(metrics.families()[0].metric.size(), 2u);
}

TEST(MetricFamiliesTest, HistogramBucketsAreCumulativeAndScaledToSeconds) {
  wal::AtomicHistogram nanos({1000000, 10000000});  // 1 ms, 10 ms
  nanos.Observe(500000);
  nanos.Observe(5000000);
  nanos.Observe(50000000);
  MetricFamilies metrics;
  metrics.Histogram("twopc_test_duration_seconds", "A test histogram.", nanos.Read(), 1e-9);
  const std::string text = metrics.Text();
  EXPECT_TRUE(Contains(text, "# TYPE twopc_test_duration_seconds histogram\n")) << text;
  EXPECT_TRUE(Contains(text, "twopc_test_duration_seconds_bucket{le=\"0.001\"} 1\n")) << text;
  EXPECT_TRUE(Contains(text, "twopc_test_duration_seconds_bucket{le=\"0.01\"} 2\n")) << text;
  EXPECT_TRUE(Contains(text, "twopc_test_duration_seconds_bucket{le=\"+Inf\"} 3\n")) << text;
  EXPECT_TRUE(Contains(text, "twopc_test_duration_seconds_count 3\n")) << text;
  EXPECT_TRUE(Contains(text, "twopc_test_duration_seconds_sum 0.0555\n")) << text;
}

TEST(AtomicHistogramTest, CountsEachObservationInTheFirstBucketThatHoldsIt) {
  wal::AtomicHistogram histogram({1, 2, 4});
  for (uint64_t value : {0, 1, 2, 3, 4, 5, 100}) histogram.Observe(value);
  const wal::AtomicHistogram::Snapshot snapshot = histogram.Read();
  EXPECT_EQ(snapshot.counts, (std::vector<uint64_t>{2, 1, 2, 2}));
  EXPECT_EQ(snapshot.count(), 7u);
  EXPECT_EQ(snapshot.sum, 115u);
}

}  // namespace
}  // namespace twopc::admin
