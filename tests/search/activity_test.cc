// What the search reports as its long steps (search/activity.h): a round's LLM calls and its
// evaluation, and the world model's own calls, each begun and ended in order. The real HTTP
// provider talks to a scripted endpoint on loopback; the task is a stub.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ksearch/llm/provider_factory.h"
#include "ksearch/search/search_loop.h"
#include "support/scripted_llm.h"
#include "support/temp_dir.h"

namespace ksearch::search {
namespace {

using test_support::llm_call_kind;
using test_support::scripted_llm;

// Keeps every call as "begin <what>", "detail <text>" or "end" (detail() comes from evaluation threads).
class recording_observer final : public activity_observer {
 public:
  void begin(std::string_view what) override { add("begin " + std::string(what)); }
  void detail(std::string_view text) override { add("detail " + std::string(text)); }
  void end() override { add("end"); }
  std::vector<std::string> events;

 private:
  void add(std::string event) {
    const std::lock_guard<std::mutex> hold(lock_);
    events.push_back(std::move(event));
  }
  std::mutex lock_;
};

// Passes every candidate, reporting one workload as the flashinfer task's worker would.
class stub_task final : public search_task {
 public:
  explicit stub_task(activity_observer& activity) : activity_(activity) {}
  std::string name() const override { return "stub_def"; }
  std::string definition_text() const override {
    return "Name: stub_def\nType: test\nAxes:\n  n: variable\nInputs:\n  x: [n] float32\nOutputs:\n  y: [n] float32\n";
  }
  json describe() const override { return {{"backend", "stub"}}; }
  result<evaluation_outcome> evaluate(const tasks::solution&) override {
    activity_.detail("workload 1/1 w1");
    evaluation_outcome e;
    e.status = tasks::evaluation_status::passed;
    e.passed = true;
    e.score = 1.0;
    e.score_name = "mean_speedup_vs_ref";
    return e;
  }

 private:
  activity_observer& activity_;
};

std::string good_reply() {
  return test_support::candidate_reply("extern \"C\" __global__ void k(float* y) { y[0] = 1; }",
                                       R"json({"steps": [{"kernel": "k", "grid": [1], "block": [1], "args": ["y"]}]})json");
}

class Activity : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = run_store::open(dir_.path(), "stub_def");
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    store_ = std::move(*store);
    llm::llm_options options;
    options.max_retries = 0;
    auto provider = llm::make_llm_provider(options, llm_.base_url(), "", store_->transcript_path());
    ASSERT_TRUE(provider.has_value()) << provider.error().to_string();
    provider_ = std::move(*provider);
  }

  test_support::temp_dir dir_;
  scripted_llm llm_;
  recording_observer observer_;
  stub_task task_{observer_};
  std::unique_ptr<run_store> store_;
  std::unique_ptr<llm::metered_provider> provider_;
};

TEST_F(Activity, ARoundReportsEachLlmReplyAndTheEvaluationInOrder) {
  llm_.add(llm_call_kind::codegen, "Prose without code.");  // re-asked once
  llm_.add(llm_call_kind::codegen, good_reply());
  llm_session session(*provider_, "scripted-model");
  round_runner runner(task_, session, *store_, {.max_rounds = 1, .model = "scripted-model", .activity = &observer_});

  auto outcome = runner.run({.round = 1, .node_id = "", .cycle_start_round = 0, .prompt_kind = "generate",
                             .prompt = "Write a kernel."});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().to_string();
  EXPECT_EQ(outcome->records.front().evaluation.status, tasks::evaluation_status::passed);
  EXPECT_EQ(observer_.events, (std::vector<std::string>{"begin round 1: waiting for the LLM (generate)", "end",
                                                        "begin round 1: waiting for the LLM (generate, reply 2/3)", "end",
                                                        "begin round 1: evaluating", "detail workload 1/1 w1", "end"}));
}

TEST_F(Activity, ABatchOfSamplesIsOneStepThatCountsWhatItWaitsFor) {
  llm_.set_fallback(llm_call_kind::codegen, {good_reply()});
  llm_session session(*provider_, "scripted-model");
  round_runner runner(task_, session, *store_, {.max_rounds = 3, .model = "scripted-model", .activity = &observer_});
  auto outcome = runner.run({.round = 1, .samples = 3, .node_id = "", .cycle_start_round = 0, .prompt_kind = "generate",
                             .prompt = "Write a kernel."});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().to_string();
  ASSERT_EQ(outcome->records.size(), 3u);
  ASSERT_FALSE(observer_.events.empty());
  EXPECT_EQ(observer_.events.front(), "begin rounds 1-3: 3 waiting for the LLM (generate)");
  EXPECT_EQ(observer_.events.back(), "end");
  int begins = 0, ends = 0;
  for (const std::string& e : observer_.events) {
    begins += e.starts_with("begin ");
    ends += e == "end";
  }
  EXPECT_EQ(begins, ends) << "every step is closed";
}

TEST_F(Activity, AFailedLlmCallStillEndsItsStep) {
  llm_.set_fallback(llm_call_kind::codegen, {"overloaded", 503});
  llm_session session(*provider_, "scripted-model");
  round_runner runner(task_, session, *store_, {.max_rounds = 1, .model = "scripted-model", .activity = &observer_});
  auto outcome = runner.run({.round = 4, .node_id = "n1", .cycle_start_round = 4, .prompt_kind = "debug", .prompt = "Fix it."});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().to_string();
  EXPECT_EQ(outcome->records.front().evaluation.status, tasks::evaluation_status::llm_error);
  EXPECT_EQ(observer_.events, (std::vector<std::string>{"begin round 4: waiting for the LLM (debug)", "end"}));
}

TEST_F(Activity, TheWorldModelSearchReportsItsOwnCallsAsSteps) {
  llm_.set_fallback(llm_call_kind::codegen, {good_reply()});
  llm_session session(*provider_, "scripted-model");
  round_runner runner(task_, session, *store_, {.max_rounds = 1, .model = "scripted-model", .activity = &observer_});
  auto prompts = prompt_library::load_bundled();
  ASSERT_TRUE(prompts.has_value()) << prompts.error().to_string();
  search_services services{task_, session, *store_, runner, *prompts};
  auto summary = run_world_model_search(services, {.max_rounds = 1});
  ASSERT_TRUE(summary.has_value()) << summary.error().to_string();

  const std::vector<std::string>& events = observer_.events;
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front(), "begin world model: waiting for the LLM (wm_init)");
  // Steps never nest: each begin is closed before the next one.
  bool open = false;
  for (const std::string& e : events) {
    if (e.starts_with("begin ")) {
      EXPECT_FALSE(open) << e;
      open = true;
    } else if (e == "end") {
      EXPECT_TRUE(open);
      open = false;
    }
  }
  EXPECT_FALSE(open);
  EXPECT_NE(std::find(events.begin(), events.end(), "begin round 1: evaluating"), events.end());
  EXPECT_NE(std::find_if(events.begin(), events.end(),
                         [](const std::string& e) { return e.starts_with("begin round 1: waiting for the LLM ("); }),
            events.end());
}

}  // namespace
}  // namespace ksearch::search
