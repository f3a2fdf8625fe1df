// Test support: the device limits of an H100 SXM / H200 as launch plans see them (132 SMs,
// compute capability 9.0, 227 KB of opt-in shared memory, 50 MB of L2), for tests that resolve
// plans without a GPU.
#pragma once

#include "ksearch/eval/plan/launch_plan.h"

namespace ksearch::test_support {

[[nodiscard]] eval::device_limits hopper_limits();

}  // namespace ksearch::test_support
