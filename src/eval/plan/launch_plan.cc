#include "ksearch/eval/plan/launch_plan.h"

// What the parse (launch_plan_parse.cc) and resolve (launch_plan_resolve.cc) phases share: the
// scalar types, the device facts a plan reads, and the questions asked of a plan afterwards.

#include <algorithm>
#include <array>

#include "ksearch/eval/gpu/cuda_driver.h"

namespace ksearch::eval {

std::string_view to_string(scalar_type type) {
  switch (type) {
    case scalar_type::i32:
      return "i32";
    case scalar_type::i64:
      return "i64";
    case scalar_type::u32:
      return "u32";
    case scalar_type::u64:
      return "u64";
    case scalar_type::f32:
      return "f32";
    case scalar_type::f64:
      return "f64";
  }
  return "?";
}

std::size_t byte_size(scalar_type type) {
  return (type == scalar_type::i32 || type == scalar_type::u32 || type == scalar_type::f32) ? 4 : 8;
}

result<scalar_type> scalar_type_from_dtype(std::string_view dtype) {
  static constexpr std::array<std::pair<std::string_view, scalar_type>, 6> table{{
      {"int32", scalar_type::i32},
      {"int64", scalar_type::i64},
      {"uint32", scalar_type::u32},
      {"uint64", scalar_type::u64},
      {"float32", scalar_type::f32},
      {"float64", scalar_type::f64},
  }};
  for (const auto& [name, type] : table) {
    if (name == dtype) return type;
  }
  return fail(std::string(dtype), "no kernel parameter type for a scalar of dtype '" + std::string(dtype) + "'",
              "scalar inputs must be int32, int64, uint32, uint64, float32 or float64");
}

void add_device_facts(symbol_table& symbols, const device_limits& limits) {
  symbols.set_int("num_sms", limits.num_sms);
  symbols.set_int("cc", limits.cc);
  symbols.set_int("max_smem_optin", limits.max_smem_optin);
  symbols.set_int("l2_bytes", limits.l2_bytes);
}

device_limits device_limits_from(const device_info& device) {
  device_limits limits;
  limits.num_sms = device.sm_count;
  limits.cc = device.cc_major * 10 + device.cc_minor;
  limits.max_smem_optin = static_cast<std::int64_t>(device.max_smem_optin_bytes);
  limits.l2_bytes = static_cast<std::int64_t>(device.l2_bytes);
  limits.max_cluster_size = limits.cc >= 90 ? 8 : 1;
  return limits;
}

std::vector<std::string> kernel_names(const launch_plan& plan) {
  std::vector<std::string> names;
  for (const plan_step& step : plan.steps) {
    if (step.kind == step_kind::launch && std::find(names.begin(), names.end(), step.kernel) == names.end()) {
      names.push_back(step.kernel);
    }
  }
  return names;
}

std::vector<kernel_smem> max_dyn_smem_per_kernel(const resolved_plan& plan) {
  std::vector<kernel_smem> out;
  for (const resolved_step& step : plan.steps) {
    if (step.kind != step_kind::launch) continue;
    const auto found =
        std::find_if(out.begin(), out.end(), [&](const kernel_smem& k) { return k.kernel == step.kernel; });
    if (found == out.end()) {
      out.push_back({step.kernel, step.dyn_smem});
    } else {
      found->max_dyn_smem = std::max(found->max_dyn_smem, step.dyn_smem);
    }
  }
  return out;
}

}  // namespace ksearch::eval
