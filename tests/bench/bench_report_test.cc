#include "ksearch/bench/bench_report.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "ksearch/common/json.h"

namespace ksearch::bench {
namespace {

run_entry passed_run(double wall_ms, double kernel_ms, std::vector<std::optional<double>> medians) {
  run_entry r;
  r.status = tasks::evaluation_status::passed;
  r.split = {.compile_ms = 400,
             .load_ms = 450,
             .correctness_ms = 100,
             .timing_ms = 2000,
             .defences_ms = 37.5,
             .timed_checks = 9,
             .wall_ms = wall_ms,
             .kernel_ms = kernel_ms,
             .overhead_ms = wall_ms - kernel_ms};
  r.median_ms = medians;
  r.reference_median_ms = std::vector<std::optional<double>>(medians.size(), 0.5);
  // CUDA events read the same calls 1.5 us longer (the front end's latency).
  for (const std::optional<double>& m : medians) r.event_median_ms.push_back(m ? std::optional(*m + 0.0015) : std::nullopt);
  r.samples = std::vector<std::size_t>(medians.size(), 100);
  r.clock = "cupti";
  return r;
}

bench_report sample_report() {
  bench_report report;
  report.environment = {.device = "NVIDIA H200 (sm_90a, 132 SMs)",
                        .driver = "13000",
                        .nvrtc = "13.0",
                        .nvcc = "/usr/local/cuda/bin/nvcc (release 13.0)",
                        .ncu = "/usr/local/cuda/bin/ncu",
                        .dataset = "bench/data",
                        .repeats = 3,
                        .clock = "cupti"};
  evaluation_entry e;
  e.definition = "gqa_decode_bench";
  e.candidate = "gqa_decode_bench_split_kv";
  e.reference = "gqa_decode_bench_reference";
  e.workloads = {"b1", "b64"};
  e.runs = {passed_run(3000, 1000, {0.0100, 0.2000}), passed_run(3100, 1000, {0.0101, 0.2010}),
            passed_run(2900, 1000, {0.0102, std::nullopt})};
  report.evaluations.push_back(e);

  compile_entry c;
  c.definition = "gqa_decode_bench";
  c.solution = "gqa_decode_bench_split_kv";
  c.lines = 300;
  c.nvrtc = compile_timing{{410, 400, 420}, 410};
  c.nvcc = compile_timing{{1500, 1600, 1550}, 1550};
  report.compiles.push_back(c);

  ncu_entry n;
  n.definition = "gqa_decode_bench";
  n.candidate = "gqa_decode_bench_split_kv";
  n.workload = "b64";
  n.ksearch_ms = 0.2005;
  n.ksearch_events_ms = 0.2020;
  n.ncu_calls_ms = {0.196, 0.197, 0.198};
  n.ncu_ms = 0.197;
  report.ncu.push_back(n);
  ncu_entry small = n;
  small.workload = "b1";
  small.ksearch_ms = 0.0101;
  small.ksearch_events_ms = std::nullopt;
  small.ncu_ms = 0.0050;  // 102% off, but a 5 us kernel: outside the target's scope
  report.ncu.push_back(small);
  return report;
}

TEST(BenchReport, TargetsTakeTheWorstCase) {
  const std::vector<target_check> checks = check_targets(sample_report());
  ASSERT_EQ(checks.size(), 4u);
  EXPECT_EQ(checks[0].measured, "410 ms (gqa_decode_bench_split_kv, 300 lines)");
  EXPECT_EQ(checks[0].met, true);
  EXPECT_EQ(checks[1].measured, "2100 ms (gqa_decode_bench_split_kv run 2, 2 workloads)");
  EXPECT_EQ(checks[1].met, true);
  // Only the 197 us kernel counts: (200.5 - 197) / 197 = 1.78%.
  EXPECT_EQ(checks[2].measured, "1.78% (gqa_decode_bench_split_kv b64)");
  EXPECT_EQ(checks[2].met, true);
  // b1: (10.2 - 10.0) / 10.1 = 1.98%; b64 has two timed runs: 0.5%.
  EXPECT_EQ(checks[3].measured, "1.98% (gqa_decode_bench_split_kv b1)");
  EXPECT_EQ(checks[3].met, true);
}

TEST(BenchReport, MissedAndUnmeasuredTargetsSaySo) {
  bench_report report = sample_report();
  report.compiles[0].nvrtc->median_ms = 1600;
  report.evaluations[0].runs[0].median_ms[0] = 0.0110;  // spread (11.0 - 10.1) / 10.2 = 8.8%
  report.ncu.clear();
  report.ncu_note = "ncu not found (give --ncu PATH)";
  const std::vector<target_check> checks = check_targets(report);
  EXPECT_EQ(checks[0].met, false);
  EXPECT_EQ(checks[2].met, std::nullopt);
  EXPECT_EQ(checks[2].measured, "not measured: ncu not found (give --ncu PATH)");
  EXPECT_EQ(checks[3].met, false);
  const std::string text = render_markdown(report);
  EXPECT_NE(text.find("Not measured: ncu not found"), std::string::npos) << text;
  EXPECT_NE(text.find("| NO "), std::string::npos) << text;
}

TEST(BenchReport, MarkdownHoldsEveryMeasurement) {
  const std::string text = render_markdown(sample_report());
  // Columns are padded to their widest cell; numbers are right-aligned.
  for (const char* expected : {"NVIDIA H200 (sm_90a, 132 SMs)", "|   2 | PASSED |", " 3100 |", " 2100 |", " 10.0 |",
                               " 10.1 |", " 10.2 |", " 201.0 |", " - |", " 500.0 |", " 300 |", " 410 |", " 1550 |",
                               " 3.78x |", " 197.0 |", " 1.78% |", "### Targets (issue 3)", "| of which defences |",
                               " 37.5 |", " 9 |"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing '" << expected << "' in\n" << text;
  }
}

TEST(BenchReport, TheNcuTableShowsTheEventsMedianBesideTheCuptiLatency) {
  bench_report report = sample_report();
  EXPECT_EQ(report.evaluations[0].event_medians_of(1), (std::vector<double>{0.2015, 0.2025}));
  const std::string text = render_markdown(report);
  for (const char* expected : {"- ksearch clock: cupti (CUPTI activity timestamps", "| ksearch | events |   ncu |",
                               "|   200.5 |  202.0 | 197.0 |", "|    10.1 |      - |   5.0 |"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing '" << expected << "' in\n" << text;
  }
  // The target still compares the primary clock: (200.5 - 197) / 197, not the events' 2.54%.
  EXPECT_EQ(check_targets(report)[2].measured, "1.78% (gqa_decode_bench_split_kv b64)");

  report.environment.clock = "cupti, events";
  EXPECT_NE(render_markdown(report).find("- ksearch clock: cupti, events (CUPTI was unavailable for some runs"),
            std::string::npos);
}

TEST(BenchReport, CallsOfKnownLengthShowEachClocksWindow) {
  bench_report report = sample_report();
  const std::string without = render_markdown(report);
  EXPECT_EQ(without.find("Clock windows"), std::string::npos) << "no call of known length, no section";

  // spin_bench: a 20 us wait read 21.1 by CUPTI, 23.5 by the events, 21.8 by ncu.
  report.ncu.push_back({.definition = "spin_bench",
                        .candidate = "spin_bench_spin",
                        .workload = "spin-bench-20us",
                        .ksearch_ms = 0.0211,
                        .ksearch_events_ms = 0.0235,
                        .known_ms = 0.020,
                        .ncu_calls_ms = {0.0218},
                        .ncu_ms = 0.0218,
                        .note = {}});
  const std::string text = render_markdown(report);
  const auto section = text.find("### Clock windows on calls of known length [us] (reading - known length)");
  ASSERT_NE(section, std::string::npos) << text;
  // The section's row, cell by cell: known, then each clock's reading minus it.
  const auto row_start = text.find("| spin_bench", section);
  ASSERT_NE(row_start, std::string::npos) << text;
  std::vector<std::string> cells;
  std::istringstream row(text.substr(row_start, text.find('\n', row_start) - row_start));
  for (std::string cell; std::getline(row, cell, '|');) {
    cell.erase(0, cell.find_first_not_of(' '));
    cell.erase(cell.find_last_not_of(' ') + 1);
    if (!cell.empty()) cells.push_back(cell);
  }
  EXPECT_EQ(cells, (std::vector<std::string>{"spin_bench", "spin_bench_spin", "spin-bench-20us", "20.0", "+1.1", "+3.5",
                                             "+1.8"}));
  EXPECT_DOUBLE_EQ(to_json(report)["ncu"]["rows"][2]["known_ms"].get<double>(), 0.020);
  EXPECT_TRUE(to_json(report)["ncu"]["rows"][0]["known_ms"].is_null());
}

TEST(BenchReport, JsonKeepsRawNumbersAndNullsForWhatWasNotMeasured) {
  const ordered_json doc = to_json(sample_report());
  EXPECT_EQ(doc["environment"]["repeats"], 3);
  EXPECT_EQ(doc["environment"]["clock"], "cupti");
  const ordered_json evaluation = doc["evaluations"][0];  // copies: no reference into a call result
  EXPECT_EQ(evaluation["runs"].size(), 3u);
  EXPECT_DOUBLE_EQ(evaluation["runs"][1]["overhead_ms"].get<double>(), 2100);
  EXPECT_EQ(evaluation["runs"][1]["clock"], "cupti");
  const ordered_json b64 = evaluation["workloads"][1];
  EXPECT_EQ(b64["uuid"], "b64");
  EXPECT_TRUE(b64["median_ms_per_run"][2].is_null());
  EXPECT_DOUBLE_EQ(b64["median_ms"].get<double>(), 0.2005);
  EXPECT_DOUBLE_EQ(b64["event_median_ms_per_run"][0].get<double>(), 0.2015);
  EXPECT_TRUE(b64["event_median_ms_per_run"][2].is_null());
  EXPECT_DOUBLE_EQ(doc["compile"][0]["nvcc"]["median_ms"].get<double>(), 1550);
  EXPECT_EQ(doc["ncu"]["rows"][0]["ncu_calls_ms"].size(), 3u);
  EXPECT_DOUBLE_EQ(doc["ncu"]["rows"][0]["ksearch_events_ms"].get<double>(), 0.2020);
  EXPECT_TRUE(doc["ncu"]["rows"][1]["ksearch_events_ms"].is_null());
  EXPECT_EQ(doc["targets"].size(), 4u);
  EXPECT_EQ(doc["targets"][0]["met"], true);
}

}  // namespace
}  // namespace ksearch::bench
