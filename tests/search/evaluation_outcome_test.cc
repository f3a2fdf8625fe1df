// evaluation_outcome's JSON: one writer, one reader, and records of earlier versions read back.
#include "ksearch/search/evaluation_outcome.h"

#include <cmath>

#include <gtest/gtest.h>

#include "ksearch/common/json.h"
#include "ksearch/search/run_store.h"
#include "support/temp_dir.h"

namespace ksearch::search {
namespace {

using tasks::evaluation_status;

eval::workload_result workload(const std::string& uuid, double latency_ms) {
  return {.uuid = uuid, .max_absolute_error = 1e-3, .latency_ms = latency_ms, .reference_latency_ms = 2 * latency_ms,
          .speedup_factor = 2};
}

TEST(EvaluationOutcome, JsonRoundTripKeepsPhasesWorkloadsAndMetrics) {
  evaluation_outcome e{.status = evaluation_status::passed, .passed = true, .score = 2.0, .score_name = "s",
                       .latency_ms = 0.5, .reference_latency_ms = 1.0, .speedup_factor = 2.0,
                       .mean_vs_baseline_factor = 1.5, .feedback = "fine"};
  e.phases.push_back({"tests", {.status = evaluation_status::passed, .workloads = {workload("t1", -1)}}});
  e.phases.push_back({"benchmarks", {.status = evaluation_status::passed, .compile_ms = 12,
                                     .workloads = {workload("b1", 0.25), workload("b2", 0.75)}}});
  e.phases[1].result.workloads[1].max_relative_error = std::numeric_limits<double>::infinity();
  e.task_metrics = {{"eager_ms", 3.0}, {"suspicious", 0}};

  auto back = evaluation_outcome_from_json(to_json(e), "rec");
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(to_json(*back), to_json(e));
  ASSERT_EQ(back->phases.size(), 2u);
  EXPECT_EQ(back->phases[0].name, "tests");
  EXPECT_EQ(back->phases[1].result.compile_ms, 12);
  const std::vector<eval::workload_result> all = back->workloads();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].uuid, "t1");
  EXPECT_EQ(all[2].uuid, "b2");
  EXPECT_TRUE(std::isinf(all[2].max_relative_error));
  EXPECT_EQ(back->mean_vs_baseline_factor, 1.5);
  EXPECT_EQ(back->task_metrics.at("eager_ms"), 3.0);
}

TEST(EvaluationOutcome, EveryStatusNameReadsBack) {
  for (evaluation_status s : {evaluation_status::passed, evaluation_status::compile_error, evaluation_status::runtime_error,
                              evaluation_status::timeout, evaluation_status::incorrect_shape,
                              evaluation_status::incorrect_numerical, evaluation_status::incorrect_dtype,
                              evaluation_status::compiled, evaluation_status::no_candidate, evaluation_status::llm_error,
                              evaluation_status::harness_error}) {
    auto back = evaluation_outcome_from_json(to_json(outcome_without_evaluation(s, "why")), "rec");
    ASSERT_TRUE(back) << tasks::to_string(s);
    EXPECT_EQ(back->status, s);
    EXPECT_EQ(back->feedback, "why");
  }
}

TEST(EvaluationOutcome, BadStatusOrPhaseIsAnErrorNamingTheField) {
  auto unknown = evaluation_outcome_from_json({{"status", "FINE"}}, "solutions.jsonl:3: evaluation");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().subject, "solutions.jsonl:3: evaluation.status");
  EXPECT_NE(unknown.error().problem.find("FINE"), std::string::npos);
  auto bad_phase = evaluation_outcome_from_json({{"status", "PASSED"}, {"phases", {{{"name", "x"}}}}}, "rec");
  ASSERT_FALSE(bad_phase);
  EXPECT_EQ(bad_phase.error().subject, "rec.phases[0]");
  EXPECT_FALSE(evaluation_outcome_from_json(json::array(), "rec"));
}

