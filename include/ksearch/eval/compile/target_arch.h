// ksearch/eval/compile/target_arch.h — which NVRTC architecture to compile for when no GPU is at hand.
//
// With a device present the architecture comes from its compute capability
// (device_info::nvrtc_arch). Compile-only paths (CI, `doctor` without a GPU) use the --target-gpu
// name instead.
#pragma once

#include <string>
#include <string_view>

namespace ksearch::eval {

/// "H100" / "H200" / "GH200" -> "sm_90a", "B200" / "GB200" -> "sm_100a", "A100" -> "sm_80",
/// "L40S" / "L4" / "RTX 4090" -> "sm_89". Case-insensitive substring match; unknown names give
/// "sm_90a" (the paper's target).
[[nodiscard]] std::string arch_for_gpu_name(std::string_view gpu_name);

}  // namespace ksearch::eval
