// The GPUMode task without a GPU: modes, the phases each runs with the leaderboard's settings, the
// geometric mean, the bundled TriMul dataset, and compile-only evaluation of its solutions.
#include "ksearch/search/gpumode_task.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ksearch/common/json.h"
#include "ksearch/search/flashinfer_task.h"
#include "ksearch/tasks/dataset_scan.h"
#include "ksearch/tasks/solution.h"
#include "support/temp_dir.h"

namespace ksearch::search {
namespace {

namespace fs = std::filesystem;
const fs::path trimul_dataset = fs::path(KSEARCH_SOURCE_DIR) / "tasks" / "gpumode" / "trimul";

eval::eval_request bundled_request() {
  auto loaded = tasks::load_dataset_definition(trimul_dataset, "trimul");
  EXPECT_TRUE(loaded.has_value()) << loaded.error().to_string();
  eval::eval_request r;
  r.definition = loaded->def;
  r.workloads = loaded->workloads;
  r.config.correctness_trials = 2;
  return r;
}

TEST(GpumodeTask, ModesAreTestBenchmarkAndLeaderboard) {
  EXPECT_EQ(*parse_gpumode_mode("test"), gpumode_mode::test);
  EXPECT_EQ(*parse_gpumode_mode("benchmark"), gpumode_mode::benchmark);
  EXPECT_EQ(*parse_gpumode_mode("leaderboard"), gpumode_mode::leaderboard);
  auto profile = parse_gpumode_mode("profile");
  ASSERT_FALSE(profile.has_value());
  EXPECT_EQ(profile.error().subject, "--gpumode-mode profile");
  EXPECT_NE(profile.error().fix.find("ksearch bench"), std::string::npos);
  EXPECT_FALSE(parse_gpumode_mode("Benchmark").has_value());
}

TEST(GpumodeTask, TheBundledDatasetHasTheLeaderboardsEighteenTestsAndSevenBenchmarks) {
  const eval::eval_request r = bundled_request();
  ASSERT_EQ(r.workloads.size(), 25u);
  std::vector<std::string> benchmarks;
  for (const tasks::workload& w : r.workloads) {
    if (is_gpumode_benchmark(w.uuid)) benchmarks.push_back(w.uuid);
  }
  ASSERT_EQ(benchmarks.size(), 7u);
  EXPECT_EQ(benchmarks.front(), "benchmark-01-n256-b2-c128-nomask-normal-s9371");
  EXPECT_EQ(benchmarks.back(), "benchmark-07-n1024-b1-c384-nomask-normal-s23291");
  // Distributions of docs/task-formats.md, "GPUMode TriMul: inputs", per shape.
  const tasks::workload& cauchy_masked = r.workloads[16];  // test-17: N=1024, C=384, mask, Cauchy
  ASSERT_EQ(cauchy_masked.uuid, "test-17-n1024-b1-c384-mask-cauchy-s5321");
  using kind = tasks::value_distribution::kind;
  EXPECT_EQ(cauchy_masked.inputs.at("x").distribution, (tasks::value_distribution{kind::cauchy, 0, 2}));
  EXPECT_EQ(cauchy_masked.inputs.at("mask").distribution, (tasks::value_distribution{kind::randint, 0, 2}));
  EXPECT_NEAR(cauchy_masked.inputs.at("left_gate_weight").distribution.b, 1 / std::sqrt(128.0), 1e-12);
  EXPECT_NEAR(cauchy_masked.inputs.at("to_out_weight").distribution.b, 1 / std::sqrt(384.0), 1e-12);
  EXPECT_EQ(r.workloads[0].inputs.at("mask").distribution, (tasks::value_distribution{kind::constant, 1, 1}));
  EXPECT_EQ(cauchy_masked.axes.at("hidden_dim"), 128);
}

TEST(GpumodeTask, EachModeRunsItsPhasesWithTheLeaderboardsSettings) {
  const eval::eval_request base = bundled_request();

  const auto leaderboard = gpumode_phases(gpumode_mode::leaderboard, base, /*cold_l2=*/false);
  ASSERT_EQ(leaderboard.size(), 2u);
  const eval::eval_request& tests = leaderboard[0].request;
  const eval::eval_request& benchmarks = leaderboard[1].request;
  EXPECT_EQ(leaderboard[0].name, "tests");
  EXPECT_EQ(tests.workloads.size(), 18u);
  EXPECT_FALSE(tests.config.time_candidate);
  EXPECT_FALSE(tests.config.time_reference);
  EXPECT_EQ(leaderboard[1].name, "benchmarks");
  EXPECT_EQ(benchmarks.workloads.size(), 7u);
  for (const eval::eval_request* r : {&tests, &benchmarks}) {
    EXPECT_EQ(r->config.comparator, "allclose");
    EXPECT_DOUBLE_EQ(r->config.atol, 2e-2);
    EXPECT_DOUBLE_EQ(r->config.rtol, 2e-2);
    EXPECT_EQ(r->config.correctness_trials, 2) << "the caller's trials are kept";
  }
  EXPECT_TRUE(benchmarks.config.time_candidate);
  EXPECT_TRUE(benchmarks.config.recheck);
  EXPECT_FALSE(benchmarks.config.flush_l2) << "upstream times with a warm L2";
  EXPECT_EQ(benchmarks.config.timing.kind, eval::criterion_kind::gpumode);
  EXPECT_DOUBLE_EQ(benchmarks.config.timing.max_gpu_time_ms, 30'000);
  EXPECT_EQ(benchmarks.config.clock, eval::timing_clock::cuda_events) << "eval.py times with CUDA events";

  const auto benchmark = gpumode_phases(gpumode_mode::benchmark, base, /*cold_l2=*/true);
  ASSERT_EQ(benchmark.size(), 1u);
  EXPECT_EQ(benchmark[0].name, "benchmarks");
  EXPECT_FALSE(benchmark[0].request.config.recheck);
  EXPECT_TRUE(benchmark[0].request.config.flush_l2);
  EXPECT_DOUBLE_EQ(benchmark[0].request.config.timing.max_gpu_time_ms, 10'000);
  EXPECT_EQ(benchmark[0].request.config.clock, eval::timing_clock::cuda_events);

  const auto test = gpumode_phases(gpumode_mode::test, base, false);
  ASSERT_EQ(test.size(), 1u);
  EXPECT_EQ(test[0].name, "tests");

  eval::eval_request only_tests = base;
  std::erase_if(only_tests.workloads, [](const tasks::workload& w) { return is_gpumode_benchmark(w.uuid); });
  EXPECT_TRUE(gpumode_phases(gpumode_mode::benchmark, only_tests, false).empty()) << "a phase without workloads is left out";
}

TEST(GpumodeTask, OnlyTheTimedPhaseLeavesFlashInfersCuptiClockForCudaEvents) {
  // FlashInfer definitions run with the options' eval_config as it is: CUPTI unless --timer events.
  EXPECT_EQ(eval::eval_config{}.clock, eval::timing_clock::cupti);
  EXPECT_EQ(flashinfer_task_options{}.config.clock, eval::timing_clock::cupti);
  const eval::eval_request base = bundled_request();
  ASSERT_EQ(base.config.clock, eval::timing_clock::cupti);
  const auto phases = gpumode_phases(gpumode_mode::leaderboard, base, /*cold_l2=*/false);
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].request.config.clock, eval::timing_clock::cupti) << "the test shapes time nothing";
  EXPECT_EQ(phases[1].request.config.clock, eval::timing_clock::cuda_events);
}

TEST(GpumodeTask, GeometricMean) {
  EXPECT_NEAR(*geometric_mean(std::vector<double>{1.0, 4.0}), 2.0, 1e-12);
  EXPECT_NEAR(*geometric_mean(std::vector<double>{0.5, 2.0, 8.0}), 2.0, 1e-12);
  EXPECT_FALSE(geometric_mean(std::vector<double>{}).has_value());
  EXPECT_FALSE(geometric_mean(std::vector<double>{1.0, -1.0}).has_value()) << "an untimed -1 is no latency";
}

TEST(GpumodeTask, CompileOnlyChecksTheBundledSolutionsAndDescribesTheTask) {
  gpumode_task_options options;
  options.dataset_root = trimul_dataset;
  options.mode = gpumode_mode::leaderboard;
  options.compile_only = true;
  auto task = make_gpumode_task(options);
  ASSERT_TRUE(task.has_value()) << task.error().to_string();
  EXPECT_EQ((*task)->name(), "trimul");
  const json d = (*task)->describe();
  EXPECT_EQ(d["backend"], "gpumode");
  EXPECT_EQ(d["mode"], "leaderboard");
  EXPECT_EQ(d["tests"].size(), 18u);
  EXPECT_EQ(d["benchmarks"].size(), 7u);
  EXPECT_EQ(d["score"], "inv_latency_ms");
  EXPECT_EQ(d["reference"], "solution trimul_reference");
  EXPECT_EQ((*task)->workload_records().size(), 25u);
  const std::string text = (*task)->definition_text();
  EXPECT_NE(text.find("Name: trimul"), std::string::npos);
  EXPECT_NE(text.find("geometric mean"), std::string::npos) << "the notes are part of the prompt";

  auto example = tasks::load_solution(trimul_dataset / "examples" / "trimul" / "tensor_core.json");
  ASSERT_TRUE(example.has_value()) << example.error().to_string();
  auto evaluated = (*task)->evaluate(*example);
  ASSERT_TRUE(evaluated.has_value()) << evaluated.error().to_string();
  EXPECT_EQ(evaluated->status, tasks::evaluation_status::compiled) << evaluated->feedback;
  EXPECT_FALSE(evaluated->passed);
}

TEST(GpumodeTask, ADatasetWithoutBothSetsIsAnErrorNamingIt) {
  test_support::temp_dir dir;
  fs::create_directories(dir.path() / "definitions" / "trimul");
  fs::copy_file(trimul_dataset / "definitions" / "trimul" / "trimul.json", dir.path() / "definitions" / "trimul" / "trimul.json");
  fs::create_directories(dir.path() / "solutions" / "trimul");
  fs::copy_file(trimul_dataset / "solutions" / "trimul" / "trimul_reference.json",
                dir.path() / "solutions" / "trimul" / "trimul_reference.json");
  std::string tests_only;
  for (const std::string& line : {std::string("test-01"), std::string("test-02")}) {
    tests_only += R"({"definition": "trimul", "workload": {"uuid": ")" + line +
                  R"(", "axes": {"batch_size": 1, "seq_len": 32, "dim": 128}, "inputs": {}}})" + "\n";
  }
  dir.write("workloads/trimul/trimul.jsonl", tests_only);
  gpumode_task_options options;
  options.dataset_root = dir.path();
  options.compile_only = true;
  auto task = make_gpumode_task(options);
  ASSERT_FALSE(task.has_value());
  EXPECT_NE(task.error().subject.find("workloads of trimul"), std::string::npos) << task.error().to_string();
  EXPECT_NE(task.error().problem.find("0 benchmarks among 2"), std::string::npos) << task.error().to_string();
}

}  // namespace
}  // namespace ksearch::search
