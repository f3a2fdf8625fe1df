// Loading a run folder: the hand-made fixture (tests/data/run-fixture: 12 world-model rounds of
// scale_add_d256), and the damage a killed or half-copied run shows (torn lines, missing files).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "ksearch/common/json.h"
#include "ksearch/report/run_data.h"
#include "ksearch/store/durable_file.h"
#include "support/temp_dir.h"

namespace ksearch::report {
namespace {

namespace fs = std::filesystem;
const fs::path fixture = fs::path(KSEARCH_TEST_DATA_DIR) / "run-fixture";

// A writable copy of the fixture (tests must not touch tests/data).
fs::path copy_fixture(const test_support::temp_dir& dir) {
  const fs::path run = dir.path() / "run";
  fs::copy(fixture, run, fs::copy_options::recursive);
  return run;
}

std::string read(const fs::path& file) {
  std::stringstream s;
  s << std::ifstream(file).rdbuf();
  return s.str();
}

// The fixture's lines, independently of the loader: round, status and score per line.
struct expected_round {
  int round;
  std::string status;
  std::optional<double> score;
};
std::vector<expected_round> expected_rounds() {
  std::vector<expected_round> out;
  std::ifstream in(fixture / "solutions.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    const auto doc = json::parse(line);
    const auto& e = doc["evaluation"];
    out.push_back({doc["round"].get<int>(), e["status"].get<std::string>(),
                   e["passed"].get<bool>() ? std::optional<double>(e["score"].get<double>()) : std::nullopt});
  }
  return out;
}

TEST(RunData, LoadsEveryRoundOfTheFixture) {
  auto run = load_run(fixture);
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_TRUE(run->warnings.empty()) << run->warnings.front();
  const auto expected = expected_rounds();
  ASSERT_EQ(run->rounds.size(), expected.size());
  ASSERT_GE(expected.size(), 10u);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(run->rounds[i].round, expected[i].round);
    EXPECT_EQ(tasks::to_string(run->rounds[i].status), expected[i].status) << "round " << expected[i].round;
    EXPECT_EQ(run->rounds[i].score, expected[i].score) << "round " << expected[i].round;
    EXPECT_EQ(run->rounds[i].line, i + 1);
  }
  EXPECT_EQ(run->last_round(), expected.back().round);

