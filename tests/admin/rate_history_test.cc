#include "thrift/admin/rate_history.h"

#include <gtest/gtest.h>

namespace twopc::admin {
namespace {

constexpr uint64_t kMs = 1000 * 1000;  // one millisecond in nanoseconds

wal::AtomicHistogram::Snapshot Latencies(const std::vector<uint64_t>& nanos) {
  wal::AtomicHistogram histogram({1 * kMs, 2 * kMs, 4 * kMs, 8 * kMs});
  for (uint64_t n : nanos) histogram.Observe(n);
  return histogram.Read();
}

TEST(QuantileTest, EmptyHistogramIsZero) { EXPECT_EQ(QuantileMs(Latencies({}), 0.5), 0); }

TEST(QuantileTest, InterpolatesInsideTheBucketHoldingTheRank) {
  // Four observations in (1 ms, 2 ms]: the median is half-way through that bucket.
  const auto snapshot = Latencies({1500000, 1500000, 1500000, 1500000});
  EXPECT_DOUBLE_EQ(QuantileMs(snapshot, 0.5), 1.5);
  EXPECT_DOUBLE_EQ(QuantileMs(snapshot, 1.0), 2.0);
}

TEST(QuantileTest, HighQuantileFindsTheSlowTail) {
  std::vector<uint64_t> nanos(99, kMs / 2);
  nanos.push_back(7 * kMs);
  const auto snapshot = Latencies(nanos);
  EXPECT_LE(QuantileMs(snapshot, 0.5), 1.0);
  EXPECT_GT(QuantileMs(snapshot, 0.999), 4.0);
}

TEST(QuantileTest, BeyondTheLastBoundAnswersTheLastBound) {
  EXPECT_DOUBLE_EQ(QuantileMs(Latencies({100 * kMs}), 0.5), 8.0);
}

TEST(RateHistoryTest, FirstRecordIsOnlyTheBaseline) {
  RateHistory history;
  history.Record(1000, 50, 5, Latencies({kMs}));
  EXPECT_TRUE(history.Samples().empty());
}

TEST(RateHistoryTest, SamplesAreDifferencesBetweenRecords) {
  RateHistory history;
  history.Record(1000, 50, 5, Latencies({kMs / 2}));
  // 10 more commits, 1 more abort, and three new latencies, all in (2, 4] ms.
  history.Record(3000, 60, 6, Latencies({kMs / 2, 3 * kMs, 3 * kMs, 3 * kMs}));
  const std::vector<RateSample> samples = history.Samples();
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].unix_ms, 3000);
  EXPECT_DOUBLE_EQ(samples[0].seconds, 2.0);
  EXPECT_EQ(samples[0].committed, 10u);
  EXPECT_EQ(samples[0].aborted, 1u);
  EXPECT_GT(samples[0].p50_ms, 2.0);
  EXPECT_LE(samples[0].p99_ms, 4.0);
}

TEST(RateHistoryTest, KeepsOnlyTheNewestSamples) {
  RateHistory history(3);
  for (int second = 0; second < 10; ++second) {
    history.Record(second * 1000, static_cast<uint64_t>(second), 0, Latencies({}));
  }
  const std::vector<RateSample> samples = history.Samples();
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples.front().unix_ms, 7000);
  EXPECT_EQ(samples.back().unix_ms, 9000);
}

}  // namespace
}  // namespace twopc::admin
