// NVRTC needs no GPU, so these run everywhere, CI included.
#include "ksearch/eval/compile/nvrtc_compiler.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "ksearch/eval/gpu/self_test.h"

namespace ksearch::eval {
namespace {

constexpr const char* kValidKernel = R"(
extern "C" __global__ void scale(float* data, float factor, unsigned int n) {
  const unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) data[i] *= factor;
}
)";

bool starts_with_elf_magic(const std::string& binary) {
  return binary.size() >= 4 && binary.compare(0, 4, "\x7f" "ELF") == 0;
}

TEST(NvrtcCompiler, ValidKernelGivesAnElfCubinForSm90a) {
  auto compiled = compile_cuda({.source = kValidKernel, .file_name = "scale.cu", .arch = "sm_90a", .extra_options = {}});
  ASSERT_TRUE(compiled.has_value()) << compiled.error().to_string();
  EXPECT_TRUE(starts_with_elf_magic(compiled->cubin));
  EXPECT_GT(compiled->cubin.size(), 64u);
  EXPECT_GT(compiled->compile_ms, 0.0);
}

TEST(NvrtcCompiler, SyntaxErrorReturnsTheLogWithFileAndLine) {
  const std::string source =
      "extern \"C\" __global__ void broken(float* p) {\n"  // line 1
      "  p[0] = 1.0f\n"                                       // line 2: missing ';'
      "}\n";
  auto compiled = compile_cuda({.source = source, .file_name = "broken.cu", .arch = "sm_90a", .extra_options = {}});
  ASSERT_FALSE(compiled.has_value());
  EXPECT_EQ(compiled.error().subject, "broken.cu");
  EXPECT_NE(compiled.error().problem.find("NVRTC_ERROR_COMPILATION"), std::string::npos)
      << compiled.error().problem;
  // NVRTC reports a missing ';' at the start of the next token, which is on line 3.
  EXPECT_NE(compiled.error().problem.find("broken.cu(3)"), std::string::npos) << compiled.error().problem;
  EXPECT_NE(compiled.error().problem.find("error"), std::string::npos);
}

TEST(NvrtcCompiler, InvalidArchitectureFailsWithAnError) {
  auto compiled = compile_cuda({.source = kValidKernel, .file_name = "scale.cu", .arch = "sm_1", .extra_options = {}});
  ASSERT_FALSE(compiled.has_value());
  EXPECT_EQ(compiled.error().subject, "scale.cu");
  EXPECT_NE(compiled.error().problem.find("NVRTC_ERROR"), std::string::npos) << compiled.error().problem;
}

TEST(NvrtcCompiler, VirtualArchitectureGivesNoCubinAndSaysSo) {
  auto compiled = compile_cuda({.source = kValidKernel, .file_name = "scale.cu", .arch = "compute_90", .extra_options = {}});
  ASSERT_FALSE(compiled.has_value());
  EXPECT_EQ(compiled.error().subject, "scale.cu");
  EXPECT_NE(compiled.error().to_string().find("compute_90"), std::string::npos) << compiled.error().to_string();
}

TEST(NvrtcCompiler, ExtraOptionsReachTheCompiler) {
  const std::string source =
      "#ifndef TILE\n#error TILE is not defined\n#endif\n"
      "extern \"C\" __global__ void k(float* p) { p[threadIdx.x] = TILE; }\n";
  auto without = compile_cuda({.source = source, .file_name = "tile.cu", .arch = "sm_90a", .extra_options = {}});
  ASSERT_FALSE(without.has_value());
  EXPECT_NE(without.error().problem.find("TILE is not defined"), std::string::npos) << without.error().problem;
  auto with = compile_cuda({.source = source, .file_name = "tile.cu", .arch = "sm_90a", .extra_options = {"-DTILE=64"}});
  EXPECT_TRUE(with.has_value()) << with.error().to_string();
}