  // The mix the fixture was made for.
  const round_row& llm_error = run->rounds[6];
  EXPECT_EQ(llm_error.status, tasks::evaluation_status::llm_error);
  EXPECT_TRUE(llm_error.solution_id.empty());
  EXPECT_NE(llm_error.feedback.find("HTTP 503"), std::string::npos);
  EXPECT_EQ(run->rounds[4].reused_from_round, 3);
  EXPECT_EQ(run->rounds[0].node_id, "n1");
  EXPECT_EQ(run->rounds[0].prompt_kind, "action");
}

TEST(RunData, BestSoFarIsTheRunningMaximumOfPassedScores) {
  auto run = load_run(fixture);
  ASSERT_TRUE(run) << run.error().to_string();
  std::optional<double> best;
  for (const round_row& r : run->rounds) {
    if (r.score && (!best || *r.score > *best)) best = r.score;
    EXPECT_EQ(r.best_score, best) << "round " << r.round;
    if (r.passed) {
      ASSERT_TRUE(r.latency_ms) << "round " << r.round;
      EXPECT_GT(*r.latency_ms, 0);
    } else {
      EXPECT_FALSE(r.score) << "a failed round has no score";
    }
  }
}

TEST(RunData, TheBestCandidateComesWithItsCodeAndWorkloads) {
  auto run = load_run(fixture);
  ASSERT_TRUE(run) << run.error().to_string();
  ASSERT_TRUE(run->best);
  // Found independently: the highest passed score, the earliest on ties.
  int best_round = 0;
  double best_score = -1;
  for (const expected_round& r : expected_rounds()) {
    if (r.score && *r.score > best_score) {
      best_score = *r.score;
      best_round = r.round;
    }
  }
  EXPECT_EQ(run->best->round, best_round);
  EXPECT_DOUBLE_EQ(run->best->score.value_or(0), best_score);
  EXPECT_EQ(run->best->score_name, "mean_speedup_vs_ref");
  EXPECT_EQ(run->best->node_id, "node_scale_add_d256_r5_1");

  // Its sources are the ones best_solution.json holds (the search wrote both).
  const auto best_file = json::parse(read(fixture / "best_solution.json"));
  EXPECT_EQ(run->best->kernel_cu, best_file["sources"][0]["content"].get<std::string>());
  EXPECT_EQ(run->best->launch_json, best_file["sources"][1]["content"].get<std::string>());
  EXPECT_EQ(run->best->solution_name, best_file["name"].get<std::string>());

  ASSERT_EQ(run->best->workloads.size(), 2u);
  const workload_row& w = run->best->workloads[1];
  EXPECT_EQ(w.uuid, "test-0002");
  EXPECT_EQ(w.status, tasks::evaluation_status::passed);
  ASSERT_TRUE(w.latency_ms && w.reference_latency_ms && w.speedup_factor);
  EXPECT_NEAR(*w.speedup_factor, *w.reference_latency_ms / *w.latency_ms, 1e-3);
  EXPECT_EQ(w.samples, 1300);
}

TEST(RunData, CountsStatusesAndUsage) {
  auto run = load_run(fixture);
  ASSERT_TRUE(run) << run.error().to_string();
  const auto counts = run->status_counts();
  ASSERT_EQ(counts.size(), 4u);
  EXPECT_EQ(counts[0].status, tasks::evaluation_status::passed);  // always first
  int total = 0;
  for (const status_count& c : counts) {
    total += c.rounds;
    EXPECT_EQ(c.round_numbers.size(), static_cast<std::size_t>(c.rounds));
    for (const int r : c.round_numbers) EXPECT_EQ(run->rounds[r - 1].status, c.status);
  }
  EXPECT_EQ(total, 12);
  EXPECT_EQ(counts[0].rounds, 7);
  EXPECT_EQ(counts.back().status, tasks::evaluation_status::llm_error);

  const usage_totals usage = run->round_usage();
  long prompt = 0;
  double cost = 0;
  for (const round_row& r : run->rounds) {
    ASSERT_TRUE(r.prompt_tokens) << "round " << r.round;
    prompt += *r.prompt_tokens;
    cost += r.cost_usd.value_or(0);
  }
  EXPECT_EQ(usage.prompt_tokens, prompt);
  ASSERT_TRUE(usage.cost_usd);
  EXPECT_NEAR(*usage.cost_usd, cost, 1e-12);
  EXPECT_GT(prompt, 0);

  // The transcript adds the world model's calls, which no round pays for.
  ASSERT_FALSE(run->llm_usage.empty());
  EXPECT_EQ(run->llm_usage.front().purpose, "wm_init");
  int codegen_calls = 0, codegen_failed = 0;
  for (const llm_purpose_usage& u : run->llm_usage) {
    if (u.purpose == "codegen") {
      codegen_calls = u.calls;
      codegen_failed = u.failed;
    }
  }
  EXPECT_EQ(codegen_calls, usage.calls);
  EXPECT_EQ(codegen_failed, 1);  // round 7's LLM_ERROR
}

TEST(RunData, ReadsWhatRanAndHowItStopped) {
  auto run = load_run(fixture);
  ASSERT_TRUE(run) << run.error().to_string();
  const run_info& info = run->info;
  EXPECT_EQ(info.definition, "scale_add_d256");
  EXPECT_EQ(info.backend, "flashinfer");
  EXPECT_EQ(info.model, "gpt-5.2");
  EXPECT_EQ(info.target_gpu, "H100");
  EXPECT_EQ(info.world_model, true);
  EXPECT_EQ(info.max_rounds, 12);
  EXPECT_EQ(info.sessions, 2);
  EXPECT_EQ(info.workloads, (std::vector<std::string>{"test-0001", "test-0002"}));
  EXPECT_EQ(info.cycle_phase, "running");
  EXPECT_EQ(run->stop_summary(), "round budget spent (12 of 12 rounds); the cycle on node_scale_add_d256_r11_2 was still running");

  ASSERT_TRUE(run->world_model);
  EXPECT_EQ(run->world_model->nodes.size(), 8u);
  EXPECT_EQ(run->world_model->active_leaf_id, "node_scale_add_d256_r11_2");
}

TEST(RunData, ATornLastLineIsAWarningNotAnError) {
  test_support::temp_dir dir;
  const fs::path run_dir = copy_fixture(dir);
  {
    std::ofstream append(run_dir / "solutions.jsonl", std::ios::app);
    append << R"({"kind":"round","round":13,"time":"2026-11-21T10:01:00Z","node_id":"n)";  // killed mid-write
  }
  auto run = load_run(run_dir);
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_EQ(run->rounds.size(), 12u);
  EXPECT_EQ(run->last_round(), 12);
  ASSERT_EQ(run->warnings.size(), 1u);
  EXPECT_NE(run->warnings[0].find("solutions.jsonl:13"), std::string::npos) << run->warnings[0];
  ASSERT_TRUE(run->best);
  EXPECT_EQ(run->best->round, 9);
}

