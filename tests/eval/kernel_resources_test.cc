#include "ksearch/eval/compile/kernel_resources.h"

#include <gtest/gtest.h>

#include "ksearch/eval/compile/nvrtc_compiler.h"

namespace ksearch::eval {
namespace {

// As NVRTC 13.0 prints it for two kernels, one spilling.
constexpr const char* report =
    "ptxas info    : 0 bytes gmem\n"
    "ptxas info    : Compiling entry function 'first' for 'sm_90a'\n"
    "ptxas info    : Function properties for first\n"
    "ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
    "ptxas info    : Used 72 registers, used 1 barriers, 1024 bytes smem\n"
    "ptxas info    : Compile time = 32.989 ms\n"
    "kernel.cu(7): warning #177-D: variable \"x\" was declared but never referenced\n"
    "ptxas info    : Compiling entry function 'second' for 'sm_90a'\n"
    "ptxas info    : Function properties for second\n"
    "ptxas         .     40 bytes stack frame, 24 bytes spill stores, 16 bytes spill loads\n"
    "ptxas info    : Used 255 registers, used 0 barriers\n";

TEST(KernelResources, ParsesEveryEntryFunction) {
  const auto kernels = parse_ptxas_report(report);
  ASSERT_EQ(kernels.size(), 2u);
  EXPECT_EQ(kernels[0].name, "first");
  EXPECT_EQ(kernels[0].registers, 72);
  EXPECT_EQ(kernels[0].barriers, 1);
  EXPECT_EQ(kernels[0].static_smem_bytes, 1024);
  EXPECT_EQ(kernels[0].summary(), "first: 72 registers, 1024 B static smem, 0 B stack, no spills");
  EXPECT_EQ(kernels[1].registers, 255);
  EXPECT_EQ(kernels[1].static_smem_bytes, 0);
  EXPECT_EQ(kernels[1].spill_store_bytes, 24);
  EXPECT_EQ(kernels[1].spill_load_bytes, 16);
  EXPECT_NE(kernels[1].summary().find("spills 24 B stored / 16 B loaded"), std::string::npos);
}

TEST(KernelResources, StrippingKeepsOnlyDiagnostics) {
  EXPECT_EQ(strip_ptxas_info(report), "kernel.cu(7): warning #177-D: variable \"x\" was declared but never referenced");
  EXPECT_EQ(strip_ptxas_info(""), "");
  EXPECT_TRUE(parse_ptxas_report("no report here\n").empty());
}

TEST(KernelResources, ARealCompileReportsItsKernels) {
  auto compiled = compile_cuda({.source = "extern \"C\" __global__ void resources_probe(float* x) {\n"
                                          "  __shared__ float tile[256];\n"
                                          "  tile[threadIdx.x] = x[threadIdx.x];\n"
                                          "  __syncthreads();\n"
                                          "  x[threadIdx.x] = tile[255 - threadIdx.x];\n"
                                          "}\n"});
  ASSERT_TRUE(compiled.has_value()) << compiled.error().to_string();
  ASSERT_EQ(compiled->kernels.size(), 1u) << compiled->log;
  EXPECT_EQ(compiled->kernels[0].name, "resources_probe");
  EXPECT_EQ(compiled->kernels[0].static_smem_bytes, 1024);
  EXPECT_GT(compiled->kernels[0].registers, 0);
  EXPECT_EQ(compiled->log.find("ptxas info"), std::string::npos) << "info lines belong in `kernels`, not the log";
}

}  // namespace
}  // namespace ksearch::eval
