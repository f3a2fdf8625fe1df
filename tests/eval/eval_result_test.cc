#include "ksearch/eval/eval_result.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "ksearch/common/json.h"

namespace ksearch::eval {
namespace {

TEST(EvalResult, StatusNamesAreFlashInfers) {
  for (auto s : {tasks::evaluation_status::passed, tasks::evaluation_status::compile_error, tasks::evaluation_status::runtime_error, tasks::evaluation_status::timeout,
                 tasks::evaluation_status::incorrect_shape, tasks::evaluation_status::incorrect_numerical, tasks::evaluation_status::incorrect_dtype}) {
    EXPECT_EQ(tasks::evaluation_status_from_string(to_string(s)).value(), s);
  }
  EXPECT_EQ(to_string(tasks::evaluation_status::incorrect_numerical), "INCORRECT_NUMERICAL");
  EXPECT_FALSE(tasks::evaluation_status_from_string("FINE").has_value());
}

TEST(EvalResult, RoundTripsThroughJsonIncludingInfinities) {
  eval_result r;
  r.status = tasks::evaluation_status::incorrect_numerical;
  r.log = "output 'out': NaN at [3]";
  r.kernels.push_back({.name = "k", .registers = 40, .static_smem_bytes = 1024});
  workload_result w;
  w.uuid = "u1";
  w.status = tasks::evaluation_status::incorrect_numerical;
  w.max_absolute_error = std::numeric_limits<double>::infinity();
  w.max_relative_error = std::numeric_limits<double>::quiet_NaN();
  w.timing.samples = 0;  // rel_noise stays +inf
  w.correctness_wall_ms = 12.5;
  w.timing_wall_ms = 250;
  w.defences_wall_ms = 31.5;
  w.timed_checks = 4;
  w.min_bytes = 1.5e9;
  w.peak_bandwidth_bytes_per_s = 3.35e12;
  r.load_wall_ms = 40;
  r.workloads.push_back(w);

  const json doc = to_json(r);
  const std::string text = doc.dump();  // must not throw, must not contain bare inf/nan
  EXPECT_NE(text.find("\"Infinity\""), std::string::npos) << text;
  auto back = eval_result_from_json(json::parse(text));
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(back->status, tasks::evaluation_status::incorrect_numerical);
  EXPECT_EQ(back->kernels[0].registers, 40);
  ASSERT_EQ(back->workloads.size(), 1u);
  EXPECT_TRUE(std::isinf(back->workloads[0].max_absolute_error));
  EXPECT_TRUE(std::isnan(back->workloads[0].max_relative_error));
  EXPECT_TRUE(std::isinf(back->workloads[0].timing.rel_noise));
  EXPECT_DOUBLE_EQ(back->workloads[0].correctness_wall_ms, 12.5);
  EXPECT_DOUBLE_EQ(back->workloads[0].timing_wall_ms, 250);
  EXPECT_DOUBLE_EQ(back->workloads[0].defences_wall_ms, 31.5);
  EXPECT_EQ(back->workloads[0].timed_checks, 4);
  EXPECT_DOUBLE_EQ(back->workloads[0].min_bytes, 1.5e9);
  EXPECT_DOUBLE_EQ(back->workloads[0].peak_bandwidth_bytes_per_s, 3.35e12);
  EXPECT_DOUBLE_EQ(back->load_wall_ms, 40);
}

TEST(EvalResult, TimingKeepsItsClockAndTheEventsMedian) {
  eval_result r;
  workload_result w;
  w.uuid = "u1";
  w.timing = summarize(std::vector<double>{0.0118, 0.0119, 0.0120});
  w.timing.clock = "cupti";
  w.timing.event_median_ms = 0.0141;
  w.reference_timing = summarize(std::vector<double>{0.0148});
  w.reference_timing.clock = "events";
  w.reference_timing.clock_note = "CUPTI: another measurement of this process is recording";
  r.workloads.push_back(w);
  auto back = eval_result_from_json(json::parse(to_json(r).dump()));
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  const timing_summary& t = back->workloads[0].timing;
  EXPECT_EQ(t.clock, "cupti");
  EXPECT_TRUE(t.clock_note.empty());
  EXPECT_DOUBLE_EQ(t.event_median_ms, 0.0141);
  EXPECT_DOUBLE_EQ(t.median_ms, 0.0119);
  EXPECT_EQ(back->workloads[0].reference_timing.clock, "events");
  EXPECT_EQ(back->workloads[0].reference_timing.clock_note, "CUPTI: another measurement of this process is recording");
  // Records written before the clock existed read back with no clock named.
  json old = to_json(r);
  old["workloads"][0]["timing"].erase("clock");
  old["workloads"][0]["timing"].erase("event_median_ms");
  auto older = eval_result_from_json(old);
  ASSERT_TRUE(older.has_value()) << older.error().to_string();
  EXPECT_EQ(older->workloads[0].timing.clock, "");
  EXPECT_DOUBLE_EQ(older->workloads[0].timing.event_median_ms, 0);
}

TEST(EvalResult, MeanSpeedupOnlyWhenAllPassed) {
  eval_result r;
  r.workloads = {{.uuid = "a", .speedup_factor = 2.0}, {.uuid = "b", .speedup_factor = 4.0}};
  EXPECT_DOUBLE_EQ(r.mean_speedup(), 3.0);
  r.status = tasks::evaluation_status::timeout;
  EXPECT_EQ(r.mean_speedup(), -1);
  EXPECT_FALSE(eval_result_from_json(json::object()).has_value());
}

}  // namespace
}  // namespace ksearch::eval