TEST(NvrtcCompiler, CompilesAsCpp17) {
  // `if constexpr` and inline variables are C++17; an older default dialect would reject them.
  const std::string source =
      "template <int N> inline constexpr int twice = 2 * N;\n"
      "extern \"C\" __global__ void k(int* p) { if constexpr (twice<2> == 4) p[0] = 1; }\n";
  auto compiled = compile_cuda({.source = source, .file_name = "cpp17.cu", .arch = "sm_90a", .extra_options = {}});
  EXPECT_TRUE(compiled.has_value()) << compiled.error().to_string();
}

TEST(NvrtcCompiler, LoadedVersionIsAtLeast12) {
  const nvrtc_version version = loaded_nvrtc_version();
  EXPECT_GE(version.major, 12);
  EXPECT_GE(version.minor, 0);
}

TEST(NvrtcCompiler, SelfTestKernelCompilesForSm90a) {
  auto compiled = compile_self_test_kernel("sm_90a");
  ASSERT_TRUE(compiled.has_value()) << compiled.error().to_string();
  EXPECT_TRUE(starts_with_elf_magic(compiled->cubin));
}

TEST(NvrtcCompiler, SelfTestKernelCompileReportsABadArch) {
  auto compiled = compile_self_test_kernel("sm_1");
  EXPECT_FALSE(compiled.has_value());
}

TEST(NvrtcCompiler, ThreadsCompileConcurrently) {
  constexpr int kThreads = 4;
  std::vector<std::string> cubins(kThreads);
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &cubins, &failures] {
      // Each thread compiles a different program, so a mix-up between programs would show.
      const std::string source = "extern \"C\" __global__ void k" + std::to_string(t) +
                                 "(int* p) { p[threadIdx.x] = " + std::to_string(t) + "; }\n";
      auto compiled = compile_cuda({.source = source, .file_name = "t" + std::to_string(t) + ".cu",
                                    .arch = "sm_90a", .extra_options = {}});
      if (compiled) {
        cubins[t] = std::move(compiled->cubin);
      } else {
        failures[t] = compiled.error().to_string();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], "") << "thread " << t;
    EXPECT_TRUE(starts_with_elf_magic(cubins[t])) << "thread " << t;
    // The kernel's name is in the cubin's symbol table.
    EXPECT_NE(cubins[t].find("k" + std::to_string(t)), std::string::npos) << "thread " << t;
  }
}

TEST(TrimCompileLog, ShortLogIsUnchanged) {
  EXPECT_EQ(trim_compile_log("a.cu(1): error: x\n", 4000), "a.cu(1): error: x\n");
  EXPECT_EQ(trim_compile_log("", 10), "");
}

TEST(TrimCompileLog, LongLogKeepsHeadAndTailAtLineBreaks) {
  std::string log;
  for (int line = 1; line <= 1000; ++line) log += "k.cu(" + std::to_string(line) + "): error: something\n";
  const std::string trimmed = trim_compile_log(log, 4000);
  EXPECT_LT(trimmed.size(), 4100u);
  EXPECT_EQ(trimmed.rfind("k.cu(1): error: something\n", 0), 0u);        // head kept
  EXPECT_TRUE(trimmed.ends_with("k.cu(1000): error: something\n"));     // tail kept
  EXPECT_EQ(trimmed.find("k.cu(500)"), std::string::npos);              // middle dropped
  const std::size_t marker = trimmed.find("characters of the log left out");
  ASSERT_NE(marker, std::string::npos);
  // Whole lines on both sides of the marker.
  const std::size_t marker_line = trimmed.rfind('\n', marker);
  EXPECT_EQ(trimmed.compare(marker_line + 1, 5, "[... "), 0);
  EXPECT_EQ(trimmed.compare(trimmed.find('\n', marker) + 1, 5, "k.cu("), 0);
}

TEST(TrimCompileLog, CountsTheCharactersLeftOut) {
  const std::string log(10'000, 'x');  // no line breaks: cut at the budget
  const std::string trimmed = trim_compile_log(log, 1000);
  EXPECT_NE(trimmed.find("[... 9000 characters of the log left out ...]"), std::string::npos) << trimmed;
  EXPECT_EQ(trim_compile_log(log, 0).find("[... 9998 characters"), 2u);
}

}  // namespace
}  // namespace ksearch::eval
