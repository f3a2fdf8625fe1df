// KernelBench on a real GPU with PyTorch: the bundled problems imported (definition as
// tests/data/kernelbench says, baselines timed, the cache reused), the bundled examples judged
// correct and timed against eager and torch.compile, the tanh-GELU example failing the fp32
// tolerance and passing the v0.1 one, `ksearch eval` of a folder writing the fast_p summary, and
// kernels that skip timed calls they guess are unchecked caught or timed at their real cost.
// Skips without a GPU, or without python3 + torch + safetensors (the oracle's probe says why).
#include "ksearch/search/kernelbench_task.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ksearch/common/json.h"
#include "ksearch/eval/reference_oracle.h"
#include "ksearch/search/flashinfer_task.h"
#include "ksearch/tasks/dataset_scan.h"
#include "ksearch/tasks/solution.h"
#include "support/gpu_fixture.h"
#include "support/run_process.h"
#include "support/skipping_cheat.h"
#include "support/temp_dir.h"

namespace ksearch::search {
namespace {

namespace fs = std::filesystem;

const fs::path problems_root = fs::path(KSEARCH_SOURCE_DIR) / "tasks" / "kernelbench" / "problems";
const fs::path examples = fs::path(KSEARCH_SOURCE_DIR) / "tasks" / "kernelbench" / "examples";
const std::string softmax = "kernelbench_l1_p1_Row_softmax";
const std::string fused = "kernelbench_l2_p1_Residual_LayerNorm_GELU_Scale_Bias";
constexpr int perf_trials = 20;  // short; the runs use the default 100 (results/kernelbench)

tasks::solution example(const std::string& definition, const std::string& variant) {
  auto s = tasks::load_solution(examples / definition / (variant + ".json"));
  EXPECT_TRUE(s.has_value()) << s.error().to_string();
  return s.value_or(tasks::solution{});
}

class KernelbenchTaskGpu : public test_support::gpu_fixture {
 protected:
  void SetUp() override {
    gpu_fixture::SetUp();
    if (IsSkipped()) return;
    auto script = eval::bundled_oracle_script();
    ASSERT_TRUE(script.has_value());
    const eval::oracle_environment env = eval::probe_oracle({.python = eval::oracle_python(), .script = *script});
    if (!env.ready) GTEST_SKIP() << "the PyTorch oracle cannot run here: " << env.problem;
  }

  kernelbench_task_options options(int level, std::optional<double> tolerance = std::nullopt) {
    auto problem = tasks::find_kernelbench_problem(problems_root, level, 1);
    EXPECT_TRUE(problem.has_value()) << problem.error().to_string();
    kernelbench_task_options o;
    o.problem = problem.value_or(tasks::kernelbench_problem{});
    o.import.cache_dir = cache_.path();
    o.import.perf_trials = perf_trials;
    o.import.gpu_name = "test";
    o.tolerance = tolerance;
    o.service = {.worker = {.worker_argv = {KSEARCH_BINARY, "__worker"}, .timeout = std::chrono::seconds(300)},
                 .devices = {}};
    return o;
  }

