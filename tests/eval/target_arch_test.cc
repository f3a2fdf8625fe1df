#include "ksearch/eval/compile/target_arch.h"

#include <gtest/gtest.h>

namespace ksearch::eval {
namespace {

TEST(TargetArch, MapsGpuNamesToNvrtcArchitectures) {
  EXPECT_EQ(arch_for_gpu_name("H100"), "sm_90a");
  EXPECT_EQ(arch_for_gpu_name("NVIDIA H200"), "sm_90a");
  EXPECT_EQ(arch_for_gpu_name("gh200"), "sm_90a");
  EXPECT_EQ(arch_for_gpu_name("B200"), "sm_100a");
  EXPECT_EQ(arch_for_gpu_name("GB200"), "sm_100a");
  EXPECT_EQ(arch_for_gpu_name("A100-SXM4-80GB"), "sm_80");
  EXPECT_EQ(arch_for_gpu_name("L40S"), "sm_89");
  EXPECT_EQ(arch_for_gpu_name("NVIDIA L4"), "sm_89");
  EXPECT_EQ(arch_for_gpu_name("something new"), "sm_90a");
}

}  // namespace
}  // namespace ksearch::eval
