#include "ksearch/eval/loaded_solution.h"

#include <cstdint>
#include <vector>

#include "ksearch/eval/gpu/detail/driver_api.h"

namespace ksearch::eval {

namespace {

constexpr std::uint32_t default_smem_limit = 48 * 1024;  // dynamic smem allowed without opt-in [bytes]

// Each launch's arguments against the kernel's real parameters (see the header).
result<void> check_arguments(const cuda_driver& driver, const loaded_solution& solution) {
  std::string problems;
  for (std::size_t s = 0; s < solution.plan.steps.size(); ++s) {
    const plan_step& step = solution.plan.steps[s];
    if (step.kind != step_kind::launch) continue;
    const CUfunction function = solution.functions.at(step.kernel);
    std::vector<std::size_t> sizes;
    constexpr std::size_t max_params = 4096;  // a kernel's parameter space is at most 32 KB
    for (std::size_t i = 0; i < max_params; ++i) {
      std::size_t offset = 0, size = 0;
      const CUresult status = driver.api().cuFuncGetParamInfo(function, i, &offset, &size);
      if (status == CUDA_ERROR_INVALID_VALUE) break;  // past the last parameter
      if (status != CUDA_SUCCESS) return std::unexpected(driver.call_failed("cuFuncGetParamInfo", static_cast<int>(status)));
      sizes.push_back(size);
    }
    const std::string where = "steps[" + std::to_string(s) + "] ('" + step.kernel + "')";
    if (sizes.size() != step.args.size()) {
      problems += where + ": passes " + std::to_string(step.args.size()) + " arguments, the kernel takes " +
                  std::to_string(sizes.size()) + " parameters\n";
      continue;
    }
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const plan_arg& arg = step.args[i];
      const std::size_t passed = arg.kind == arg_kind::scalar ? byte_size(arg.type) : sizeof(CUdeviceptr);
      if (passed == sizes[i]) continue;
      const std::string what = arg.kind == arg_kind::scalar ? std::string(to_string(arg.type)) : std::string("a pointer");
      problems += where + ": argument " + std::to_string(i + 1) + " is " + what + " (" + std::to_string(passed) +
                  " bytes), but parameter " + std::to_string(i + 1) + " of the kernel is " + std::to_string(sizes[i]) +
                  " bytes\n";
    }
  }
  if (problems.empty()) return {};
  problems.pop_back();
  return fail("launch plan", "arguments do not match the kernels' parameters:\n" + problems,
              "pass one argument per kernel parameter, with the scalar type of its C type (i32 for int, i64 for long long, "
              "f32 for float)");
}

}  // namespace

result<loaded_solution> load_solution(const cuda_driver& driver, result<compile_output> compiled,
                                      const solution_code& code, const plan_interface& iface) {
  auto plan = parse_launch_plan_text(code.plan_json, iface);
  if (!plan) return std::unexpected(plan.error());
  if (!compiled) return std::unexpected(compiled.error());
  auto module = cuda_module::load(driver, compiled->cubin);
  if (!module) return std::unexpected(module.error());
  loaded_solution solution{.compiled = std::move(*compiled), .module = std::move(*module), .functions = {},
                           .plan = std::move(*plan)};
  for (const std::string& name : kernel_names(solution.plan)) {
    auto function = solution.module.function(name.c_str());
    if (!function) {
      error e = function.error();
      e.subject = "launch plan";
      e.problem = "kernel '" + name + "' is not in kernel.cu: " + e.problem;
      return std::unexpected(std::move(e));
    }
    solution.functions.emplace(name, *function);
  }
  if (auto checked = check_arguments(driver, solution); !checked) return std::unexpected(checked.error());
  return solution;
}

// The 48 KB a kernel gets without opting in covers static and dynamic shared memory together, so a
// kernel with 256 bytes of static arrays needs the opt-in for 48 KB of dynamic memory already.
result<void> opt_in_shared_memory(const cuda_driver& driver, const loaded_solution& solution, const resolved_plan& plan) {
  for (const kernel_smem& k : max_dyn_smem_per_kernel(plan)) {
    const CUfunction function = solution.functions.at(k.kernel);
    int static_bytes = 0;
    if (const CUresult status = driver.api().cuFuncGetAttribute(&static_bytes, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, function);
        status != CUDA_SUCCESS) {
      return std::unexpected(driver.call_failed("cuFuncGetAttribute", static_cast<int>(status)));
    }
    if (k.max_dyn_smem + static_cast<std::uint64_t>(static_bytes) <= default_smem_limit) continue;
    if (const CUresult status = driver.api().cuFuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                                                static_cast<int>(k.max_dyn_smem));
        status != CUDA_SUCCESS) {
      error e = driver.call_failed("cuFuncSetAttribute", static_cast<int>(status));
      e.problem += " raising kernel '" + k.kernel + "' to " + std::to_string(k.max_dyn_smem) + " bytes of dynamic shared memory (" +
                   std::to_string(static_bytes) + " bytes static)";
      return std::unexpected(std::move(e));
    }
  }
  return {};
}

}  // namespace ksearch::eval
