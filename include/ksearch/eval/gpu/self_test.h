// ksearch/eval/gpu/self_test.h — an end-to-end check of the GPU path, for `ksearch doctor`.
//
// Compiles a small kernel with NVRTC for the device's architecture, loads it with the driver,
// launches it on real data and compares the result with the host. If this passes, the toolkit,
// the driver and the device agree with each other.
#pragma once

#include <string>

#include "ksearch/common/error.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/eval/gpu/cuda_driver.h"

namespace ksearch::eval {

struct self_test_report {
  std::string arch;          // what was compiled for, e.g. "sm_90a"
  double compile_ms = 0;     // NVRTC time [milliseconds]
  double kernel_ms = 0;      // launch + sync wall time [milliseconds]
  std::size_t elements = 0;  // elements checked
};

/// Compiles the self-test kernel only (no GPU needed): proves NVRTC works for `arch`.
[[nodiscard]] result<compile_output> compile_self_test_kernel(const std::string& arch);

/// Runs the check on device `ordinal`. Any failure (compile, load, launch, wrong values) comes back
/// as an error naming the failing step.
[[nodiscard]] result<self_test_report> run_device_self_test(const cuda_driver& driver, int ordinal);

}  // namespace ksearch::eval
