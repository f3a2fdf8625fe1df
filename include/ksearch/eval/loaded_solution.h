// ksearch/eval/loaded_solution.h — a compiled solution loaded on the GPU, its plan checked against its kernels.
//
// load_solution takes a solution's compile (eval/compile/nvrtc_compiler.h) and its launch.json, loads the
// cubin as a module, finds every kernel the plan names and checks each launch's arguments against
// the kernel's real parameters (count and byte sizes, from cuFuncGetParamInfo): a plan that passes
// an i32 where the kernel takes a long long, or one argument too few, would otherwise launch with
// garbage in the missing bytes. Any failure is the solution's own (a COMPILE_ERROR for a
// candidate); a broken plan is reported before a failed compile.
//
// Thread-safety: one thread (the evaluator's), with the context current.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "ksearch/common/error.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/eval/eval_request.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/driver_handles.h"
#include "ksearch/eval/plan/launch_plan.h"

namespace ksearch::eval {

struct loaded_solution {
  compile_output compiled;
  cuda_module module;
  std::map<std::string, CUfunction, std::less<>> functions;
  launch_plan plan;
};

[[nodiscard]] result<loaded_solution> load_solution(const cuda_driver& driver, result<compile_output> compiled,
                                                    const solution_code& code, const plan_interface& iface);

/// Raises each kernel's dynamic shared memory limit to what the resolved plan's launches ask for.
[[nodiscard]] result<void> opt_in_shared_memory(const cuda_driver& driver, const loaded_solution& solution,
                                                const resolved_plan& plan);

}  // namespace ksearch::eval
