#include "ksearch/search/flashinfer_task.h"

#include <gtest/gtest.h>

#include <chrono>

#include "ksearch/search/baseline.h"
#include "ksearch/tasks/dataset_scan.h"
#include "ksearch/tasks/solution.h"
#include "support/temp_dir.h"

namespace ksearch::search {
namespace {

const std::string mini = std::string(KSEARCH_TEST_DATA_DIR) + "/flashinfer-mini";

flashinfer_task_options compile_only() {
  flashinfer_task_options o;
  o.dataset_root = mini;
  o.definition = "scale_add_d256";
  o.compile_only = true;
  return o;
}

tasks::solution candidate(const std::string& kernel, const std::string& plan) {
  return {.name = "c", .definition = "scale_add_d256", .author = "t", .description = "", .language = "cuda",
          .sources = {{"kernel.cu", kernel}, {"launch.json", plan}}};
}

TEST(FlashinferTask, Fp8MoeDefinitionsNeedNinetyFivePercentMatched) {
  EXPECT_EQ(required_matched_ratio("moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048"), 0.95);
  EXPECT_EQ(required_matched_ratio("gqa_paged_decode_h32_kv8_d128_ps1"), 1.0);
}

TEST(FlashinferTask, DescribesItsDeterministicWorkloadsAndReference) {
  auto task = make_flashinfer_task(compile_only());
  ASSERT_TRUE(task.has_value()) << task.error().to_string();
  const json d = (*task)->describe();
  EXPECT_EQ(d["reference_solution"], "scale_add_reference");
  EXPECT_EQ(d["workloads"], (json{"test-0001", "test-0002"}));
  EXPECT_EQ(d["mode"], "compile-only");
  EXPECT_NE((*task)->definition_text().find("Reference Implementation:"), std::string::npos);

  flashinfer_task_options one = compile_only();
  one.max_workloads = 1;
  EXPECT_EQ((*make_flashinfer_task(one))->describe()["workloads"].size(), 1u);
}

TEST(FlashinferTask, BadSelectionsAreErrorsNamingTheFlag) {
  flashinfer_task_options o = compile_only();
  o.workload_uuids = {"no-such-uuid"};
  auto unknown = make_flashinfer_task(o);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().subject, "--feedback-workloads no-such-uuid");