TEST(RunData, TheDeviceComesFromTheLatestSession) {
  test_support::temp_dir dir;
  const fs::path run_dir = copy_fixture(dir);
  auto doc = json::parse(store::read_file(run_dir / "run.json").value());
  doc["sessions"].back()["gpu"] = {{"name", "NVIDIA H200"}, {"compute_capability", "9.0"}};
  ASSERT_TRUE(store::write_file_atomic(run_dir / "run.json", doc.dump()).has_value());
  auto run = load_run(run_dir);
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_EQ(run->info.gpu, "NVIDIA H200");
}

TEST(RunData, ARecordWithoutARoundIsSkippedWithItsLine) {
  test_support::temp_dir dir;
  const fs::path run_dir = copy_fixture(dir);
  {
    std::ofstream append(run_dir / "solutions.jsonl", std::ios::app);
    append << R"({"kind":"round","evaluation":{"status":"PASSED","passed":true,"score":99}})" << "\n[1,2]\n";
  }
  auto run = load_run(run_dir);
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_EQ(run->rounds.size(), 12u);
  ASSERT_EQ(run->warnings.size(), 2u);
  EXPECT_NE(run->warnings[0].find("solutions.jsonl:13: round: must be a non-negative integer"), std::string::npos)
      << run->warnings[0];
  EXPECT_NE(run->warnings[1].find("solutions.jsonl:14: a round record must be a JSON object"), std::string::npos)
      << run->warnings[1];
  EXPECT_EQ(run->best->round, 9);  // the score 99 without a round was not taken
}

TEST(RunData, MissingOptionalFilesAreWarnings) {
  test_support::temp_dir dir;
  const fs::path run_dir = copy_fixture(dir);
  fs::remove(run_dir / "run.json");
  fs::remove(run_dir / "world_model.json");
  fs::remove(run_dir / "transcript.jsonl");
  fs::remove(run_dir / "state.json");
  auto run = load_run(run_dir);
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_EQ(run->rounds.size(), 12u);
  EXPECT_FALSE(run->world_model);
  EXPECT_TRUE(run->llm_usage.empty());
  EXPECT_TRUE(run->info.model.empty());
  ASSERT_EQ(run->warnings.size(), 2u);
  EXPECT_NE(run->warnings[0].find("run.json: missing"), std::string::npos) << run->warnings[0];
  // Without run.json the rounds' node ids still say it was a world-model run.
  EXPECT_NE(run->warnings[1].find("world_model.json: missing"), std::string::npos) << run->warnings[1];
  EXPECT_EQ(run->stop_summary(), "stopped after round 12; resumable with --resume");
}

