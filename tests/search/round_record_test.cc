#include "ksearch/search/round_record.h"

#include <gtest/gtest.h>

#include "ksearch/common/json.h"
#include "ksearch/search/round_runner.h"
#include "ksearch/search/run_store.h"
#include "ksearch/store/durable_file.h"
#include "support/temp_dir.h"

namespace ksearch::search {
namespace {

tasks::solution sample_solution(const std::string& name, const std::string& code) {
  return {.name = name, .definition = "d", .author = "m", .description = "", .language = "cuda",
          .sources = {{"kernel.cu", code}, {"launch.json", "{\"steps\":[]}"}}};
}

TEST(RoundRecord, JsonRoundTripKeepsEverything) {
  round_record r;
  r.round = 7;
  r.time = "2026-11-21T10:00:00Z";
  r.node_id = "n3";
  r.cycle_start_round = 5;
  r.prompt_kind = "debug";
  r.solution = sample_solution("s7", "// code");
  r.solution_id = solution_id(*r.solution);
  r.raw_reply = "reply text";
  r.evaluation = {.status = tasks::evaluation_status::passed, .passed = true, .score = 1.25, .score_name = "mean_speedup_vs_ref",
                  .latency_ms = 0.5, .reference_latency_ms = 0.625, .speedup_factor = 1.25, .feedback = "ok"};
  r.evaluation.phases.push_back({"workloads", {.status = tasks::evaluation_status::passed, .workloads = {{.uuid = "w"}}}});
  r.usage = {.calls = 2, .prompt_tokens = 100, .completion_tokens = 40, .reasoning_tokens = 10, .cost_usd = std::nullopt};
  auto back = round_record_from_json(to_json(r), "test");
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(to_json(*back), to_json(r));
  EXPECT_EQ(back->score(), 1.25);
  EXPECT_FALSE(back->usage.cost_usd.has_value()) << "an unknown cost stays unknown";
}

TEST(RoundRecord, TokenCountsTheServerDidNotReportStayUnknown) {
  // The exchange provider reports no usage: its rounds are "? tok" and "$?", never 0.
  round_record r;
  r.round = 2;
  r.prompt_kind = "improve";
  r.usage = {.calls = 1, .prompt_tokens = std::nullopt, .completion_tokens = std::nullopt, .reasoning_tokens = std::nullopt,
             .cost_usd = std::nullopt};
  auto back = round_record_from_json(to_json(r), "test");
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_FALSE(back->usage.prompt_tokens.has_value());
  EXPECT_FALSE(back->usage.completion_tokens.has_value());
  const std::string line = progress_line(*back, 10, std::nullopt);
  EXPECT_NE(line.find("? tok"), std::string::npos) << line;
  EXPECT_NE(line.find("$?"), std::string::npos) << line;
  EXPECT_EQ(line.find(" 0 tok"), std::string::npos) << line;

  r.usage = {.calls = 1, .prompt_tokens = 1500, .completion_tokens = 500, .reasoning_tokens = 0, .cost_usd = 0.002};
  EXPECT_NE(progress_line(r, 10, std::nullopt).find("2.0k tok"), std::string::npos);
}

TEST(RoundRecord, BadRecordsAreErrorsNamingTheField) {
  auto no_round = round_record_from_json({{"kind", "round"}}, "solutions.jsonl:4");
  ASSERT_FALSE(no_round.has_value());
  EXPECT_EQ(no_round.error().subject, "solutions.jsonl:4: round");
  auto bad_kind = round_record_from_json({{"kind", "other"}, {"round", 1}}, "x");
  ASSERT_FALSE(bad_kind.has_value());
  EXPECT_EQ(bad_kind.error().subject, "x: kind");
}

TEST(RoundRecord, SolutionIdFollowsTheCodeNotTheName) {
  EXPECT_EQ(solution_id(sample_solution("a", "k")), solution_id(sample_solution("renamed", "k")));
  EXPECT_NE(solution_id(sample_solution("a", "k")), solution_id(sample_solution("a", "k2")));
}

TEST(RunStore, RoundsComeBackInOrderAndAFailedScoreIsNeverBest) {
  test_support::temp_dir dir;
  auto store = run_store::open(dir.path(), "my def/1");
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ((*store)->dir().filename(), "my_def_1");
  EXPECT_FALSE((*store)->has_previous_run());
  round_record failed;
  failed.round = 1;
  failed.evaluation = {.status = tasks::evaluation_status::incorrect_numerical, .passed = false, .score = 9.0};
  EXPECT_FALSE(failed.score().has_value()) << "a failed round's partial score does not count";
  ASSERT_TRUE((*store)->append_round(failed, std::nullopt).has_value());
  round_record passed;
  passed.round = 2;
  passed.evaluation = {.status = tasks::evaluation_status::passed, .passed = true, .score = 1.1};
  ASSERT_TRUE((*store)->append_round(passed, 1.1).has_value());
  EXPECT_TRUE((*store)->has_previous_run());
  auto rounds = (*store)->load_rounds();
  ASSERT_TRUE(rounds.has_value());
  ASSERT_EQ(rounds->records.size(), 2u);
  EXPECT_EQ(rounds->last_round(), 2);
  EXPECT_TRUE(rounds->warnings.empty());
}

// traces.jsonl lines in FlashInfer Trace form: the full workload object and the environment.
TEST(RunStore, TracesCarryTheWorkloadAndTheEnvironment) {
  test_support::temp_dir dir;
  auto store = run_store::open(dir.path(), "d");
  ASSERT_TRUE(store.has_value());
  const json workload = {{"uuid", "w-1"}, {"axes", {{"rows", 8}}}, {"inputs", {{"alpha", {{"type", "scalar"}, {"value", 2.0}}}}}};
  (*store)->set_trace_context({{"hardware", "NVIDIA H200"}, {"libs", {{"nvrtc", "13.0"}}}}, {{"w-1", workload}});
  round_record r;
  r.round = 1;
  r.solution = sample_solution("cand", "k");
  r.evaluation = {.status = tasks::evaluation_status::passed, .passed = true, .score = 1.0};
  eval::eval_result result;
  result.workloads = {{.uuid = "w-1"}, {.uuid = "w-2"}};
  r.evaluation.phases.push_back({"workloads", result});
  ASSERT_TRUE((*store)->append_round(r, 1.0).has_value());
  const auto traces = ksearch::store::read_jsonl((*store)->dir() / "traces.jsonl").value().records;
  ASSERT_EQ(traces.size(), 2u);
  EXPECT_EQ(traces[0].value["workload"], workload);
  EXPECT_EQ(traces[0].value["evaluation"]["environment"]["hardware"], "NVIDIA H200");
  EXPECT_EQ(traces[0].value["evaluation"].count("workload_uuid"), 0u);
  EXPECT_EQ(traces[1].value["workload"], (json{{"uuid", "w-2"}})) << "an unknown workload keeps its uuid";
}

TEST(RunStore, SessionsAccumulateInRunJson) {
  test_support::temp_dir dir;
  auto store = run_store::open(dir.path(), "d");
  ASSERT_TRUE(store.has_value());
  ASSERT_TRUE((*store)->record_session({{"ksearch", "x"}}, {{"n", 1}}).has_value());
  ASSERT_TRUE((*store)->record_session({{"ksearch", "ignored"}}, {{"n", 2}}).has_value());
  auto doc = json::parse(ksearch::store::read_file((*store)->dir() / "run.json").value());
  EXPECT_EQ(doc["ksearch"], "x");
  ASSERT_EQ(doc["sessions"].size(), 2u);
  EXPECT_EQ(doc["sessions"][1]["n"], 2);
}

}  // namespace
}  // namespace ksearch::search
