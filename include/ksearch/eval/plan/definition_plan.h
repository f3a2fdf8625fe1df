// ksearch/eval/plan/definition_plan.h — a definition as the launch-plan language sees it.
//
// A launch plan (eval/plan/launch_plan.h) names a definition's inputs, outputs and axes; these two
// functions give it what it may name (the plan's interface) and, for one workload, the values of
// the symbols it reads. The evaluator, compile-only mode and the bench share them.
//
// Thread-safety: pure functions.
#pragma once

#include "ksearch/common/error.h"
#include "ksearch/eval/plan/launch_plan.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::eval {

/// The launch plan's view of `def`: its tensor inputs, scalar inputs (with their kernel-parameter
/// types), outputs and axes. Fails for a scalar input whose dtype cannot be passed by value.
[[nodiscard]] result<plan_interface> plan_interface_for(const tasks::definition& def);
/// The symbols a plan reads for workload `w`: every axis (ints), and every scalar input's value (a
/// float for float dtypes, else an int). Error: a scalar input the workload gives no value for
/// (subject: the workload and input).
[[nodiscard]] result<symbol_table> plan_symbols(const tasks::definition& def, const tasks::workload& w);

}  // namespace ksearch::eval
