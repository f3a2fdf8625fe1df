// NVRTC in a child process with a time and a memory limit (real compiles; no GPU needed). The test
// binary's main answers `__compile` as ksearch does (tests/support/test_main.cc).
#include "ksearch/eval/compile/bounded_compile.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace ksearch::eval {
namespace {

using clock_type = std::chrono::steady_clock;

constexpr const char* small_kernel = R"(extern "C" __global__ void add_one(float* x, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] += 1.0f;
})";

// About a million statements from a few lines: NVRTC needs minutes and gigabytes for it.
constexpr const char* compile_bomb = R"(#define A(x) x x x x x x x x x x
#define B(x) A(A(A(x)))
#define C(x) B(B(x))
extern "C" __global__ void bomb(int* p) { C(p[threadIdx.x] += threadIdx.x * 3 + 1;) }
)";

TEST(BoundedCompile, ACompileInTheChildGivesTheSameCubinAndResourcesAsInProcess) {
  const compile_request request{.source = small_kernel, .file_name = "kernel.cu", .arch = "sm_90a", .extra_options = {}};
  auto bounded = compile_with_limits(request, {});
  ASSERT_TRUE(bounded.has_value()) << bounded.error().to_string();
  auto direct = compile_cuda(request);
  ASSERT_TRUE(direct.has_value()) << direct.error().to_string();
  EXPECT_EQ(bounded->cubin, direct->cubin);
  ASSERT_EQ(bounded->kernels.size(), 1u);
  EXPECT_EQ(bounded->kernels[0].name, "add_one");
  EXPECT_EQ(bounded->kernels[0].registers, direct->kernels[0].registers);
  EXPECT_GT(bounded->compile_ms, 0);
}

TEST(BoundedCompile, ACompileErrorComesBackWithNvrtcsLog) {
  auto broken = compile_with_limits({.source = "__global__ void k() { undeclared_name = 1; }", .file_name = "kernel.cu",
                                     .arch = "sm_90a", .extra_options = {}},
                                    {});
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().subject, "kernel.cu");
  EXPECT_NE(broken.error().problem.find("undeclared_name"), std::string::npos) << broken.error().to_string();
}

TEST(BoundedCompile, ACompileBombEndsAtItsTimeLimitNamingTheFlag) {
  const auto start = clock_type::now();
  auto bomb = compile_with_limits({.source = compile_bomb, .file_name = "kernel.cu", .arch = "sm_90a", .extra_options = {}},
                                  {.time = std::chrono::seconds(3), .memory_mb = 8192});
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  ASSERT_FALSE(bomb.has_value());
  EXPECT_NE(bomb.error().problem.find("within 3 s"), std::string::npos) << bomb.error().to_string();
  EXPECT_NE(bomb.error().fix.find("--compile-timeout-s"), std::string::npos) << bomb.error().to_string();
  EXPECT_LT(seconds, 30) << "the child is killed at the deadline, not waited for";
}

TEST(BoundedCompile, ACompileBombEndsAtItsMemoryLimitNamingTheFlag) {
  auto bomb = compile_with_limits({.source = compile_bomb, .file_name = "kernel.cu", .arch = "sm_90a", .extra_options = {}},
                                  {.time = std::chrono::seconds(600), .memory_mb = 1024});
  ASSERT_FALSE(bomb.has_value());
  EXPECT_EQ(bomb.error().subject, "kernel.cu");
  EXPECT_NE(bomb.error().to_string().find("out of memory"), std::string::npos) << bomb.error().to_string();
  EXPECT_NE(bomb.error().fix.find("--compile-memory-mb"), std::string::npos) << bomb.error().to_string();
}

}  // namespace
}  // namespace ksearch::eval