TEST(RunData, BrokenOptionalFilesAreWarnings) {
  test_support::temp_dir dir;
  const fs::path run_dir = copy_fixture(dir);
  std::ofstream(run_dir / "world_model.json") << "{\"decision_tree\": ";
  auto run = load_run(run_dir);
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_FALSE(run->world_model);
  ASSERT_EQ(run->warnings.size(), 1u);
  EXPECT_NE(run->warnings[0].find("world_model.json: not valid JSON"), std::string::npos) << run->warnings[0];
}

TEST(RunData, AFolderWithoutSolutionsIsAnErrorNamingThePath) {
  test_support::temp_dir dir;
  auto empty = load_run(dir.path());
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().subject, (dir.path() / "solutions.jsonl").string());
  EXPECT_NE(empty.error().problem.find("not a run folder"), std::string::npos);

  // Pointing at --artifacts-dir instead of the run folder inside it: the fix names the folder.
  const fs::path run_dir = copy_fixture(dir);
  auto parent = load_run(dir.path());
  ASSERT_FALSE(parent);
  EXPECT_NE(parent.error().fix.find(run_dir.string()), std::string::npos) << parent.error().to_string();

  auto missing = load_run(dir.path() / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().subject, (dir.path() / "nope").string());
  auto file = load_run(run_dir / "run.json");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().problem, "not a folder");
}

TEST(RunData, SeedsAndTiesFollowTheSearchsRules) {
  test_support::temp_dir dir;
  auto line = [](const std::string& kind, int round, const std::string& status, std::optional<double> score) {
    json doc = {{"kind", kind}, {"round", round}, {"node_id", ""}, {"prompt_kind", kind == "seed" ? "seed" : "optimize"},
                          {"evaluation", {{"status", status}, {"passed", score.has_value()},
                                          {"score", score ? json(*score) : json(nullptr)},
                                          {"latency_ms", "NaN"},
                                          // The evaluator's result as records before evaluation_outcome kept it.
                                          {"detail", {{"status", status},
                                                      {"workloads", {{{"workload_uuid", "w1"}, {"status", status},
                                                                      {"performance", {{"latency_ms", 0.5}}},
                                                                      {"correctness", {{"max_absolute_error", "Infinity"}}}}}}}}}},
                          {"usage", {{"calls", 1}, {"prompt_tokens", 10}, {"cost_usd", nullptr}}}};
    return doc.dump() + "\n";
  };
  dir.write("run/solutions.jsonl", line("seed", 0, "PASSED", 5.0) + line("round", 1, "PASSED", 2.0) +
                                       line("round", 2, "RUNTIME_ERROR", std::nullopt) + line("round", 3, "PASSED", 2.0));
  auto run = load_run(dir.path() / "run");
  ASSERT_TRUE(run) << run.error().to_string();
  ASSERT_TRUE(run->best);
  EXPECT_EQ(run->best->round, 1) << "a seed never counts, a tie keeps the earliest";
  EXPECT_FALSE(run->rounds[0].best_score);
  EXPECT_EQ(run->rounds[3].best_score, 2.0);
  // A record's untyped detail of an older version is read; "Infinity" is a number, not a missing value.
  ASSERT_EQ(run->best->workloads.size(), 1u);
  EXPECT_EQ(run->best->workloads[0].uuid, "w1");
  EXPECT_EQ(run->best->workloads[0].latency_ms, 0.5);
  ASSERT_TRUE(run->best->workloads[0].max_absolute_error);
  EXPECT_TRUE(std::isinf(*run->best->workloads[0].max_absolute_error));
  // A NaN latency is no latency; an unpriced round makes the total unknown, not zero.
  EXPECT_FALSE(run->rounds[1].latency_ms);
  EXPECT_FALSE(run->round_usage().cost_usd);
  EXPECT_EQ(run->round_usage().prompt_tokens, 40);
  EXPECT_FALSE(run->round_usage().completion_tokens) << "no record reported completion tokens: unknown, not 0";
  // No run.json: a warning; no node ids and no world model: none expected, none asked for.
  ASSERT_EQ(run->warnings.size(), 1u);
  EXPECT_NE(run->warnings[0].find("run.json"), std::string::npos);
}

}  // namespace
}  // namespace ksearch::report
