// Whole searches in-process: the real prompts, the real HTTP provider against a scripted endpoint
// on loopback, the real run store, and a task that scores candidates by a marker in their code
// (the loop logic is what is under test; the evaluator has its own tests).
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "ksearch/llm/exchange_provider.h"
#include "ksearch/llm/provider_factory.h"
#include "ksearch/search/search_loop.h"
#include "ksearch/store/durable_file.h"
#include "support/scripted_llm.h"
#include "support/temp_dir.h"

namespace ksearch::search {
namespace {

using test_support::candidate_reply;
using test_support::llm_call_kind;
using test_support::scripted_llm;

// "// SCORE 1.5" passes with that score; "// FAIL" is a wrong answer; anything else does not compile.
// "// HOLD 300" makes the evaluation take that long [ms]. evaluate() may run on several threads at
// once (--samples-per-round): it counts evaluations, the most at once, and when each started.
class marker_task final : public search_task {
 public:
  std::string name() const override { return "marker_def"; }
  std::string definition_text() const override {
    return "Name: marker_def\nType: test\nAxes:\n  n: variable\nInputs:\n  x: [n] float32\nOutputs:\n  y: [n] float32\n"
           "Reference Implementation:\ndef run(x):\n    return x * 2\n";
  }
  json describe() const override { return {{"backend", "marker"}}; }
  result<evaluation_outcome> evaluate(const tasks::solution& candidate) override {
    const std::string& code = *candidate.source("kernel.cu");
    {
      const std::lock_guard<std::mutex> hold(lock);
      ++evaluations;
      most_at_once = std::max(most_at_once, ++running);
      started.push_back(std::chrono::steady_clock::now());
    }
    if (const std::size_t at = code.find("// HOLD "); at != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(code.c_str() + at + 8)));
    }
    {
      const std::lock_guard<std::mutex> hold(lock);
      --running;
    }
    evaluation_outcome e;
    if (const std::size_t at = code.find("// SCORE "); at != std::string::npos) {
      double score = 0;
      std::from_chars(code.data() + at + 9, code.data() + code.size(), score);
      e.status = tasks::evaluation_status::passed;
      e.passed = true;
      e.score = score;
      e.score_name = "mean_speedup_vs_ref";
      e.speedup_factor = score;
      e.latency_ms = 1.0 / score;
      e.feedback = "workload w1: PASSED";
    } else if (code.find("// COMPILED") != std::string::npos) {
      e.status = tasks::evaluation_status::compiled;
      e.feedback = "compiled for sm_90a and the launch plan is valid; not run (compile-only mode has no GPU)";
    } else if (code.find("// FAIL") != std::string::npos) {
      e.status = tasks::evaluation_status::incorrect_numerical;
      e.feedback = "max_abs_error 3.0 at y[7]";
    } else {
      e.status = tasks::evaluation_status::compile_error;
      e.feedback = "kernel.cu(1): error: expected a declaration";
    }
    return e;
  }
  std::mutex lock;
  int evaluations = 0;
  int running = 0;
  int most_at_once = 0;
  std::vector<std::chrono::steady_clock::time_point> started;
};

std::string kernel(const std::string& marker) {
  return candidate_reply("// " + marker + "\nextern \"C\" __global__ void k(float* y) { y[0] = 1; }",
                         R"json({"steps": [{"kernel": "k", "grid": [1], "block": [1], "args": ["y"]}]})json");
}
std::string passing(double score) { return kernel("SCORE " + std::to_string(score)); }
std::string failing() { return kernel("FAIL"); }
std::string compiled_only() { return kernel("COMPILED"); }

json action_node(const std::string& id, double score, int difficulty) {
  return {{"node_id", id},
          {"parent_id", "root"},
          {"decision", "Mapping"},
          {"choice", id},
          {"overall_rating_0_to_10", 6},
          {"confidence_0_to_1", 0.5},
          {"notes", "SELF_CHECK: exclusive"},
          {"action",
           {{"title", "do " + id}, {"description", "implement " + id}, {"difficulty_1_to_5", difficulty}, {"score_0_to_1", score}}}};
}

