#include "ksearch/eval/gpu/timing_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace ksearch::eval {
namespace {

// Feeds `sample(i)` for i = 0, 1, ... with `wall_ms_per_sample` of wall clock each until the
// criterion stops or `limit` samples were given; returns how many it took.
template <class Sample>
std::size_t run_until_finished(stopping_criterion& criterion, Sample sample, std::size_t limit,
                               double wall_ms_per_sample = 0.0) {
  for (std::size_t i = 0; i < limit; ++i) {
    criterion.add(sample(i));
    if (criterion.is_finished(static_cast<double>(i + 1) * wall_ms_per_sample)) return i + 1;
  }
  return limit;
}

double alternating(std::size_t i) { return i % 2 == 0 ? 1.0 : 3.0; }  // mean 2, noise ~50%

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

TEST(TimingStatsSummary, OddCount) {
  const std::vector<double> samples = {5, 1, 3};
  const timing_summary s = summarize(samples);
  EXPECT_EQ(s.samples, 3u);
  EXPECT_DOUBLE_EQ(s.mean_ms, 3);
  EXPECT_DOUBLE_EQ(s.median_ms, 3);
  EXPECT_DOUBLE_EQ(s.min_ms, 1);
  EXPECT_DOUBLE_EQ(s.max_ms, 5);
  EXPECT_DOUBLE_EQ(s.stdev_ms, 2);  // sqrt((4 + 0 + 4) / 2)
  EXPECT_DOUBLE_EQ(s.rel_noise, 2.0 / 3.0);
  EXPECT_TRUE(s.stop_reason.empty());
}

TEST(TimingStatsSummary, EvenCountInterpolates) {
  const std::vector<double> samples = {4, 1, 3, 2};
  const timing_summary s = summarize(samples);
  EXPECT_DOUBLE_EQ(s.median_ms, 2.5);
  EXPECT_DOUBLE_EQ(s.p10_ms, 1.3);  // numpy.percentile([1,2,3,4], 10)
  EXPECT_DOUBLE_EQ(s.p90_ms, 3.7);
  EXPECT_DOUBLE_EQ(s.mean_ms, 2.5);
  EXPECT_DOUBLE_EQ(s.stdev_ms, std::sqrt(5.0 / 3.0));
}

TEST(TimingStatsSummary, EmptyAndSingleSample) {
  const timing_summary empty = summarize({});
  EXPECT_EQ(empty.samples, 0u);
  EXPECT_EQ(empty.mean_ms, 0);
  EXPECT_TRUE(std::isinf(empty.rel_noise));

  const std::vector<double> one = {0.25};
  const timing_summary single = summarize(one);
  EXPECT_EQ(single.samples, 1u);
  EXPECT_EQ(single.median_ms, 0.25);
  EXPECT_EQ(single.p10_ms, 0.25);
  EXPECT_EQ(single.p90_ms, 0.25);
  EXPECT_EQ(single.stdev_ms, 0);
  EXPECT_TRUE(std::isinf(single.rel_noise));  // unknown, never "no noise"
}

TEST(TimingStatsStdrel, StopsOnLowNoiseOnceMinSamplesAreIn) {
  criterion_params p;
  p.min_samples = 10;
  p.min_gpu_time_ms = 0;
  p.target_rel_noise = 0.01;
  auto criterion = make_criterion(p);
  const std::size_t taken = run_until_finished(*criterion, [](std::size_t i) { return i % 2 ? 1.001 : 1.0; }, 1000);
  EXPECT_EQ(taken, 10u);
  EXPECT_TRUE(starts_with(criterion->stop_reason(), "noise 0.053% < 1% after 10 samples")) << criterion->stop_reason();
}

TEST(TimingStatsStdrel, HonoursMinSamplesAndMinGpuTime) {
  criterion_params p;
  p.min_samples = 25;
  p.min_gpu_time_ms = 0;
  auto by_count = make_criterion(p);
  EXPECT_EQ(run_until_finished(*by_count, [](std::size_t) { return 1.0; }, 1000), 25u);

  p.min_samples = 2;
  p.min_gpu_time_ms = 1.0;  // 0.125 ms samples (exact in binary): 8 of them
  auto by_time = make_criterion(p);
  EXPECT_EQ(run_until_finished(*by_time, [](std::size_t) { return 0.125; }, 1000), 8u);
  EXPECT_DOUBLE_EQ(by_time->total_ms(), 1.0);
}

TEST(TimingStatsStdrel, StopsOnTheWallBudgetWithTheNoiseInTheReason) {
  criterion_params p;
  p.time_budget_ms = 2000;
  auto criterion = make_criterion(p);
  for (std::size_t i = 0; i < 11; ++i) criterion->add(alternating(i));
  EXPECT_FALSE(criterion->is_finished(1999));
  EXPECT_TRUE(criterion->is_finished(2000));
  EXPECT_EQ(criterion->stop_reason(), "time budget 2000 ms reached with noise 55% after 11 samples");
  EXPECT_TRUE(criterion->is_finished(0));  // stays finished
}

TEST(TimingStatsStdrel, BudgetOverridesMinSamplesButNeedsOneSample) {
  criterion_params p;
  p.min_samples = 10;
  p.time_budget_ms = 100;
  auto criterion = make_criterion(p);
  EXPECT_FALSE(criterion->is_finished(1e9));  // nothing measured yet
  criterion->add(50.0);
  EXPECT_TRUE(criterion->is_finished(150));
  EXPECT_EQ(criterion->stop_reason(), "time budget 100 ms reached with noise unknown after 1 sample");
}

TEST(TimingStatsStdrel, LargeNoiseReadsAsWholePercent) {
  criterion_params p;
  p.time_budget_ms = 100;
  auto criterion = make_criterion(p);
  for (double sample : {1.0, 1.0, 1.0, 10.0}) criterion->add(sample);  // stdev 4.5, mean 3.25
  EXPECT_TRUE(criterion->is_finished(100));
  EXPECT_EQ(criterion->stop_reason(), "time budget 100 ms reached with noise 138% after 4 samples");
}

TEST(TimingStatsStdrel, StopsWhenTheNoiseSettlesAboveTheTarget) {
  criterion_params p;
  p.min_gpu_time_ms = 0;
  p.target_rel_noise = 0.01;
  p.time_budget_ms = 1e12;
  auto criterion = make_criterion(p);
  const std::size_t taken = run_until_finished(*criterion, alternating, 100000);
  EXPECT_LT(taken, 1000u);
  EXPECT_GT(taken, 64u);  // needs a full window of noise estimates
  EXPECT_TRUE(starts_with(criterion->stop_reason(), "noise settled at 5")) << criterion->stop_reason();
  EXPECT_NE(criterion->stop_reason().find("(target 1%)"), std::string::npos) << criterion->stop_reason();
}

TEST(TimingStatsStdrel, StopsAtMaxSamples) {
  criterion_params p;
  p.min_samples = 2;
  p.max_samples = 5;
  p.min_gpu_time_ms = 0;
  auto criterion = make_criterion(p);
  EXPECT_EQ(run_until_finished(*criterion, alternating, 1000), 5u);
  EXPECT_TRUE(starts_with(criterion->stop_reason(), "max samples 5 reached with noise")) << criterion->stop_reason();
}

TEST(TimingStatsGpumode, StopsOnStandardErrorFromTheThirdSample) {
  auto criterion = make_criterion(criterion_params::gpumode(10000));
  EXPECT_EQ(run_until_finished(*criterion, [](std::size_t) { return 1.0; }, 1000), 3u);
  EXPECT_EQ(criterion->stop_reason(), "standard error 0% of the mean < 0.1% after 3 samples");
}

TEST(TimingStatsGpumode, CapsAtOneHundredSamplesAndAtItsTimeLimits) {
  auto noisy = make_criterion(criterion_params::gpumode(1e12));
  EXPECT_EQ(run_until_finished(*noisy, alternating, 1000), 100u);
  EXPECT_TRUE(starts_with(noisy->stop_reason(), "max samples 100")) << noisy->stop_reason();

  auto by_gpu_time = make_criterion(criterion_params::gpumode(10));
  EXPECT_EQ(run_until_finished(*by_gpu_time, [](std::size_t i) { return i % 2 ? 4.0 : 3.0; }, 1000), 3u);
  EXPECT_TRUE(starts_with(by_gpu_time->stop_reason(), "GPU time budget 10 ms reached (10 ms)")) << by_gpu_time->stop_reason();

  // The 120 s wall limit applies only from the third sample, as upstream.
  auto by_wall = make_criterion(criterion_params::gpumode(1e12));
  by_wall->add(1.0);
  by_wall->add(3.0);
  EXPECT_FALSE(by_wall->is_finished(1e9));
  by_wall->add(1.0);
  EXPECT_FALSE(by_wall->is_finished(119999));
  EXPECT_TRUE(by_wall->is_finished(120000));
}

TEST(TimingStatsFixed, SampleCountAndGpuTimeBudget) {
  auto count = make_criterion(criterion_params::sample_count(7));
  EXPECT_EQ(run_until_finished(*count, [](std::size_t) { return 1.0; }, 1000), 7u);
  EXPECT_EQ(count->stop_reason(), "7 samples as configured (noise 0%)");

  auto budget = make_criterion(criterion_params::gpu_time_budget(10));
  EXPECT_EQ(run_until_finished(*budget, [](std::size_t) { return 3.0; }, 1000), 4u);
  EXPECT_EQ(budget->stop_reason(), "GPU time budget 10 ms reached (12 ms) with noise 0% after 4 samples");

  auto one_slow_call = make_criterion(criterion_params::gpu_time_budget(10));
  EXPECT_EQ(run_until_finished(*one_slow_call, [](std::size_t) { return 50.0; }, 1000), 1u);
}

TEST(TimingStatsCriterion, RunningStatisticsMatchTheSummary) {
  auto criterion = make_criterion(criterion_params{});
  const std::vector<double> samples = {0.5, 0.7, 0.55, 0.61, 0.58};
  for (double s : samples) criterion->add(s);
  const timing_summary summary = summarize(samples);
  EXPECT_EQ(criterion->samples(), 5u);
  EXPECT_NEAR(criterion->mean_ms(), summary.mean_ms, 1e-12);
  EXPECT_NEAR(criterion->rel_noise(), summary.rel_noise, 1e-12);
  EXPECT_NEAR(criterion->total_ms(), 2.94, 1e-12);
}

TEST(TimingStatsRoofline, FloorIsTheSlowerOfMemoryAndCompute) {
  constexpr double kH100Bandwidth = 3.35e12;  // bytes/s
  constexpr double kH100Bf16 = 989.4e12;      // FLOP/s
  EXPECT_DOUBLE_EQ(roofline_floor_ms(3.35e9, 0, kH100Bandwidth, kH100Bf16), 1.0);
  EXPECT_DOUBLE_EQ(roofline_floor_ms(0, 989.4e9, kH100Bandwidth, kH100Bf16), 1.0);
  // MLA decode example from the anchors: 302 MB at 3.35 TB/s, ~30 FLOP/B: memory-bound, ~90 us.
  EXPECT_NEAR(roofline_floor_ms(302e6, 302e6 * 30, kH100Bandwidth, kH100Bf16), 0.0901, 1e-3);
  EXPECT_DOUBLE_EQ(roofline_floor_ms(1e9, 1e9, 0, 1e12), 1.0);  // no bandwidth known: compute only
  EXPECT_EQ(roofline_floor_ms(1e9, 1e9, 0, 0), 0.0);
}

TEST(TimingStatsRoofline, FasterThanPhysicsUsesTheSlack) {
  EXPECT_TRUE(faster_than_physics(0.5, 1.0));
  EXPECT_TRUE(faster_than_physics(0.89, 1.0));
  EXPECT_FALSE(faster_than_physics(0.9, 1.0));
  EXPECT_FALSE(faster_than_physics(1.2, 1.0));
  EXPECT_TRUE(faster_than_physics(0.95, 1.0, 1.0));
  EXPECT_FALSE(faster_than_physics(0.0, 0.0));  // no floor known: never flagged
}

}  // namespace
}  // namespace ksearch::eval