  test_support::temp_dir cache_;
};

TEST_F(KernelbenchTaskGpu, ImportMakesTheExpectedDefinitionWithBaselinesAndIsReused) {
  for (int level : {1, 2}) {
    const kernelbench_task_options o = options(level);
    auto first = import_kernelbench_problem(o.problem, o.import);
    ASSERT_TRUE(first.has_value()) << first.error().to_string();
    EXPECT_FALSE(first->reused);
    ASSERT_TRUE(first->eager_ms.has_value());
    EXPECT_GT(*first->eager_ms, 0.0);
    EXPECT_TRUE(first->compile_ms.has_value()) << "torch.compile failed: " << first->compile_error;
    EXPECT_EQ(first->manifest["trials"], 5);
    EXPECT_EQ(first->manifest["trial_seeds"].size(), 5u);

    std::ifstream in(fs::path(KSEARCH_TEST_DATA_DIR) / "kernelbench" / (first->definition + ".json"));
    ASSERT_TRUE(in) << first->definition;
    // Ordered: the inputs' order is the call signature (a module's own parameters come before its
    // children's, as named_parameters() lists them).
    const auto expected = ordered_json::parse(in);
    std::ifstream made_file(first->root / "definitions" / "kernelbench" / (first->definition + ".json"));
    const auto made = ordered_json::parse(made_file);
    for (const char* field : {"name", "op_type", "inputs", "outputs"}) {
      EXPECT_EQ(made[field], expected[field]) << first->definition << ": " << field << " is " << made[field].dump();
    }
    EXPECT_EQ(json(made["axes"]), json(expected["axes"])) << made["axes"].dump();
    auto loaded = tasks::load_dataset_definition(first->root, first->definition);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
    EXPECT_EQ(loaded->workloads.size(), 6u) << "5 trials and the timed inputs";

    auto again = import_kernelbench_problem(o.problem, o.import);
    ASSERT_TRUE(again.has_value()) << again.error().to_string();
    EXPECT_TRUE(again->reused);
    EXPECT_EQ(again->root, first->root);
  }
}

TEST_F(KernelbenchTaskGpu, ExamplesAreCorrectAndTimedAgainstEagerAndCompile) {
  for (const auto& [level, definition, variant] :
       {std::tuple{1, softmax, std::string("row_softmax")}, std::tuple{2, fused, std::string("fused")}}) {
    auto task = make_kernelbench_task(options(level));
    ASSERT_TRUE(task.has_value()) << task.error().to_string();
    EXPECT_NE((*task)->definition_text().find("How KernelBench judges this candidate"), std::string::npos);
    auto evaluated = (*task)->evaluate(example(definition, variant));
    ASSERT_TRUE(evaluated.has_value()) << evaluated.error().to_string();
    EXPECT_TRUE(evaluated->passed) << evaluated->status_name() << ": " << evaluated->feedback;
    EXPECT_EQ(evaluated->score_name, "speedup_vs_eager");
    ASSERT_TRUE(evaluated->score.has_value());
    EXPECT_GT(*evaluated->score, 0.0);
    EXPECT_TRUE(evaluated->task_metrics.contains("speedup_vs_compile"));
    ASSERT_EQ(evaluated->phases.size(), 2u);
    EXPECT_EQ(evaluated->phases[1].name, "perf");
    EXPECT_EQ(evaluated->phases[1].result.workloads.at(0).timing.samples, static_cast<std::size_t>(perf_trials));
  }
}

TEST_F(KernelbenchTaskGpu, TanhGeluFailsTheFp32ToleranceAndPassesTheV01One) {
  auto strict = make_kernelbench_task(options(2));
  ASSERT_TRUE(strict.has_value()) << strict.error().to_string();
  auto failed = (*strict)->evaluate(example(fused, "tanh_gelu"));
  ASSERT_TRUE(failed.has_value()) << failed.error().to_string();
  EXPECT_FALSE(failed->passed);
  EXPECT_EQ(failed->status, tasks::evaluation_status::incorrect_numerical) << failed->feedback;
  EXPECT_NE(failed->feedback.find("trial-1"), std::string::npos) << failed->feedback;

  auto lenient = make_kernelbench_task(options(2, 1e-2));
  ASSERT_TRUE(lenient.has_value()) << lenient.error().to_string();
  auto passed = (*lenient)->evaluate(example(fused, "tanh_gelu"));
  ASSERT_TRUE(passed.has_value()) << passed.error().to_string();
  EXPECT_TRUE(passed->passed) << passed->status << ": " << passed->feedback;
}

TEST_F(KernelbenchTaskGpu, EvalOfAFolderWritesTheFastPSummary) {
  test_support::temp_dir solutions;
  fs::copy_file(examples / softmax / "row_softmax.json", solutions.path() / "row_softmax.json");
  const fs::path summary_file = solutions.path() / "summary.json";
  auto r = test_support::run_ksearch({"eval", "--task", "kernelbench", "--kernelbench-root", problems_root.string(),
                                      "--kernelbench-level", "1", "--kernelbench-perf-trials", std::to_string(perf_trials),
                                      "--kernelbench-cache", cache_.path().string(), solutions.path().string(), "--summary",
                                      summary_file.string()},
                                     {}, std::chrono::seconds(600));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(summary_file);
  ASSERT_TRUE(in);
  const json summary = json::parse(in);
  EXPECT_EQ(summary["problems"], 1);
  EXPECT_EQ(summary["correct"], 1);
  EXPECT_DOUBLE_EQ(summary["fast_p"]["0"].get<double>(), 1.0);
  for (const char* p : {"1", "1.5", "2"}) EXPECT_TRUE(summary["fast_p_vs_compile"].contains(p));
  ASSERT_EQ(summary["rows"].size(), 1u);
  EXPECT_EQ(summary["rows"][0]["definition"], softmax);
  EXPECT_TRUE(summary["rows"][0]["speedup_vs_eager"].is_number());
}

TEST_F(KernelbenchTaskGpu, KernelsThatSkipCallsTheyGuessAreUncheckedFailOrAreTimedAtTheirRealCost) {
  // The perf inputs are fixed (seed 42), so nothing is drawn afresh: the poisoned outputs and the
  // checked calls must do it.
  auto task = make_kernelbench_task(options(1));
  ASSERT_TRUE(task.has_value()) << task.error().to_string();
  const tasks::solution honest = example(softmax, "row_softmax");
  auto baseline = (*task)->evaluate(honest);
  ASSERT_TRUE(baseline.has_value()) << baseline.error().to_string();
  ASSERT_TRUE(baseline->passed) << baseline->feedback;
  auto honest_code = solution_code_of(honest);
  ASSERT_TRUE(honest_code.has_value());
  for (const test_support::skip_when when :
       {test_support::skip_when::inputs_unchanged, test_support::skip_when::output_already_right,
        test_support::skip_when::calls_back_to_back}) {
    const eval::solution_code cheat = test_support::skipping_cheat(*honest_code, when, "x", "output");
    tasks::solution candidate = honest;
    candidate.name = cheat.name;
    candidate.sources = {{"kernel.cu", cheat.source}, {"launch.json", cheat.plan_json}};
    auto evaluated = (*task)->evaluate(candidate);
    ASSERT_TRUE(evaluated.has_value()) << evaluated.error().to_string();
    test_support::expect_caught_or_paid(when, evaluated->status_name(), evaluated->feedback,
                                        evaluated->latency_ms.value_or(0), baseline->latency_ms.value_or(0));
  }
}

}  // namespace
}  // namespace ksearch::search
