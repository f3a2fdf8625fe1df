#include "ksearch/bench/bench_stats.h"

#include <gtest/gtest.h>

#include <vector>

namespace ksearch::bench {
namespace {

eval::workload_result timed(double median_ms, std::size_t samples, double reference_median_ms,
                            std::size_t reference_samples) {
  eval::workload_result w;
  w.timing.median_ms = median_ms;
  w.timing.samples = samples;
  w.reference_timing.median_ms = reference_median_ms;
  w.reference_timing.samples = reference_samples;
  return w;
}

TEST(BenchStats, MedianOfOddAndEvenCounts) {
  EXPECT_DOUBLE_EQ(median_of({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median_of({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median_of({}), 0);
}

TEST(BenchStats, SpreadIsRangeOverMedian) {
  const std::vector<double> runs = {0.100, 0.102, 0.101};
  EXPECT_NEAR(relative_spread(runs), 0.002 / 0.101, 1e-12);
  const std::vector<double> one = {0.1};
  EXPECT_DOUBLE_EQ(relative_spread(one), 0);
  const std::vector<double> zeros = {0, 0};
  EXPECT_DOUBLE_EQ(relative_spread(zeros), 0);
}

TEST(BenchStats, PercentDifference) {
  EXPECT_NEAR(percent_difference(10.3, 10), 3, 1e-12);
  EXPECT_NEAR(percent_difference(9.7, 10), -3, 1e-12);
  EXPECT_DOUBLE_EQ(percent_difference(1, 0), 0);
}

TEST(BenchStats, KernelTimeCountsCandidateAndReferenceSamples) {
  eval::eval_result r;
  r.workloads = {timed(0.02, 500, 0.05, 200), timed(1.0, 10, 2.0, 12)};
  EXPECT_NEAR(kernel_time_ms(r), 0.02 * 500 + 0.05 * 200 + 1.0 * 10 + 2.0 * 12, 1e-9);
}

TEST(BenchStats, WallSplitAddsThePhasesAndSubtractsKernelTime) {
  eval::eval_result r;
  r.compile_ms = 400;
  r.load_wall_ms = 450;
  r.workloads = {timed(0.02, 500, 0.05, 200), timed(1.0, 10, 2.0, 12)};
  r.workloads[0].correctness_wall_ms = 30;
  r.workloads[0].timing_wall_ms = 300;
  r.workloads[1].correctness_wall_ms = 40;
  r.workloads[1].timing_wall_ms = 500;
  const wall_split s = split_wall_time(r, 1500);
  EXPECT_DOUBLE_EQ(s.compile_ms, 400);
  EXPECT_DOUBLE_EQ(s.load_ms, 450);
  EXPECT_DOUBLE_EQ(s.correctness_ms, 70);
  EXPECT_DOUBLE_EQ(s.timing_ms, 800);
  EXPECT_DOUBLE_EQ(s.wall_ms, 1500);
  EXPECT_NEAR(s.kernel_ms, 54, 1e-9);
  EXPECT_NEAR(s.overhead_ms, 1500 - 54, 1e-9);
}

}  // namespace
}  // namespace ksearch::bench
