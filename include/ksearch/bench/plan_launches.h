// ksearch/bench/plan_launches.h — which kernels one call of a solution launches on a workload.
//
// The profiler reports kernels one by one; a solution's call may launch several (a split kernel and
// a merge kernel) and skip some per workload (a `when` that fails). To add ncu's kernel times up into
// call times, the benchmark resolves the solution's launch plan for the workload and the device,
// exactly as the evaluator does, and reads off the launch steps.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/plan/expression.h"
#include "ksearch/eval/plan/launch_plan.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::bench {

/// The kernel names one call launches on `w`, in launch order (memset steps are left out), with
/// `plan_json` (a launch.json) resolved against `def`'s interface and the device `limits`.
/// Errors: the plan does not parse or does not resolve (the plan's own messages).
[[nodiscard]] result<std::vector<std::string>> launched_kernels(const tasks::definition& def,
                                                                const std::string& plan_json, const tasks::workload& w,
                                                                const eval::device_limits& limits);

}  // namespace ksearch::bench
