#include "ksearch/eval/compile/source_policy.h"

#include <gtest/gtest.h>

namespace ksearch::eval {
namespace {

result<void> check(std::string_view source) {
  return check_source_includes(source, "kernel.cu", toolkit_include_dirs());
}

std::string refusal(std::string_view source) {
  auto r = check(source);
  return r ? std::string("accepted") : r.error().to_string();
}

TEST(SourcePolicy, FindsTheToolkitHeaders) {
  ASSERT_FALSE(toolkit_include_dirs().empty());
  EXPECT_TRUE(std::filesystem::is_regular_file(toolkit_include_dirs().front() / "cuda_fp16.h"));
}

TEST(SourcePolicy, ToolkitHeadersAreAccepted) {
  EXPECT_TRUE(check("#include <cuda_fp16.h>\n#include <cuda_bf16.h>\n  #  include   <mma.h>\n"
                    "#include <cuda/std/cstdint>\n#include <cooperative_groups.h>\n"
                    "extern \"C\" __global__ void k() {}\n"))
      << refusal("#include <cuda/std/cstdint>\n");
  EXPECT_TRUE(check("#if __has_include(<cuda_fp8.h>)\n#include <cuda_fp8.h>\n#endif\n"));
}

TEST(SourcePolicy, HostFilesAndEscapesAreRefusedWithTheLine) {
  EXPECT_NE(refusal("// ok\n#include \"/etc/passwd\"\n").find("kernel.cu:2: include target \"/etc/passwd\" refused"),
            std::string::npos)
      << refusal("// ok\n#include \"/etc/passwd\"\n");
  EXPECT_NE(refusal("#include </etc/passwd>\n").find("not a relative header name"), std::string::npos);
  EXPECT_NE(refusal("#include <../../../etc/passwd>\n").find("not a relative header name"), std::string::npos);
  EXPECT_NE(refusal("#include <cuda/../../../../etc/hostname>\n").find("refused"), std::string::npos);
  EXPECT_NE(refusal("#include <stdio_no_such.h>\n").find("not a CUDA Toolkit header"), std::string::npos);
  EXPECT_NE(refusal("#define F \"/etc/passwd\"\n#include F\n").find("kernel.cu:2"), std::string::npos);
  EXPECT_NE(refusal("#include_next <cuda_fp16.h>\n#include \"x.h\"\n").find("kernel.cu:2"), std::string::npos);
  EXPECT_NE(refusal("#embed \"/etc/passwd\"\n").find("refused"), std::string::npos);
  EXPECT_NE(refusal("#import <cuda_fp16.h>\n").find("#import refused"), std::string::npos);
  EXPECT_NE(refusal("#if __has_include(\"/etc/shadow\")\n#endif\n").find("kernel.cu:1"), std::string::npos);
}

TEST(SourcePolicy, DirectivesHiddenByPreprocessorTricksAreStillSeen) {
  // Digraph for '#'.
  EXPECT_NE(refusal("%:include \"/etc/passwd\"\n").find("refused"), std::string::npos);
  // Line splicing inside the directive name, reported at the directive's first line.
  EXPECT_NE(refusal("\n#inc\\\nlude \"/etc/passwd\"\n").find("kernel.cu:2"), std::string::npos);
  // A comment between '#' and the directive name.
  EXPECT_NE(refusal("#/* hi */include \"/etc/passwd\"\n").find("refused"), std::string::npos);
  // A multi-line comment before the directive: one logical line, reported where it starts.
  EXPECT_NE(refusal("/* a\n b */ #include \"/etc/passwd\"\n").find("kernel.cu:1: include target"), std::string::npos);
}

TEST(SourcePolicy, CommentsAndStringsThatMentionIncludesAreNotDirectives) {
  EXPECT_TRUE(check("// #include \"/etc/passwd\"\n/* #include \"/etc/passwd\" */\n"
                    "__device__ const char* s = \"#include \\\"/etc/passwd\\\"\";\n"
                    "__device__ const char* r = R\"x(\n#include \"/etc/passwd\"\n)x\";\n"))
      << refusal("__device__ const char* r = R\"x(\n#include \"/etc/passwd\"\n)x\";\n");
}

}  // namespace
}  // namespace ksearch::eval