  o = compile_only();
  o.reference_solution = "missing";
  auto no_reference = make_flashinfer_task(o);
  ASSERT_FALSE(no_reference.has_value());
  EXPECT_EQ(no_reference.error().subject, "--reference-solution missing");
  EXPECT_NE(no_reference.error().fix.find("scale_add_vec4"), std::string::npos) << no_reference.error().to_string();
}

TEST(FlashinferTask, TheReferenceIsTheNativeSolutionElseThePythonOracle) {
  auto entry = tasks::load_dataset_definition(mini, "scale_add_d256");
  ASSERT_TRUE(entry.has_value());
  auto native = choose_reference(mini, entry->def, "");
  ASSERT_TRUE(native.has_value()) << native.error().to_string();
  ASSERT_TRUE(native->native.has_value());
  EXPECT_EQ(native->native->name, "scale_add_reference");
  EXPECT_FALSE(native->oracle.has_value());

  auto named = choose_reference(mini, entry->def, "scale_add_vec4");
  ASSERT_TRUE(named.has_value());
  EXPECT_EQ(named->native->name, "scale_add_vec4");

  auto oracle = choose_reference(mini, entry->def, "oracle");
  ASSERT_TRUE(oracle.has_value()) << oracle.error().to_string();
  ASSERT_TRUE(oracle->oracle.has_value());
  EXPECT_TRUE(oracle->oracle->script.ends_with("tasks/oracle/oracle_server.py")) << oracle->oracle->script;
  EXPECT_NE(oracle->describe().find("oracle"), std::string::npos);

  // A dataset with the definition but no solutions falls back to the oracle...
  test_support::temp_dir bare;
  std::filesystem::create_directories(bare.path() / "definitions");
  std::filesystem::copy(std::filesystem::path(mini) / "definitions" / "elementwise" / "scale_add_d256.json",
                        bare.path() / "definitions" / "scale_add_d256.json");
  auto fallback = choose_reference(bare.path(), entry->def, "");
  ASSERT_TRUE(fallback.has_value()) << fallback.error().to_string();
  EXPECT_TRUE(fallback->oracle.has_value());
  // ...unless the definition has no Python reference either.
  tasks::definition no_python = entry->def;
  no_python.reference.clear();
  auto nothing = choose_reference(bare.path(), no_python, "");
  ASSERT_FALSE(nothing.has_value());
  EXPECT_NE(nothing.error().fix.find("--reference-solution"), std::string::npos) << nothing.error().to_string();
}

TEST(FlashinferTask, TheBundledDatasetGivesKSearchFeedbackWorkloadsNotesAndItsNativeReference) {
  flashinfer_task_options o;
  o.dataset_root = std::filesystem::path(KSEARCH_SOURCE_DIR) / "tasks" / "flashinfer";
  o.definition = "mla_paged_prefill_causal_h16_ckv512_kpe64_ps1";
  o.compile_only = true;
  auto task = make_flashinfer_task(o);
  ASSERT_TRUE(task.has_value()) << task.error().to_string();
  const json d = (*task)->describe();
  ASSERT_EQ(d["workloads"].size(), 8u) << "K-Search's prefill feedback set: the first 8 lines";
  EXPECT_EQ(d["workloads"][0], "55b51e96-eecc-4dc9-814a-0f1301b2951e");
  EXPECT_EQ(d["reference_solution"], "mla_paged_prefill_causal_h16_ckv512_kpe64_ps1_reference");
  EXPECT_NE((*task)->definition_text().find("Notes for this definition"), std::string::npos);
  EXPECT_NE((*task)->definition_text().find("bottom right"), std::string::npos);
  // The rules it is judged by, and the feedback workloads' sizes (issue 21).
  const std::string text = (*task)->definition_text();
  for (const char* expected :
       {"## How this candidate is judged", "|out - ref| > 0.01 and |out - ref| / |ref| > 0.01",
        "every element must pass", "3 input sets per workload (different seeds)", "CUPTI GPU timestamps",
        "55b51e96-eecc-4dc9-814a-0f1301b2951e: ", "sequence lengths within a batch are uneven"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing '" << expected << "' in\n" << text.substr(text.find("## How"));
  }

  o.definition = "moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048";
  auto moe = make_flashinfer_task(o);
  ASSERT_TRUE(moe.has_value()) << moe.error().to_string();
  const std::string moe_text = (*moe)->definition_text();
  EXPECT_NE(moe_text.find("at least 95% of each output's elements must pass"), std::string::npos);
  EXPECT_NE(moe_text.find("seq_len="), std::string::npos);
  EXPECT_NE(moe_text.find("routed_scaling_factor=2.5"), std::string::npos);
  o.definition = "mla_paged_prefill_causal_h16_ckv512_kpe64_ps1";

  o.dataset_feedback_defaults = false;  // --num-eval-workload given: the first N instead
  o.max_workloads = 3;
  EXPECT_EQ((*make_flashinfer_task(o))->describe()["workloads"].size(), 3u);
}

TEST(FlashinferTask, BaselineLatenciesComeFromPassedTracesOnTheSameGpu) {
  test_support::temp_dir root;
  auto trace = [](const std::string& uuid, const std::string& solution, const std::string& status,
                  const std::string& gpu, double latency) {
    return json{{"definition", "scale_add_d256"},
                          {"workload", {{"uuid", uuid}, {"axes", json::object()}, {"inputs", json::object()}}},
                          {"solution", solution},
                          {"evaluation", {{"status", status},
                                          {"environment", {{"hardware", gpu}}},
                                          {"performance", {{"latency_ms", latency}}}}}}
        .dump();
  };
  root.write("traces/elementwise/scale_add_d256.jsonl",
             trace("test-0001", "fast", "PASSED", "NVIDIA H100 80GB HBM3", 0.5) + "\n" +
                 trace("test-0001", "fast", "PASSED", "NVIDIA H100 80GB HBM3", 0.4) + "\n" +   // the minimum wins
                 trace("test-0001", "fast", "INCORRECT_NUMERICAL", "NVIDIA H100 80GB HBM3", 0.1) + "\n" +
                 trace("test-0001", "fast", "PASSED", "NVIDIA B200", 0.2) + "\n" +            // another GPU
                 trace("test-0002", "other", "PASSED", "NVIDIA H100 80GB HBM3", 0.3) + "\n" +  // another solution
                 "not json\n");
  const baseline_latencies b = baseline_from_traces(root.path(), "scale_add_d256", "fast", "nvidia h100 80gb hbm3");
  ASSERT_EQ(b.latency_ms.size(), 1u);
  EXPECT_DOUBLE_EQ(b.latency_ms.at("test-0001"), 0.4);
  EXPECT_NE(b.source.find("traces"), std::string::npos);

  auto entry = tasks::load_dataset_definition(mini, "scale_add_d256");
  ASSERT_TRUE(entry.has_value());
  EXPECT_FALSE(b.covers(entry->workloads));
  const std::string targets = baseline_targets_text(b, entry->workloads, entry->def);
  EXPECT_EQ(targets, "workload test-0001: target_latency_ms <= 0.4 (spec: axes{rows=" +
                         std::to_string(entry->workloads[0].axes.at("rows")) + "})\n");
}

TEST(FlashinferTask, CompileOnlyCompilesAndChecksThePlanButNeverPasses) {
  auto task = make_flashinfer_task(compile_only());
  ASSERT_TRUE(task.has_value());
  const std::string kernel =
      "extern \"C\" __global__ void k(const float* x, const float* y, float* out, float alpha, long long n) {\n"
      "  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; if (i < n) out[i] = alpha * x[i] + y[i];\n}\n";
  const std::string plan =
      R"json({"steps": [{"kernel": "k", "grid": ["ceil_div(rows * dim, 256)"], "block": [256], "args": ["x", "y", "out", "alpha", {"i64": "rows * dim"}]}]})json";
  auto good = (*task)->evaluate(candidate(kernel, plan));
  ASSERT_TRUE(good.has_value()) << good.error().to_string();
  EXPECT_EQ(good->status, tasks::evaluation_status::compiled);
  EXPECT_FALSE(good->passed);
  EXPECT_FALSE(good->score.has_value());

  auto broken = (*task)->evaluate(candidate("extern \"C\" __global__ void k( {", plan));
  ASSERT_TRUE(broken.has_value());
  EXPECT_EQ(broken->status, tasks::evaluation_status::compile_error);
  EXPECT_NE(broken->feedback.find("kernel.cu"), std::string::npos) << broken->feedback;

  auto bad_plan = (*task)->evaluate(candidate(kernel, R"json({"steps": [{"kernel": "k", "grid": [1], "block": [1], "args": ["nope"]}]})json"));
  ASSERT_TRUE(bad_plan.has_value());
  EXPECT_EQ(bad_plan->status, tasks::evaluation_status::compile_error);
  EXPECT_NE(bad_plan->feedback.find("nope"), std::string::npos) << bad_plan->feedback;
}

// A candidate whose macros expand to a million statements: its compile is stopped at the limit and
// the round is an ordinary COMPILE_ERROR (it used to keep compile-only mode compiling for minutes).
TEST(FlashinferTask, CompileOnlyStopsACompileBombAtItsTimeLimit) {
  flashinfer_task_options options = compile_only();
  options.compile_limits.time = std::chrono::seconds(2);
  auto task = make_flashinfer_task(options);
  ASSERT_TRUE(task.has_value());
  const std::string bomb = "#define A(x) x x x x x x x x x x\n#define B(x) A(A(A(x)))\n#define C(x) B(B(x))\n"
                           "extern \"C\" __global__ void k(const float* x, const float* y, float* out, float alpha, "
                           "long long n) { C(out[threadIdx.x] += x[threadIdx.x] * alpha;) }\n";
  const std::string plan = R"json({"steps": [{"kernel": "k", "grid": [1], "block": [256], "args": ["x", "y", "out", "alpha", {"i64": "rows * dim"}]}]})json";
  auto evaluated = (*task)->evaluate(candidate(bomb, plan));
  ASSERT_TRUE(evaluated.has_value()) << evaluated.error().to_string();
  EXPECT_EQ(evaluated->status, tasks::evaluation_status::compile_error);
  EXPECT_NE(evaluated->feedback.find("--compile-timeout-s"), std::string::npos) << evaluated->feedback;
}

}  // namespace
}  // namespace ksearch::search
