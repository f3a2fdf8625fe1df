// `ksearch bench` as a real process. Its measurements need a GPU (and run through the device tool);
// here: the command tree, argument checks, and a clear refusal where there is no CUDA driver.
#include <gtest/gtest.h>

#include "ksearch/eval/gpu/cuda_driver.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace ksearch::cli {
namespace {

using test_support::run_ksearch;

TEST(CmdBench, HelpListsEval) {
  auto r = run_ksearch({"bench", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("eval"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Loads:"), std::string::npos) << r.out;

  auto top = run_ksearch({"--help"});
  EXPECT_NE(top.out.find("bench"), std::string::npos) << top.out;
}

TEST(CmdBench, EvalHelpListsItsFlags) {
  auto r = run_ksearch({"bench", "eval", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* flag : {"--dataset", "--repeats", "--device", "--nvcc", "--ncu", "--timeout"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << "\n" << r.out;
  }
}

TEST(CmdBench, NeedsASubcommand) {
  auto r = run_ksearch({"bench"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST(CmdBench, BadArgumentsExitTwoNamingTheFlag) {
  auto r = run_ksearch({"bench", "eval", "--repeats", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--repeats"), std::string::npos) << r.err;
}

TEST(CmdBench, ABrokenDatasetIsNamed) {
  test_support::temp_dir dir;
  auto r = run_ksearch({"bench", "eval", "--dataset", (dir.path() / "nowhere").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--dataset"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r.err;
}

TEST(CmdBench, WithoutAGpuSaysSoAndExitsOne) {
  // Where a driver loads this would be the real benchmark (minutes of GPU time), which belongs to a
  // device run, not to the unit tests.
  if (eval::cuda_driver::load()) GTEST_SKIP() << "a CUDA driver is present: run `ksearch bench eval` on the device";
  auto r = run_ksearch({"bench", "eval", "--repeats", "1"}, {}, std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no CUDA driver"), std::string::npos) << r.err;
  EXPECT_FALSE(r.timed_out);
  EXPECT_NE(r.err.find("cannot benchmark"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");  // no half table
}

TEST(CmdBench, PoolNeedsASolutionAndAGpu) {
  auto missing = run_ksearch({"bench", "pool"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--solution"), std::string::npos) << missing.err;
  if (eval::cuda_driver::load()) GTEST_SKIP() << "a CUDA driver is present: run `ksearch bench pool` on the device";
  const std::string example = std::string(KSEARCH_SOURCE_DIR) +
                              "/tasks/flashinfer/examples/gqa_paged_decode_h32_kv4_d128_ps1/split_kv.json";
  auto r = run_ksearch({"bench", "pool", "--solution", example, "--definition", "gqa_paged_decode_h32_kv4_d128_ps1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no CUDA driver"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace ksearch::cli
