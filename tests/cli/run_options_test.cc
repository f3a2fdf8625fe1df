#include "ksearch/cli/run_options.h"

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "ksearch/common/json.h"

namespace ksearch::cli {
namespace {

// Parses `args` the way `ksearch run` does; returns CLI11's message on a parse error.
std::string parse(run_options& options, std::vector<std::string> args) {
  CLI::App app;
  add_run_flags(app, options);
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

std::string joined(const std::vector<error>& errors) {
  std::string out;
  for (const error& e : errors) out += e.to_string() + "\n";
  return out;
}

class RunOptions : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"LLM_API_KEY", "OPENAI_API_KEY", "KERNELBENCH_ROOT", "WANDB_PROJECT", "RUN_NAME"}) {
      if (const char* v = ::getenv(name)) saved_.emplace_back(name, v);
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
  }
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(RunOptions, DefaultsMatchKSearch) {
  run_options o;
  ASSERT_EQ(parse(o, {}), "");
  EXPECT_EQ(o.task.task, "flashinfer");
  EXPECT_EQ(o.task.target_gpu, "H100");
  EXPECT_EQ(o.max_opt_rounds, 5);
  EXPECT_EQ(o.warmup_runs, 10);
  EXPECT_EQ(o.iterations, 10);
  EXPECT_EQ(o.num_trials, 1);
  EXPECT_DOUBLE_EQ(o.rtol, 1e-2);
  EXPECT_DOUBLE_EQ(o.atol, 1e-2);
  EXPECT_EQ(o.artifacts_dir, ".ksearch");
  EXPECT_EQ(o.wm_stagnation_window, 5);
  EXPECT_FALSE(o.wm_max_difficulty.has_value());
  EXPECT_EQ(o.feedback_trace_policy, "first");
  EXPECT_EQ(o.task.gpumode_mode, "benchmark");
  EXPECT_FALSE(o.world_model);
  EXPECT_EQ(o.timer, eval::timing_clock::cupti);
  EXPECT_EQ(flashinfer_task_for(o).config.clock, eval::timing_clock::cupti) << "FlashInfer-Bench's clock";
}

TEST_F(RunOptions, AcceptsTheOriginalFlagNamesAndAliases) {
  run_options o;
  ASSERT_EQ(parse(o, {"--task-source", "gpumode", "--local", KSEARCH_TEST_DATA_DIR, "--definition", "trimul",
                      "--model-name", "m", "--world-model", "--wm-stagnation-window", "7", "--wm-max-difficulty",
                      "5", "--max-opt-rounds", "300", "--feedback-workloads", "u1", "u2", "--save-solutions",
                      "--continue-from-world-model", "auto", "--gpumode-mode", "leaderboard"}),
            "");
  EXPECT_EQ(o.task.task, "gpumode");
  EXPECT_EQ(o.task.task_path, KSEARCH_TEST_DATA_DIR);
  EXPECT_TRUE(o.world_model);
  EXPECT_EQ(o.wm_stagnation_window, 7);
  EXPECT_EQ(o.wm_max_difficulty, 5);
  EXPECT_EQ(o.max_opt_rounds, 300);
  EXPECT_EQ(o.feedback_workloads, (std::vector<std::string>{"u1", "u2"}));
  EXPECT_TRUE(o.save_solutions);
  EXPECT_EQ(o.continue_from_world_model, "auto");
  EXPECT_EQ(o.task.gpumode_mode, "leaderboard");
}

TEST_F(RunOptions, OutOfRangeAndUnknownValuesNameTheFlag) {
  struct bad_case {
    std::vector<std::string> args;
    std::string flag;
  };
  const std::vector<bad_case> cases = {
      {{"--max-opt-rounds", "0"}, "--max-opt-rounds"},
      {{"--max-opt-rounds", "many"}, "--max-opt-rounds"},
      {{"--wm-max-difficulty", "6"}, "--wm-max-difficulty"},
      {{"--wm-stagnation-window", "0"}, "--wm-stagnation-window"},
      {{"--task", "triton-bench"}, "--task"},
      {{"--language", "rust"}, "--language"},
      {{"--kernelbench-level", "5"}, "--kernelbench-level"},
      {{"--rtol", "-1"}, "--rtol"},
      {{"--feedback-trace-policy", "last"}, "--feedback-trace-policy"},
      {{"--base-url", "api.openai.com"}, "--base-url"},
      {{"--task-path", "/no/such/dataset"}, "--task-path"},
      {{"--continue-from-world-model", "/no/such/wm.json"}, "--continue-from-world-model"},
      {{"--continue-from-solution", "/no/such/solution.json"}, "--continue-from-solution"},
      {{"--timer", "nvtx"}, "--timer"},
  };
  for (const bad_case& c : cases) {
    run_options o;
    const std::string message = parse(o, c.args);
    EXPECT_NE(message.find(c.flag), std::string::npos) << c.args[0] << " " << c.args[1] << " -> '" << message << "'";
  }
}

TEST_F(RunOptions, TimerEventsReachesTheFlashInferEvalConfig) {
  run_options o;
  ASSERT_EQ(parse(o, {"--definition", "d", "--timer", "events", "--atol", "0.5"}), "");
  EXPECT_EQ(o.timer, eval::timing_clock::cuda_events);
  const search::flashinfer_task_options t = flashinfer_task_for(o);
  EXPECT_EQ(t.config.clock, eval::timing_clock::cuda_events);
  EXPECT_DOUBLE_EQ(t.config.atol, 0.5) << "the rest of the config still comes from the flags";
  EXPECT_EQ(to_json(o)["timer"], "events") << "recorded with the run's configuration";

  run_options bad;
  const std::string message = parse(bad, {"--timer", "wall"});
  EXPECT_NE(message.find("--timer"), std::string::npos) << message;
  EXPECT_NE(message.find("wall"), std::string::npos) << message;
  EXPECT_EQ(bad.timer, eval::timing_clock::cupti) << "a refused value leaves the default";
}

TEST_F(RunOptions, ValidateNamesEveryMissingPieceAtOnce) {
  run_options o;
  o.task.task = "kernelbench";
  const std::string all = joined(validate_run(o));
  for (const char* flag : {"--kernelbench-level", "--kernelbench-problem-id", "--kernelbench-root", "--model-name",
                           "--api-key"}) {
    EXPECT_NE(all.find(flag), std::string::npos) << flag << " missing from:\n" << all;
  }
}

TEST_F(RunOptions, ValidateRejectsNonCudaLanguagesAndOtherGpumodeDefinitions) {
  run_options o;
  o.llm.model_name = "m";
  o.llm.base_url = "http://127.0.0.1:8000/v1";  // loopback: no key needed
  o.task.task = "gpumode";
  o.task.definition = "matmul";
  o.language = "triton";
  const std::string all = joined(validate_run(o));
  EXPECT_NE(all.find("--language: 'triton' is not supported"), std::string::npos) << all;
  EXPECT_NE(all.find("--definition: --task gpumode has one definition"), std::string::npos) << all;
}

TEST_F(RunOptions, AKeyIsNeededForRemoteEndpointsOnly) {
  run_options o;
  o.task.definition = "d";
  o.llm.model_name = "m";
  EXPECT_NE(joined(validate_run(o)).find("--api-key: no API key for https://api.openai.com/v1"), std::string::npos);
  ::setenv("OPENAI_API_KEY", "sk-test-value-for-tests", 1);
  EXPECT_EQ(joined(validate_run(o)), "");
  ::unsetenv("OPENAI_API_KEY");
  o.llm.base_url = "http://localhost:11434/v1";
  EXPECT_EQ(joined(validate_run(o)), "");
}

TEST_F(RunOptions, AReplayedRunNeedsNoKeyButBudgetsAreChecked) {
  run_options o;
  ASSERT_EQ(parse(o, {"--definition", "d", "--model-name", "m", "--llm-provider", "exchange", "--exchange-dir",
                      KSEARCH_TEST_DATA_DIR}),
            "");
  EXPECT_EQ(joined(validate_run(o)).find("--api-key"), std::string::npos) << joined(validate_run(o));
  EXPECT_EQ(to_json(o)["llm_provider"], "exchange") << to_json(o).dump();

  run_options priced;
  ASSERT_EQ(parse(priced, {"--definition", "d", "--model-name", "no-such-model-anywhere", "--base-url",
                           "http://127.0.0.1:8000/v1", "--max-cost-usd", "5"}),
            "");
  EXPECT_NE(joined(validate_run(priced)).find("--max-cost-usd"), std::string::npos) << joined(validate_run(priced));
}

TEST_F(RunOptions, JsonShowsWhereTheKeyCameFromNeverTheKey) {
  run_options o;
  o.llm.api_key = "sk-secret-should-not-appear";
  const std::string text = to_json(o).dump();
  EXPECT_EQ(text.find("sk-secret-should-not-appear"), std::string::npos);
  EXPECT_NE(text.find("\"api_key_source\":\"--api-key\""), std::string::npos);
  EXPECT_NE(text.find("\"max_opt_rounds\":5"), std::string::npos);
}

TEST_F(RunOptions, EnvironmentFillsWandbAndKernelbenchFlags) {
  ::setenv("WANDB_PROJECT", "proj-from-env", 1);
  ::setenv("KERNELBENCH_ROOT", KSEARCH_TEST_DATA_DIR, 1);
  run_options o;
  ASSERT_EQ(parse(o, {}), "");
  EXPECT_EQ(o.wandb_project, "proj-from-env");
  EXPECT_EQ(o.task.kernelbench_root, KSEARCH_TEST_DATA_DIR);
}

}  // namespace
}  // namespace ksearch::cli