// A world model with two root actions ("a" preferred) and a third, blocked one under "a".
std::string init_reply() {
  json blocked = action_node("c", 0.99, 1);
  blocked["parent_id"] = "a";
  const json doc = {{"kernel_summary", "elementwise, memory bound"},
                    {"open_questions", {"vector width?"}},
                    {"decision_tree",
                     {{"root_id", "root"},
                      {"active_leaf_id", "root"},
                      {"nodes",
                       {{{"node_id", "root"}, {"parent_id", nullptr}, {"notes", "analysis"}},
                        action_node("a", 0.9, 2), action_node("b", 0.6, 2), blocked}}}}};
  return "Here is the world model:\n" + doc.dump(1);
}

class SearchLoop : public ::testing::Test {
 protected:
  search_summary run(bool world_model, int max_rounds, int window = 2, int cycle_cap = 10) {
    auto store = run_store::open(dir_.path(), "marker_def");
    EXPECT_TRUE(store.has_value());
    store_ = std::move(*store);
    llm::llm_options options;
    options.max_retries = 1;
    options.max_retry_time_s = 2;
    auto provider = llm::make_llm_provider(options, llm_.base_url(), "", store_->transcript_path());
    EXPECT_TRUE(provider.has_value()) << provider.error().to_string();
    auto prompts = prompt_library::load_bundled();
    EXPECT_TRUE(prompts.has_value()) << prompts.error().to_string();
    llm_session session(**provider, "scripted-model");
    round_runner runner(task_, session, *store_,
                        {.max_rounds = max_rounds, .parallel_evaluations = parallel_evaluations_, .model = "scripted-model"});
    auto rounds = store_->load_rounds();
    runner.restore(*rounds);
    search_settings settings{
        .max_rounds = max_rounds, .samples_per_round = samples_, .stagnation_window = window, .max_cycle_rounds = cycle_cap};
    search_services services{task_, session, *store_, runner, *prompts};
    auto summary = world_model ? run_world_model_search(services, settings) : run_plain_search(services, settings);
    EXPECT_TRUE(summary.has_value()) << summary.error().to_string();
    best_score_ = runner.best_score();
    return summary.value_or(search_summary{});
  }

  std::vector<json> records() const {
    auto contents = store::read_jsonl(store_->dir() / "solutions.jsonl");
    std::vector<json> out;
    for (const auto& r : contents->records) out.push_back(r.value);
    return out;
  }
  std::vector<std::string> node_ids() const {
    std::vector<std::string> ids;
    for (const json& r : records()) ids.push_back(r["node_id"]);
    return ids;
  }
  json world_model() const {
    return json::parse(store::read_file(store_->world_model_path()).value());
  }
  static const json* find_node(const json& wm, const std::string& id) {
    for (const json& n : wm["decision_tree"]["nodes"]) {
      if (n["node_id"] == id) return &n;
    }
    return nullptr;
  }

  test_support::temp_dir dir_;
  scripted_llm llm_;
  marker_task task_;
  std::unique_ptr<run_store> store_;
  std::optional<double> best_score_;
  int samples_ = 1;
  int parallel_evaluations_ = 1;
};

