// `ksearch eval` as a real process. On a GPU box it evaluates for real; without a GPU it must say
// why it cannot, clearly, and exit 1.
#include <gtest/gtest.h>

#include "ksearch/common/json.h"

#include "support/run_process.h"

namespace ksearch::cli {
namespace {

using test_support::run_ksearch;
const std::string mini = std::string(KSEARCH_TEST_DATA_DIR) + "/flashinfer-mini";
const std::string reference = mini + "/solutions/elementwise/scale_add_reference.json";
const std::string vec4 = mini + "/solutions/elementwise/scale_add_vec4.json";

TEST(CmdEval, EvaluatesOrSaysWhyItCannot) {
  auto r = run_ksearch({"eval", vec4, "--reference", reference, "--task-path", mini, "--definition", "scale_add_d256"},
                       {}, std::chrono::seconds(300));
  if (r.err.find("no CUDA driver") != std::string::npos) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("cannot evaluate"), std::string::npos) << r.err;
    return;
  }
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("overall: PASSED"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("test-0002"), std::string::npos) << r.err;
}

TEST(CmdEval, JsonOutputIsTheEvaluation) {
  auto r = run_ksearch({"eval", vec4, "--reference", reference, "--task-path", mini, "--definition", "scale_add_d256",
                        "--json", "--workloads", "test-0001"},
                       {}, std::chrono::seconds(300));
  if (r.err.find("no CUDA driver") != std::string::npos) GTEST_SKIP() << "no GPU here: " << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["status"], "PASSED");
  ASSERT_EQ(doc["workloads"].size(), 1u);
  EXPECT_EQ(doc["workloads"][0]["workload_uuid"], "test-0001");
  // FlashInfer definitions are read with CUPTI by default, the CUDA-event median beside it.
  const auto& timing = doc["workloads"][0]["timing"];
  EXPECT_EQ(timing["clock"], "cupti") << timing.dump();
  EXPECT_GT(timing["event_median_ms"].get<double>(), timing["median_ms"].get<double>()) << timing.dump();
}

TEST(CmdEval, TimerEventsReachesTheEvaluation) {
  auto r = run_ksearch({"eval", vec4, "--reference", reference, "--task-path", mini, "--definition", "scale_add_d256",
                        "--json", "--workloads", "test-0001", "--timer", "events"},
                       {}, std::chrono::seconds(300));
  if (r.err.find("no CUDA driver") != std::string::npos) GTEST_SKIP() << "no GPU here: " << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = json::parse(r.out);
  ASSERT_EQ(doc["workloads"].size(), 1u);
  EXPECT_EQ(doc["workloads"][0]["timing"]["clock"], "events") << doc["workloads"][0]["timing"].dump();
  EXPECT_NE(r.err.find("CUDA events"), std::string::npos) << "the table says what it read: " << r.err;
}

TEST(CmdEval, BadArgumentsAreNamed) {
  auto bad_timer = run_ksearch({"eval", vec4, "--reference", reference, "--task-path", mini, "--definition",
                                "scale_add_d256", "--timer", "nvtx"});
  EXPECT_EQ(bad_timer.exit_code, 2);
  EXPECT_NE(bad_timer.err.find("--timer"), std::string::npos) << bad_timer.err;

  // Without --reference the dataset's scale_add_reference is used; a name it lacks is named back
  // with the solutions there are.
  auto no_reference = run_ksearch({"eval", vec4, "--reference", "missing", "--task-path", mini, "--definition", "scale_add_d256"});
  EXPECT_EQ(no_reference.exit_code, 2);
  EXPECT_NE(no_reference.err.find("--reference-solution missing"), std::string::npos) << no_reference.err;
  EXPECT_NE(no_reference.err.find("scale_add_vec4"), std::string::npos) << no_reference.err;

  auto unknown = run_ksearch({"eval", vec4, "--reference", reference, "--task-path", mini, "--definition", "nope"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("--definition nope: not in the dataset"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("known: scale_add_d256"), std::string::npos) << unknown.err;

  auto not_a_solution = run_ksearch({"eval", mini + "/definitions/elementwise/scale_add_d256.json", "--reference", reference,
                                     "--task-path", mini, "--definition", "scale_add_d256"});
  EXPECT_EQ(not_a_solution.exit_code, 2);
  EXPECT_NE(not_a_solution.err.find("scale_add_d256.json: definition: missing"), std::string::npos) << not_a_solution.err;
}

TEST(CmdEval, GpumodeModesAreCheckedBeforeAnythingRuns) {
  const std::string example = std::string(KSEARCH_SOURCE_DIR) + "/tasks/gpumode/trimul/examples/trimul/tensor_core.json";
  auto profile = run_ksearch({"eval", "--task", "gpumode", example, "--gpumode-mode", "profile"});
  EXPECT_EQ(profile.exit_code, 2);
  EXPECT_NE(profile.err.find("--gpumode-mode profile"), std::string::npos) << profile.err;
  auto wrong_definition = run_ksearch({"eval", "--task", "gpumode", example, "--definition", "gemm"});
  EXPECT_EQ(wrong_definition.exit_code, 2);
  EXPECT_NE(wrong_definition.err.find("'trimul'"), std::string::npos) << wrong_definition.err;
}

}  // namespace
}  // namespace ksearch::cli
