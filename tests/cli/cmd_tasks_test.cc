#include <gtest/gtest.h>

#include "ksearch/common/json.h"

#include "support/run_process.h"
#include "support/temp_dir.h"

namespace ksearch::cli {
namespace {

using test_support::run_ksearch;
const std::string mini_dataset = std::string(KSEARCH_TEST_DATA_DIR) + "/flashinfer-mini";

TEST(CmdTasks, JsonListsTheDatasetsDefinitions) {
  auto r = run_ksearch({"tasks", "--task", "flashinfer", "--task-path", mini_dataset, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = json::parse(r.out);
  ASSERT_EQ(doc["backends"].size(), 1u);
  const auto& flashinfer = doc["backends"][0];
  EXPECT_EQ(flashinfer["backend"], "flashinfer");
  ASSERT_EQ(flashinfer["definitions"].size(), 1u);
  EXPECT_EQ(flashinfer["definitions"][0]["name"], "scale_add_d256");
  EXPECT_EQ(flashinfer["definitions"][0]["workloads"], 2);
  EXPECT_EQ(flashinfer["definitions"][0]["inputs"], (json{"x", "y", "alpha"}));
}

TEST(CmdTasks, HumanOutputGoesToStderrAndCoversEveryBackend) {
  auto r = run_ksearch({"tasks", "--task-path", mini_dataset}, {{"KERNELBENCH_ROOT", ""}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("scale_add_d256  [elementwise]  2 workloads"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gpumode"), std::string::npos);
  EXPECT_NE(r.err.find("kernelbench"), std::string::npos);
  EXPECT_NE(r.err.find("KERNELBENCH_ROOT"), std::string::npos);
}

TEST(CmdTasks, TheBundledTrimulDatasetIsListedWithItsTestsAndBenchmarks) {
  auto r = run_ksearch({"tasks", "--task", "gpumode", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto gpumode = json::parse(r.out)["backends"][0];
  EXPECT_EQ(gpumode["backend"], "gpumode");
  ASSERT_EQ(gpumode["definitions"].size(), 1u) << gpumode.dump();
  EXPECT_EQ(gpumode["definitions"][0]["name"], "trimul");
  EXPECT_EQ(gpumode["definitions"][0]["tests"], 18);
  EXPECT_EQ(gpumode["definitions"][0]["benchmarks"], 7);
}

TEST(CmdTasks, CountsKernelBenchProblemsPerLevel) {
  test_support::temp_dir root;
  root.write("KernelBench/level1/1_Square_matrix_multiplication_.py", "# test problem\n");
  root.write("KernelBench/level1/19_ReLU.py", "# test problem\n");
  root.write("KernelBench/level1/notes.txt", "not a problem\n");
  root.write("KernelBench/level2/1_Conv2D_ReLU_BiasAdd.py", "# test problem\n");
  auto r = run_ksearch({"tasks", "--task", "kernelbench", "--kernelbench-root", root.path().string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto levels = json::parse(r.out)["backends"][0]["levels"];
  EXPECT_EQ(levels["1"]["problems"], 2);
  EXPECT_EQ(levels["2"]["problems"], 1);
  EXPECT_FALSE(levels.contains("3"));
}

TEST(CmdTasks, AFolderThatIsNoDatasetIsReportedNotFatal) {
  test_support::temp_dir empty;
  auto r = run_ksearch({"tasks", "--task", "flashinfer", "--task-path", empty.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no definitions/ folder"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ksearch::cli