TEST_F(SearchLoop, WorldModelSearchChoosesByScoreAttachesTheCycleBestAndRecordsEveryRound) {
  llm_.add(llm_call_kind::init, init_reply());
  // Cycle on "a": passes at 1.2, then two rounds without improvement end it (window 2).
  llm_.add(llm_call_kind::codegen, passing(1.2));
  llm_.add(llm_call_kind::codegen, passing(1.1));
  llm_.add(llm_call_kind::codegen, failing());
  // The next cycle runs "c" (unblocked by a's solution, score 0.99) with whatever comes next.
  llm_.set_fallback(llm_call_kind::codegen, {passing(1.5)});

  const search_summary summary = run(/*world_model=*/true, /*max_rounds=*/5);
  EXPECT_EQ(summary.last_round, 5);
  EXPECT_FALSE(summary.fatal);
  const std::vector<std::string> ids = node_ids();
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(ids[0], "a");
  EXPECT_EQ(ids[2], "a");
  EXPECT_EQ(ids[3], "c") << "the child of the solved node has the highest score";
  std::set<int> rounds;
  for (const json& r : records()) rounds.insert(r["round"].get<int>());
  EXPECT_EQ(rounds, (std::set<int>{1, 2, 3, 4, 5}));

  const json wm = world_model();
  const json* a = find_node(wm, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*a)["solution_ref"]["solution_id"], records()[0]["solution_id"]) << "the cycle best (round 1) is attached";
  EXPECT_EQ(best_score_, 1.5);
  EXPECT_TRUE(std::filesystem::exists(store_->best_solution_path()));
  EXPECT_EQ(store::read_jsonl(store_->dir() / "metrics.jsonl")->records.size(), 5u);
  // Round 2 was a DEBUG/IMPROVE prompt that still carried the chosen action (K-Search's IMPROVE
  // prompt dropped it).
  const auto prompts = llm_.prompts(llm_call_kind::codegen);
  ASSERT_GE(prompts.size(), 2u);
  EXPECT_NE(prompts[1].find("do a"), std::string::npos);
  // The cycle cap is 10, the run has 5 rounds: the label promises no more than the run gives.
  EXPECT_NE(prompts[1].find("Improve round: 2 of 5"), std::string::npos) << prompts[1];
}

TEST_F(SearchLoop, ACycleOnANodeWithoutASolvedParentStartsFromTheBestCodeSoFar) {
  llm_.add(llm_call_kind::init, init_reply());
  llm_.set_fallback(llm_call_kind::codegen, {passing(1.2)});
  run(/*world_model=*/true, /*max_rounds=*/6);
  // a (rounds 1-3), then c under the solved a (4-5), then b, whose parent (the root) has no
  // solution: its first round builds on the best code so far, not on nothing (issue 21).
  const std::vector<json> r = records();
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0]["prompt_kind"], "spec_action") << "nothing exists yet";
  EXPECT_EQ(r[5]["node_id"], "b");
  EXPECT_EQ(r[5]["prompt_kind"], "action");
  const std::vector<std::string> prompts = llm_.prompts(llm_call_kind::codegen);
  ASSERT_EQ(prompts.size(), 6u);
  EXPECT_NE(prompts[5].find("// SCORE 1.2"), std::string::npos) << "the best code is the base";
}

// --llm-provider exchange with nobody answering in time: the search pauses without recording the
// round; once the reply is written, the resumed search asks the same question, takes that reply
// and records the round as its first (issue 21).
TEST_F(SearchLoop, AnExchangeWithoutAReplyPausesAndTheResumedSearchTakesTheReply) {
  const std::filesystem::path exchange = dir_.path() / "exchange";
  auto search_once = [&]() {
    auto store = run_store::open(dir_.path(), "marker_def");
    EXPECT_TRUE(store.has_value());
    auto provider = llm::exchange_provider::open({exchange, std::chrono::milliseconds(100), std::chrono::milliseconds(10)});
    EXPECT_TRUE(provider.has_value());
    auto prompts = prompt_library::load_bundled();
    llm_session session(**provider, "by-hand");
    round_runner runner(task_, session, **store, {.max_rounds = 2, .model = "by-hand"});
    runner.restore(*(*store)->load_rounds());
    search_services services{task_, session, **store, runner, *prompts};
    auto summary = run_plain_search(services, {.max_rounds = 2});
    EXPECT_TRUE(summary.has_value());
    store_ = std::move(*store);
    return summary.value_or(search_summary{});
  };

  const search_summary paused = search_once();
  EXPECT_FALSE(paused.fatal);
  EXPECT_NE(paused.stop_reason.find("--resume"), std::string::npos) << paused.stop_reason;
  EXPECT_TRUE(records().empty()) << "no round is lost to a reply still to come";
  ASSERT_TRUE(std::filesystem::exists(exchange / "0001.prompt.md"));

  store::write_file_atomic(exchange / "0001.reply.md", passing(1.25)).value();
  const search_summary resumed = search_once();
  const std::vector<json> r = records();
  ASSERT_EQ(r.size(), 1u) << "round 1 took the reply; round 2 paused again";
  EXPECT_EQ(r[0]["round"], 1);
  EXPECT_EQ(r[0]["evaluation"]["status"], "PASSED");
  EXPECT_FALSE(std::filesystem::exists(exchange / "0003.prompt.md")) << "round 1 was asked once, in call 1";
  EXPECT_TRUE(std::filesystem::exists(exchange / "0002.prompt.md"));
  EXPECT_NE(resumed.stop_reason.find("0002"), std::string::npos) << resumed.stop_reason;
}