// The three shapes of "detail" that records had before evaluation_outcome, as the backends wrote them.
TEST(EvaluationOutcome, RecordsOfEarlierVersionsReadBack) {
  const json flashinfer_workload = {{"workload_uuid", "w1"}, {"status", "PASSED"}, {"log", ""},
                                    {"performance", {{"latency_ms", 0.4}, {"reference_latency_ms", 0.8}}},
                                    {"correctness", {{"max_absolute_error", "NaN"}}}};
  auto flashinfer = evaluation_outcome_from_json(
      {{"status", "PASSED"}, {"passed", true}, {"score", 2.0},
       {"detail", {{"status", "PASSED"}, {"log", ""}, {"compile_ms", 5}, {"workloads", {flashinfer_workload}}}}},
      "rec");
  ASSERT_TRUE(flashinfer) << flashinfer.error().to_string();
  ASSERT_EQ(flashinfer->phases.size(), 1u);
  EXPECT_EQ(flashinfer->phases[0].name, "workloads");
  ASSERT_EQ(flashinfer->workloads().size(), 1u);
  EXPECT_EQ(flashinfer->workloads()[0].latency_ms, 0.4);
  EXPECT_TRUE(std::isnan(flashinfer->workloads()[0].max_absolute_error));

  // GPUMode and KernelBench kept their phases in a JSON object, whose key order is alphabetical.
  const auto phase = [](const char* uuid) {
    return json{{"status", "PASSED"}, {"workloads", {{{"workload_uuid", uuid}, {"status", "PASSED"}}}}};
  };
  auto gpumode = evaluation_outcome_from_json(
      {{"status", "PASSED"}, {"detail", {{"mode", "benchmark"}, {"phases", {{"tests", phase("t")}, {"benchmarks", phase("b")}}},
                                         {"workloads", json::array()}}}},
      "rec");
  ASSERT_TRUE(gpumode) << gpumode.error().to_string();
  ASSERT_EQ(gpumode->phases.size(), 2u);
  EXPECT_EQ(gpumode->phases[0].name, "tests") << "the phases come back in the order they ran";
  EXPECT_EQ(gpumode->workloads()[1].uuid, "b");

  auto kernelbench = evaluation_outcome_from_json(
      {{"status", "PASSED"},
       {"detail", {{"phases", {{"trials", phase("t")}, {"perf", phase("p")}}},
                   {"kernelbench", {{"status", "PASSED"}, {"eager_ms", 2.0}, {"suspicious", true}, {"log", ""}}}}}},
      "rec");
  ASSERT_TRUE(kernelbench) << kernelbench.error().to_string();
  EXPECT_EQ(kernelbench->phases[0].name, "trials");
  EXPECT_EQ(kernelbench->task_metrics.at("eager_ms"), 2.0);
  EXPECT_EQ(kernelbench->task_metrics.at("suspicious"), 1.0);

  auto compile_only = evaluation_outcome_from_json(
      {{"status", "COMPILED"}, {"detail", {{"compile_ms", 7.5}, {"kernels", {"k: 32 registers"}}}}}, "rec");
  ASSERT_TRUE(compile_only) << compile_only.error().to_string();
  ASSERT_EQ(compile_only->phases.size(), 1u);
  EXPECT_EQ(compile_only->phases[0].result.compile_ms, 7.5);

  auto llm_error = evaluation_outcome_from_json({{"status", "LLM_ERROR"}, {"detail", json::object()}}, "rec");
  ASSERT_TRUE(llm_error);
  EXPECT_TRUE(llm_error->phases.empty());
}

// A run folder recorded before evaluation_outcome (tests/data/run-fixture) resumes: its rounds load
// typed, a new round appends in the current format, and both read back together.
TEST(EvaluationOutcome, ARunRecordedBeforeTheTypedRecordResumes) {
  test_support::temp_dir dir;
  const auto run = dir.path() / "run";
  std::filesystem::copy(std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "run-fixture", run,
                        std::filesystem::copy_options::recursive);
  auto store = run_store::open(dir.path(), "run");
  ASSERT_TRUE(store) << store.error().to_string();
  auto before = (*store)->load_rounds();
  ASSERT_TRUE(before) << before.error().to_string();
  ASSERT_EQ(before->records.size(), 12u);
  EXPECT_TRUE(before->warnings.empty());
  const round_record& second = before->records[1];
  EXPECT_EQ(second.evaluation.status, evaluation_status::passed);
  ASSERT_EQ(second.evaluation.workloads().size(), 2u);
  EXPECT_GT(second.evaluation.workloads()[0].latency_ms, 0);
  EXPECT_EQ(before->records[6].evaluation.status, evaluation_status::llm_error);

  round_record next = second;
  next.round = 13;
  ASSERT_TRUE((*store)->append_round(next, second.score()));
  auto after = (*store)->load_rounds();
  ASSERT_TRUE(after) << after.error().to_string();
  ASSERT_EQ(after->records.size(), 13u);
  EXPECT_EQ(to_json(after->records[12].evaluation), to_json(second.evaluation));
}

}  // namespace
}  // namespace ksearch::search
