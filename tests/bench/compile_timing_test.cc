// NVRTC needs no GPU; nvcc is tested through stand-ins (a script that succeeds or fails) and, where
// the toolkit's nvcc is installed, for real.
#include "ksearch/bench/compile_timing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "ksearch/bench/tool_lookup.h"
#include "support/temp_dir.h"

namespace ksearch::bench {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr const char* kernel = R"(
extern "C" __global__ void twice(float* p, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) p[i] *= 2.f;
}
)";

fs::path make_tool(const test_support::temp_dir& dir, const std::string& name, const std::string& script) {
  const fs::path file = dir.write(name, "#!/bin/sh\n" + script);
  fs::permissions(file, fs::perms::owner_all);
  return file;
}

TEST(CompileTiming, NvrtcRunsEveryTimeAndTakesTheMedian) {
  auto t = time_nvrtc(kernel, "sm_90a", 3);
  ASSERT_TRUE(t.has_value()) << t.error().to_string();
  ASSERT_EQ(t->runs_ms.size(), 3u);
  for (double ms : t->runs_ms) EXPECT_GT(ms, 0);
  std::vector<double> sorted = t->runs_ms;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_DOUBLE_EQ(t->median_ms, sorted[1]);
}

TEST(CompileTiming, NvrtcErrorsComeBack) {
  auto t = time_nvrtc("extern \"C\" __global__ void broken( {", "sm_90a", 3);
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.error().problem.find("NVRTC_ERROR_COMPILATION"), std::string::npos) << t.error().problem;
}

TEST(CompileTiming, NvccCommandLine) {
  EXPECT_EQ(nvcc_argv("/usr/local/cuda/bin/nvcc", "sm_90a", "/tmp/s/kernel.cu", "/tmp/s/kernel.cubin"),
            (std::vector<std::string>{"/usr/local/cuda/bin/nvcc", "-cubin", "-arch=sm_90a", "-std=c++17", "-lineinfo",
                                      "-o", "/tmp/s/kernel.cubin", "/tmp/s/kernel.cu"}));
}

TEST(CompileTiming, NvccRunsOnTheWrittenSource) {
  test_support::temp_dir dir;
  // A stand-in that checks it was handed the source and writes the output file, as nvcc would.
  const fs::path fake = make_tool(dir, "nvcc",
                                  "for last; do :; done\n"
                                  "grep -q 'void twice' \"$last\" || exit 7\n"
                                  "echo x >> " +
                                      (dir.path() / "calls").string() + "\n");
  auto scratch = scratch_dir::create("ksearch-compile-test-");
  ASSERT_TRUE(scratch.has_value());
  auto t = time_nvcc(fake, kernel, "sm_90a", 3, *scratch, seconds(30));
  ASSERT_TRUE(t.has_value()) << t.error().to_string();
  EXPECT_EQ(t->runs_ms.size(), 3u);
  EXPECT_GT(t->median_ms, 0);
  EXPECT_EQ(fs::file_size(dir.path() / "calls"), 6u);  // three runs, "x\n" each
}

TEST(CompileTiming, NvccFailureNamesTheToolAndShowsItsOutput) {
  test_support::temp_dir dir;
  const fs::path fake = make_tool(dir, "nvcc", "echo 'kernel.cu(3): error: expected a ;' >&2\nexit 2\n");
  auto scratch = scratch_dir::create("ksearch-compile-test-");
  ASSERT_TRUE(scratch.has_value());
  auto t = time_nvcc(fake, kernel, "sm_90a", 3, *scratch, seconds(30));
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().subject, fake.string());
  EXPECT_NE(t.error().problem.find("exit code 2"), std::string::npos) << t.error().problem;
  EXPECT_NE(t.error().problem.find("expected a ;"), std::string::npos) << t.error().problem;
}

TEST(CompileTiming, RealNvccWhereInstalled) {
  auto nvcc = find_tool("nvcc", "", "--nvcc", {"/usr/local/cuda/bin/nvcc"});
  if (!nvcc || !*nvcc) GTEST_SKIP() << "no nvcc on this machine";
  auto scratch = scratch_dir::create("ksearch-compile-test-");
  ASSERT_TRUE(scratch.has_value());
  auto t = time_nvcc(**nvcc, kernel, "sm_90a", 1, *scratch, seconds(300));
  ASSERT_TRUE(t.has_value()) << t.error().to_string();
  EXPECT_GT(fs::file_size(scratch->path() / "kernel.cubin"), 0u);
}

}  // namespace
}  // namespace ksearch::bench