TEST_F(SearchLoop, EditOpsTheTreeCannotTakeAreReportedBackOnce) {
  llm_.add(llm_call_kind::init, init_reply());
  llm_.set_fallback(llm_call_kind::codegen, {failing()});
  // The too-hard call after a's failed cycle: an op on a node that does not exist, then a clean reply.
  llm_.add(llm_call_kind::edit, R"({"ops": [{"op": "update_node", "node_id": "ghost", "patch": {"notes": "x"}}]})");
  llm_.set_fallback(llm_call_kind::edit, {R"({"ops": []})"});
  run(/*world_model=*/true, /*max_rounds=*/3);
  const std::vector<std::string> edits = llm_.prompts(llm_call_kind::edit);
  ASSERT_GE(edits.size(), 2u);
  EXPECT_EQ(edits[0].find("were applied except"), std::string::npos);
  EXPECT_NE(edits[1].find("were applied except"), std::string::npos) << edits[1];
  EXPECT_NE(edits[1].find("ghost"), std::string::npos) << edits[1];
}

TEST_F(SearchLoop, AnActionThatNeverPassesIsMarkedFailedAndNeverChosenAgain) {
  llm_.add(llm_call_kind::init, init_reply());
  llm_.set_fallback(llm_call_kind::codegen, {failing()});
  run(/*world_model=*/true, /*max_rounds=*/4);
  EXPECT_EQ(node_ids(), (std::vector<std::string>{"a", "a", "b", "b"}));
  const json wm = world_model();
  const json* a = find_node(wm, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*a)["ksearch"]["outcome"], "failed");
  // The too-hard call was made for "a" (the edit prompt names the chosen action).
  bool asked = false;
  for (const std::string& p : llm_.prompts(llm_call_kind::edit)) asked |= p.find("do a") != std::string::npos;
  EXPECT_TRUE(asked);
}

// Compile-only mode (COMPILED, nothing run): the action is not judged, so it is neither marked
// failed nor shown to the model as a failure.
TEST_F(SearchLoop, ACompiledButUnrunCandidateIsNeitherAFailureLogNorAFailedAction) {
  llm_.add(llm_call_kind::init, init_reply());
  llm_.set_fallback(llm_call_kind::codegen, {compiled_only()});
  run(/*world_model=*/true, /*max_rounds=*/4);
  const json wm = world_model();
  const json* a = find_node(wm, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->contains("ksearch") && (*a)["ksearch"].value("outcome", "") == "failed") << a->dump();
  EXPECT_EQ(node_ids(), (std::vector<std::string>{"a", "a", "a", "a"})) << "the open action is tried again";
  // Rounds 2 and 4 are the cycles' second rounds: they show the last attempt as compiled, not failed.
  const std::vector<std::string> prompts = llm_.prompts(llm_call_kind::codegen);
  ASSERT_EQ(prompts.size(), 4u);
  for (std::size_t i : {1u, 3u}) {
    EXPECT_EQ(prompts[i].find("COMPILED: compiled for"), std::string::npos) << "prompt " << i + 1;
    EXPECT_NE(prompts[i].find("not run (compile-only mode has no GPU)"), std::string::npos) << "prompt " << i + 1;
  }
}

