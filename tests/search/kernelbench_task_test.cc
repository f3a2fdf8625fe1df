// KernelBench without a GPU: tolerance by precision, the two phases' settings, the verdict and its
// >10x flag, fast_p over a batch, the import's manifest, the import's error when torch cannot be
// imported, and the bundled example candidates compiled with NVRTC against the definitions the
// import makes (tests/data/kernelbench; a GPU test checks the import still makes them).
#include "ksearch/search/kernelbench_task.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ksearch/common/json.h"
#include "ksearch/search/flashinfer_task.h"
#include "ksearch/search/kernelbench_summary.h"
#include "ksearch/tasks/solution.h"
#include "support/temp_dir.h"

namespace ksearch::search {
namespace {

namespace fs = std::filesystem;

TEST(KernelbenchTask, ToleranceFollowsPrecisionUnlessGiven) {
  EXPECT_DOUBLE_EQ(*kernelbench_tolerance("fp32", std::nullopt), 1e-4);
  EXPECT_DOUBLE_EQ(*kernelbench_tolerance("fp16", std::nullopt), 1e-2);
  EXPECT_DOUBLE_EQ(*kernelbench_tolerance("bf16", std::nullopt), 1e-2);
  EXPECT_DOUBLE_EQ(*kernelbench_tolerance("fp32", 1e-2), 1e-2) << "the v0.1 protocol";
  auto bad = kernelbench_tolerance("fp8", std::nullopt);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().subject, "--kernelbench-precision fp8");
  EXPECT_FALSE(kernelbench_tolerance("fp32", 0.0).has_value());
}

tasks::workload workload_named(const std::string& uuid) {
  tasks::workload w;
  w.uuid = uuid;
  return w;
}

TEST(KernelbenchTask, TrialsAreCheckedAndThePerfInputsTimedExactlyPerfTrialsTimes) {
  eval::eval_request base;
  base.workloads = {workload_named("trial-1-seed-7"), workload_named("trial-2-seed-9"), workload_named("perf-seed-42")};
  base.config.correctness_trials = 5;
  const auto phases = kernelbench_phases(base, 1e-4, 37);
  ASSERT_EQ(phases.size(), 2u);
  const eval::eval_request& trials = phases[0].request;
  EXPECT_EQ(phases[0].name, "trials");
  ASSERT_EQ(trials.workloads.size(), 2u);
  EXPECT_FALSE(trials.config.time_candidate);
  EXPECT_FALSE(trials.config.time_reference);
  const eval::eval_request& perf = phases[1].request;
  EXPECT_EQ(phases[1].name, "perf");
  ASSERT_EQ(perf.workloads.size(), 1u);
  EXPECT_EQ(perf.workloads[0].uuid, "perf-seed-42");
  EXPECT_TRUE(perf.config.time_candidate);
  EXPECT_TRUE(perf.config.flush_l2);
  EXPECT_EQ(perf.config.timing.kind, eval::criterion_kind::fixed);
  EXPECT_EQ(perf.config.timing.min_samples, 37u);
  EXPECT_EQ(perf.config.timing.max_samples, 37u);
  EXPECT_EQ(base.config.clock, eval::timing_clock::cupti) << "eval_config's default, FlashInfer's clock";
  EXPECT_EQ(perf.config.clock, eval::timing_clock::cuda_events) << "KernelBench times with CUDA events";
  for (const evaluation_phase& p : phases) {
    EXPECT_EQ(p.request.config.comparator, "allclose_candidate") << "KernelBench's allclose(ref, new)";
    EXPECT_DOUBLE_EQ(p.request.config.atol, 1e-4);
    EXPECT_DOUBLE_EQ(p.request.config.rtol, 1e-4);
    EXPECT_EQ(p.request.config.correctness_trials, 1) << "each trial is its own workload with fixed inputs";
  }
  // The comparator survives the trip to the worker.
  std::ifstream in(fs::path(KSEARCH_TEST_DATA_DIR) / "kernelbench" / "kernelbench_l1_p1_Row_softmax.json");
  auto def = tasks::parse_definition(ordered_json::parse(in), "fixture");
  ASSERT_TRUE(def.has_value()) << def.error().to_string();
  eval::eval_request travelling = perf;
  travelling.definition = *def;
  travelling.workloads.clear();
  auto back = eval::eval_request_from_json(eval::to_json(travelling));
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(back->config.comparator, "allclose_candidate");
  EXPECT_EQ(back->config.clock, eval::timing_clock::cuda_events) << "so does the clock";
}

phased_outcome passed_with(double kernel_ms, double eager_ms) {
  phased_outcome o;
  o.geomean_ms = kernel_ms;
  o.reference_geomean_ms = eager_ms;
  return o;
}

TEST(KernelbenchTask, VerdictGivesBothSpeedupsAndFlagsMoreThanTenTimesEager) {
  kernelbench_dataset dataset;
  dataset.compile_ms = 1.0;
  const kernelbench_verdict v = judge_kernelbench(passed_with(0.5, 2.0), dataset);
  EXPECT_TRUE(v.correct);
  EXPECT_DOUBLE_EQ(*v.speedup_vs_eager, 4.0);
  EXPECT_DOUBLE_EQ(*v.speedup_vs_compile, 2.0);
  EXPECT_FALSE(v.suspicious);

  EXPECT_TRUE(judge_kernelbench(passed_with(0.5, 6.0), dataset).suspicious) << "12x over eager";

  phased_outcome failed;
  failed.status = tasks::evaluation_status::incorrect_numerical;
  failed.log = "trials: output 'output' differs";
  const kernelbench_verdict wrong = judge_kernelbench(failed, dataset);
  EXPECT_FALSE(wrong.correct);
  EXPECT_FALSE(wrong.speedup_vs_eager.has_value());
  EXPECT_EQ(wrong.to_json()["status"], "INCORRECT_NUMERICAL");
  EXPECT_EQ(wrong.to_json()["log"], failed.log);
}

kernelbench_row row(int id, std::optional<kernelbench_verdict> verdict, std::string solution = "s.json") {
  kernelbench_row r;
  r.problem_id = id;
  r.problem = "P" + std::to_string(id);
  r.solution = std::move(solution);
  r.verdict = std::move(verdict);
  return r;
}

kernelbench_verdict correct(double vs_eager, double vs_compile) {
  kernelbench_verdict v;
  v.correct = true;
  v.kernel_ms = 1.0;
  v.speedup_vs_eager = vs_eager;
  v.speedup_vs_compile = vs_compile;
  return v;
}

TEST(KernelbenchSummary, FastPCountsEveryProblemAskedFor) {
  kernelbench_verdict incorrect;
  incorrect.status = tasks::evaluation_status::incorrect_numerical;
  const std::vector<kernelbench_row> rows = {row(1, correct(4.0, 2.0)), row(2, correct(0.8, 0.5)),
                                             row(3, std::nullopt, ""), row(4, incorrect)};
  EXPECT_DOUBLE_EQ(fast_p(rows, 0, false), 0.5) << "fast_0 is the correctness rate";
  EXPECT_DOUBLE_EQ(fast_p(rows, 1, false), 0.25);
  EXPECT_DOUBLE_EQ(fast_p(rows, 2, false), 0.25);
  EXPECT_DOUBLE_EQ(fast_p(rows, 2, true), 0.0) << "2x is not more than 2x";
  EXPECT_DOUBLE_EQ(fast_p({}, 1, false), 0.0);

  const json summary = kernelbench_summary(1, rows, {{"tolerance", 1e-4}});
  EXPECT_EQ(summary["problems"], 4);
  EXPECT_EQ(summary["evaluated"], 3);
  EXPECT_EQ(summary["correct"], 2);
  EXPECT_DOUBLE_EQ(summary["fast_p"]["1.5"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(summary["fast_p_vs_compile"]["1"].get<double>(), 0.25);
  EXPECT_NEAR(summary["geomean_speedup_vs_eager"].get<double>(), std::sqrt(4.0 * 0.8), 1e-12);
  ASSERT_EQ(summary["rows"].size(), 4u);
  EXPECT_EQ(summary["rows"][2]["status"], "NO_SOLUTION");
  EXPECT_EQ(summary["rows"][3]["status"], "INCORRECT_NUMERICAL");
  EXPECT_EQ(summary["settings"]["tolerance"], 1e-4);
}

TEST(KernelbenchImport, ReadsTheManifestsBaselines) {
  test_support::temp_dir dir;
  dir.write("kernelbench.json", json{{"definition", "kernelbench_l1_p1_X"},
                                     {"baselines", {{"eager", {{"mean_ms", 0.25}}}, {"compile", nullptr},
                                                    {"compile_error", "BackendCompilerFailed: no compiler"}}}}
                                        .dump());
  auto dataset = read_kernelbench_dataset(dir.path());
  ASSERT_TRUE(dataset.has_value()) << dataset.error().to_string();
  EXPECT_EQ(dataset->definition, "kernelbench_l1_p1_X");
  EXPECT_DOUBLE_EQ(*dataset->eager_ms, 0.25);
  EXPECT_FALSE(dataset->compile_ms.has_value());
  EXPECT_EQ(dataset->compile_error, "BackendCompilerFailed: no compiler");

  dir.write("kernelbench.json", "{\"baselines\": null}");
  auto broken = read_kernelbench_dataset(dir.path());
  ASSERT_FALSE(broken.has_value());
  EXPECT_NE(broken.error().to_string().find("kernelbench.json"), std::string::npos);
}

// A python whose torch cannot be imported (a module named torch that raises, first on the path):
// the import fails with what to install, and leaves nothing in the cache.
TEST(KernelbenchImport, WithoutTorchSaysWhatToInstall) {
  test_support::temp_dir dir;
  dir.write("fake_site/torch.py", "raise ImportError('torch is broken here on purpose')\n");
  const char* previous = std::getenv("PYTHONPATH");
  const std::string saved = previous != nullptr ? previous : "";
  ::setenv("PYTHONPATH", (dir.path() / "fake_site").c_str(), 1);
  tasks::kernelbench_problem problem{1, 1, "Row_softmax",
                                     fs::path(KSEARCH_SOURCE_DIR) / "tasks/kernelbench/problems/level1/1_Row_softmax.py"};
  kernelbench_import_options options;
  options.cache_dir = dir.path() / "cache";
  options.python = "python3";
  auto imported = import_kernelbench_problem(problem, options);
  if (previous != nullptr) {
    ::setenv("PYTHONPATH", saved.c_str(), 1);
  } else {
    ::unsetenv("PYTHONPATH");
  }
  ASSERT_FALSE(imported.has_value());
  EXPECT_NE(imported.error().to_string().find("pip install torch safetensors"), std::string::npos)
      << imported.error().to_string();
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(dir.path() / "cache", ec)) << "a failed import leaves no dataset behind";
}

// Every bundled example compiles with NVRTC and its plan resolves against the definition the
// import makes; the packed Solution JSON holds exactly the example's files.
TEST(KernelbenchTask, BundledExamplesCompileAgainstTheImportedDefinitions) {
  const fs::path examples = fs::path(KSEARCH_SOURCE_DIR) / "tasks" / "kernelbench" / "examples";
  std::size_t checked = 0;
  for (const auto& def_dir : fs::directory_iterator(examples)) {
    if (!def_dir.is_directory()) continue;
    const std::string name = def_dir.path().filename().string();
    std::ifstream in(fs::path(KSEARCH_TEST_DATA_DIR) / "kernelbench" / (name + ".json"));
    ASSERT_TRUE(in) << "no tests/data/kernelbench/" << name << ".json";
    auto def = tasks::parse_definition(ordered_json::parse(in), name);
    ASSERT_TRUE(def.has_value()) << def.error().to_string();
    for (const auto& variant : fs::directory_iterator(def_dir.path())) {
      if (!variant.is_directory()) continue;
      fs::path packed = variant.path();
      packed += ".json";
      auto solution = tasks::load_solution(packed);
      ASSERT_TRUE(solution.has_value()) << solution.error().to_string() << " (run tasks/pack_solutions.sh)";
      std::ifstream kernel(variant.path() / "kernel.cu");
      const std::string kernel_text((std::istreambuf_iterator<char>(kernel)), std::istreambuf_iterator<char>());
      ASSERT_NE(solution->source("kernel.cu"), nullptr);
      EXPECT_EQ(*solution->source("kernel.cu"), kernel_text) << packed << " is stale: run tasks/pack_solutions.sh";
      auto code = solution_code_of(*solution);
      ASSERT_TRUE(code.has_value()) << code.error().to_string();
      auto compiled = compile_only_evaluation(*def, *code, "H100", eval::compile_limits{}, no_activity());
      ASSERT_TRUE(compiled.has_value()) << compiled.error().to_string();
      EXPECT_EQ(compiled->status, tasks::evaluation_status::compiled) << packed << ": " << compiled->feedback;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3u);
}

}  // namespace
}  // namespace ksearch::search