TEST_F(SearchLoop, AnUnusableInitReplyStillLeadsToASearchFromTheSpecification) {
  llm_.set_fallback(llm_call_kind::init, {"I cannot produce JSON today, sorry."});
  llm_.set_fallback(llm_call_kind::codegen, {passing(1.0)});
  const search_summary summary = run(/*world_model=*/true, /*max_rounds=*/2);
  EXPECT_EQ(summary.last_round, 2);
  ASSERT_EQ(records().size(), 2u);
  EXPECT_FALSE(node_ids()[0].empty());
  EXPECT_EQ(llm_.prompts(llm_call_kind::init).size(), 3u) << "three attempts, then the fallback";
}

TEST_F(SearchLoop, AResumedSearchStartsAfterTheLastRecordedRoundAndKeepsItsCycle) {
  llm_.add(llm_call_kind::init, init_reply());
  llm_.set_fallback(llm_call_kind::codegen, {passing(1.0)});
  run(/*world_model=*/true, /*max_rounds=*/2, /*window=*/5);
  ASSERT_EQ(records().size(), 2u);
  const std::size_t init_calls = llm_.prompts(llm_call_kind::init).size();

  run(/*world_model=*/true, /*max_rounds=*/4, /*window=*/5);
  std::vector<int> rounds;
  for (const json& r : records()) rounds.push_back(r["round"].get<int>());
  EXPECT_EQ(rounds, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(node_ids(), (std::vector<std::string>{"a", "a", "a", "a"})) << "the running cycle goes on";
  EXPECT_EQ(llm_.prompts(llm_call_kind::init).size(), init_calls) << "the world model is not initialised again";

  // A finished run does nothing more, and says so.
  const search_summary again = run(/*world_model=*/true, /*max_rounds=*/4, /*window=*/5);
  EXPECT_EQ(records().size(), 4u);
  EXPECT_EQ(again.first_round, 0);
}

TEST_F(SearchLoop, AnUnavailableEndpointCostsARoundNotTheRun) {
  llm_.add(llm_call_kind::init, init_reply());
  llm_.add(llm_call_kind::codegen, test_support::scripted_reply{"overloaded", 503});
  llm_.add(llm_call_kind::codegen, test_support::scripted_reply{"overloaded", 503});
  llm_.set_fallback(llm_call_kind::codegen, {passing(1.0)});
  const search_summary summary = run(/*world_model=*/true, /*max_rounds=*/2);
  EXPECT_FALSE(summary.fatal);
  const std::vector<json> r = records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]["evaluation"]["status"], "LLM_ERROR");
  EXPECT_EQ(r[1]["evaluation"]["status"], "PASSED");
}

TEST_F(SearchLoop, AnUnknownModelStopsTheSearchAsFatal) {
  llm_.set_fallback(llm_call_kind::init, {"model not found", 404});
  llm_.set_fallback(llm_call_kind::codegen, {"model not found", 404});
  const search_summary summary = run(/*world_model=*/true, /*max_rounds=*/3);
  EXPECT_TRUE(summary.fatal);
  EXPECT_NE(summary.stop_reason.find("404"), std::string::npos) << summary.stop_reason;
  EXPECT_LE(records().size(), 1u);
}

TEST_F(SearchLoop, UnusableCodegenRepliesAreReAskedWithTheParseError) {
  llm_.add(llm_call_kind::init, init_reply());
  llm_.add(llm_call_kind::codegen, "Sorry, here is prose without code.");
  llm_.add(llm_call_kind::codegen, passing(1.3));
  run(/*world_model=*/true, /*max_rounds=*/1);
  const std::vector<json> r = records();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]["evaluation"]["status"], "PASSED");
  EXPECT_EQ(r[0]["usage"]["calls"], 2);
}

TEST_F(SearchLoop, PlainLoopGeneratesThenOptimisesFromTheLastCode) {
  llm_.add(llm_call_kind::codegen, failing());
  llm_.add(llm_call_kind::codegen, passing(1.1));
  llm_.add(llm_call_kind::codegen, passing(1.4));
  run(/*world_model=*/false, /*max_rounds=*/3);
  const std::vector<json> r = records();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0]["prompt_kind"], "generate");
  EXPECT_EQ(r[1]["prompt_kind"], "optimize");
  EXPECT_EQ(best_score_, 1.4);
  const auto prompts = llm_.prompts(llm_call_kind::codegen);
  ASSERT_EQ(prompts.size(), 3u);
  EXPECT_NE(prompts[1].find("// FAIL"), std::string::npos) << "round 2 shows round 1's code";
  EXPECT_NE(prompts[1].find("max_abs_error 3.0"), std::string::npos) << "and its failure";
}

TEST_F(SearchLoop, AHandEditedStateFileWithoutACycleStartsANewOne) {
  llm_.add(llm_call_kind::init, init_reply());
  llm_.set_fallback(llm_call_kind::codegen, {passing(1.0)});
  run(/*world_model=*/true, /*max_rounds=*/1, /*window=*/5);
  ASSERT_TRUE(store::write_file_atomic(store_->dir() / "state.json", R"({"version": 1, "cycle": 7})").has_value());
  const search_summary summary = run(/*world_model=*/true, /*max_rounds=*/2, /*window=*/5);
  EXPECT_EQ(summary.last_round, 2);
  EXPECT_EQ(records().size(), 2u);
}

TEST_F(SearchLoop, AnIdenticalCandidateIsNotEvaluatedTwice) {
  llm_.set_fallback(llm_call_kind::codegen, {passing(1.2)});
  run(/*world_model=*/false, /*max_rounds=*/3);
  EXPECT_EQ(task_.evaluations, 1);
  const std::vector<json> r = records();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0]["reused_from_round"].is_null());
  EXPECT_EQ(r[2]["reused_from_round"], 1);
  EXPECT_EQ(r[2]["evaluation"]["status"], "PASSED");
  EXPECT_NE(r[2]["evaluation"]["feedback"].get<std::string>().find("identical to the one of round 1"), std::string::npos);
  EXPECT_EQ(best_score_, 1.2);
}

// ---- several candidates per prompt (--samples-per-round) -------------------------------------

std::vector<int> ints_at(const std::vector<json>& records, const char* key) {
  std::vector<int> out;
  for (const json& r : records) out.push_back(r[key].get<int>());
  return out;
}

TEST_F(SearchLoop, SamplesOfOnePromptAreRoundsOfTheirOwnAndTheNextPromptBuildsOnTheirBest) {
  samples_ = 3;
  llm_.add(llm_call_kind::codegen, passing(1.1));
  llm_.add(llm_call_kind::codegen, passing(1.7));
  llm_.add(llm_call_kind::codegen, failing());
  llm_.set_fallback(llm_call_kind::codegen, {passing(1.2)});
  const search_summary summary = run(/*world_model=*/false, /*max_rounds=*/5);
  EXPECT_EQ(summary.last_round, 5);
  const std::vector<json> r = records();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(ints_at(r, "round"), (std::vector<int>{1, 2, 3, 4, 5})) << "numbered in the order recorded";
  EXPECT_EQ(ints_at(r, "prompt_round"), (std::vector<int>{1, 1, 1, 4, 4}));
  EXPECT_EQ(ints_at(r, "samples"), (std::vector<int>{3, 3, 3, 2, 2})) << "the last batch stops at the budget";
  for (const json& record : r) {
    if (!record["solution"].is_null()) {
      EXPECT_TRUE(record["solution"]["name"].get<std::string>().ends_with("_r" + std::to_string(record["round"].get<int>())));
    }
  }
  const auto prompts = llm_.prompts(llm_call_kind::codegen);
  ASSERT_EQ(prompts.size(), 5u);
  EXPECT_EQ(prompts[0], prompts[2]) << "one prompt for the whole batch";
  EXPECT_NE(prompts[3].find("SCORE 1.7"), std::string::npos) << "the second batch shows the first batch's best";
  EXPECT_EQ(prompts[3].find("// FAIL"), std::string::npos);
  EXPECT_EQ(best_score_, 1.7);

  // A resumed run builds on the same candidate: the representative comes from the records.
  run(/*world_model=*/false, /*max_rounds=*/6);
  const auto resumed = llm_.prompts(llm_call_kind::codegen);
  ASSERT_EQ(resumed.size(), 6u);
  EXPECT_NE(resumed[5].find("SCORE 1.2"), std::string::npos);
}

TEST_F(SearchLoop, ACandidateIsEvaluatedWhileTheLlmStillWritesTheOtherSamples) {
  samples_ = 2;
  llm_.add(llm_call_kind::codegen, passing(1.1));
  llm_.add(llm_call_kind::codegen, test_support::scripted_reply{passing(1.3), 200, std::chrono::milliseconds(2000)});
  run(/*world_model=*/false, /*max_rounds=*/2);
  ASSERT_EQ(records().size(), 2u);
  ASSERT_EQ(task_.started.size(), 2u);
  // Waiting for both replies first would start both evaluations after the slow reply, together.
  EXPECT_GT(task_.started[1] - task_.started[0], std::chrono::milliseconds(1000))
      << "the first candidate waited for the second reply";
}

TEST_F(SearchLoop, SamplesAreEvaluatedAtOnceUpToTheParallelEvaluations) {
  samples_ = 3;
  parallel_evaluations_ = 2;
  llm_.add(llm_call_kind::codegen, kernel("SCORE 1.0 // HOLD 400 a"));
  llm_.add(llm_call_kind::codegen, kernel("SCORE 1.0 // HOLD 400 b"));
  llm_.add(llm_call_kind::codegen, kernel("SCORE 1.0 // HOLD 400 c"));
  run(/*world_model=*/false, /*max_rounds=*/3);
  EXPECT_EQ(task_.evaluations, 3);
  EXPECT_EQ(task_.most_at_once, 2) << "two evaluation slots: never more, and both used";
  EXPECT_EQ(records().size(), 3u);
}

TEST_F(SearchLoop, IdenticalSamplesOfABatchAreEvaluatedOnce) {
  samples_ = 3;
  parallel_evaluations_ = 3;
  llm_.set_fallback(llm_call_kind::codegen, {kernel("SCORE 1.4 // HOLD 200")});
  run(/*world_model=*/false, /*max_rounds=*/3);
  EXPECT_EQ(task_.evaluations, 1);
  const std::vector<json> r = records();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0]["reused_from_round"].is_null());
  EXPECT_EQ(r[1]["reused_from_round"], 1);
  EXPECT_EQ(r[2]["reused_from_round"], 1);
  EXPECT_EQ(r[2]["evaluation"]["status"], "PASSED");
}

TEST_F(SearchLoop, WorldModelBatchesStopAtTheCycleCapAndTheBudget) {
  samples_ = 2;
  llm_.add(llm_call_kind::init, init_reply());
  llm_.set_fallback(llm_call_kind::codegen, {failing()});
  const search_summary summary = run(/*world_model=*/true, /*max_rounds=*/4, /*window=*/5, /*cycle_cap=*/3);
  EXPECT_EQ(summary.last_round, 4);
  const std::vector<json> r = records();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(ints_at(r, "prompt_round"), (std::vector<int>{1, 1, 3, 4})) << "3 rounds on a (2 + 1), then b";
  EXPECT_EQ(node_ids(), (std::vector<std::string>{"a", "a", "a", "b"}));
}

TEST_F(SearchLoop, AnUnavailableEndpointCostsOnlyItsSample) {
  samples_ = 2;
  // Each sample tries twice (max_retries 1): both first attempts and the first retry fail.
  for (int i = 0; i < 3; ++i) llm_.add(llm_call_kind::codegen, test_support::scripted_reply{"overloaded", 503});
  llm_.set_fallback(llm_call_kind::codegen, {passing(1.0)});
  const search_summary summary = run(/*world_model=*/false, /*max_rounds=*/2);
  EXPECT_FALSE(summary.fatal);
  std::multiset<std::string> statuses;
  for (const json& r : records()) statuses.insert(r["evaluation"]["status"].get<std::string>());
  EXPECT_EQ(statuses, (std::multiset<std::string>{"LLM_ERROR", "PASSED"}));
}

}  // namespace
}  // namespace ksearch::search
