#include "ksearch/eval/plan/launch_plan.h"

// Resolving evaluates a parsed plan for one workload, in plan order (lets, workspaces, steps), on a
// copy of the workload's symbols, and stops at the first problem: later values depend on earlier
// ones.

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

#include "ksearch/common/text.h"
#include "ksearch/eval/check/dtype.h"

namespace ksearch::eval {

namespace {

constexpr std::string_view make_int_fix = "use floor(), ceil() or round() to turn a float into an int";
constexpr std::array<std::string_view, 3> dim_names{"x", "y", "z"};


result<plan_value> evaluate_at(const expression& expr, const std::string& path, const symbol_table& symbols) {
  auto value = expr.evaluate(symbols);
  if (!value) return fail(path, value.error().problem, value.error().fix);
  return value;
}

result<std::int64_t> evaluate_int(const expression& expr, const std::string& path, const symbol_table& symbols) {
  auto value = evaluate_at(expr, path, symbols);
  if (!value) return std::unexpected(value.error());
  if (value->is_float) {
    return fail(path, "a float (" + value->to_string() + ") where an int is needed", std::string(make_int_fix));
  }
  return value->i;
}

std::string times(const std::array<std::int64_t, 3>& dims) {
  return std::to_string(dims[0]) + " x " + std::to_string(dims[1]) + " x " + std::to_string(dims[2]);
}

std::string times(const std::array<std::uint32_t, 3>& dims) {
  return std::to_string(dims[0]) + " x " + std::to_string(dims[1]) + " x " + std::to_string(dims[2]);
}

// Grid, block or cluster sizes: 1..3 ints, each >= 1 and <= its limit; missing ones are 1.
result<std::array<std::int64_t, 3>> resolve_dims(const std::vector<expression>& exprs, const std::string& path,
                                                 std::string_view what, const std::array<std::int64_t, 3>& limit,
                                                 const symbol_table& symbols) {
  std::array<std::int64_t, 3> dims{1, 1, 1};
  for (std::size_t d = 0; d < exprs.size(); ++d) {
    const std::string dim_path = indexed(path, d);
    auto value = evaluate_int(exprs[d], dim_path, symbols);
    if (!value) return std::unexpected(value.error());
    const std::string label = std::string(what) + " " + std::string(dim_names[d]);
    if (*value < 1) return fail(dim_path, label + " is " + std::to_string(*value) + "; dimensions must be at least 1");
    if (*value > limit[d]) {
      return fail(dim_path,
                  label + " is " + std::to_string(*value) + ", over the device limit " + std::to_string(limit[d]));
    }
    dims[d] = *value;
  }
  return dims;
}

std::array<std::uint32_t, 3> narrow(const std::array<std::int64_t, 3>& dims) {
  return {static_cast<std::uint32_t>(dims[0]), static_cast<std::uint32_t>(dims[1]),
          static_cast<std::uint32_t>(dims[2])};
}

template <class T>
void store_bytes(resolved_arg& arg, T value) {
  static_assert(sizeof(T) <= 8);
  std::memcpy(arg.bytes.data(), &value, sizeof(T));
}

result<resolved_arg> resolve_scalar(const plan_arg& arg, const std::string& path, const symbol_table& symbols) {
  auto value = evaluate_at(*arg.value, path, symbols);
  if (!value) return std::unexpected(value.error());
  resolved_arg out;
  out.kind = arg_kind::scalar;
  out.type = arg.type;
  const std::string type_name(to_string(arg.type));
  const bool wants_int = arg.type != scalar_type::f32 && arg.type != scalar_type::f64;
  if (wants_int && value->is_float) {
    return fail(path, "a float (" + value->to_string() + ") where " + type_name + " is needed",
                std::string(make_int_fix));
  }
  const auto out_of_range = [&]() { return fail(path, value->to_string() + " does not fit " + type_name); };
  switch (arg.type) {
    case scalar_type::i32:
      if (value->i < std::numeric_limits<std::int32_t>::min() || value->i > std::numeric_limits<std::int32_t>::max())
        return out_of_range();
      store_bytes(out, static_cast<std::int32_t>(value->i));
      out.value = *value;
      break;
    case scalar_type::i64:
      store_bytes(out, value->i);
      out.value = *value;
      break;
    case scalar_type::u32:
      if (value->i < 0 || value->i > std::int64_t{std::numeric_limits<std::uint32_t>::max()}) return out_of_range();
      store_bytes(out, static_cast<std::uint32_t>(value->i));
      out.value = *value;
      break;
    case scalar_type::u64:
      if (value->i < 0) return out_of_range();
      store_bytes(out, static_cast<std::uint64_t>(value->i));
      out.value = *value;
      break;
    case scalar_type::f32: {
      const double x = value->as_double();
      if (std::fabs(x) > static_cast<double>(FLT_MAX)) return out_of_range();
      const auto narrowed = static_cast<float>(x);
      store_bytes(out, narrowed);
      out.value = plan_value::of_float(static_cast<double>(narrowed));
      break;
    }
    case scalar_type::f64: {
      const double x = value->as_double();
      store_bytes(out, x);
      out.value = plan_value::of_float(x);
      break;
    }
  }
  return out;
}

result<resolved_workspace> resolve_workspace(const plan_workspace& workspace, const std::string& path,
                                             const symbol_table& symbols, const device_limits& limits) {
  resolved_workspace out{workspace.name, 0, workspace.init};
  std::string field;
  if (workspace.bytes) {
    field = path + ".bytes";
    auto bytes = evaluate_int(*workspace.bytes, field, symbols);
    if (!bytes) return std::unexpected(bytes.error());
    out.bytes = *bytes;
  } else {
    field = path + ".shape";
    std::int64_t total = static_cast<std::int64_t>(workspace.element_bytes);
    std::string shown;
    for (std::size_t d = 0; d < workspace.shape.size(); ++d) {
      auto extent = evaluate_int(workspace.shape[d], indexed(field, d), symbols);
      if (!extent) return std::unexpected(extent.error());
      if (*extent < 0)
        return fail(indexed(field, d), "dimension is " + std::to_string(*extent) + "; it must not be negative");
      shown += (d > 0 ? " x " : "") + std::to_string(*extent);
      if (__builtin_mul_overflow(total, *extent, &total)) {
        return fail(field, "int64 overflow: " + shown + " elements of " + workspace.dtype);
      }
    }
    out.bytes = total;
  }
  if (out.bytes < 1) {
    return fail(field, std::to_string(out.bytes) + " bytes; a workspace needs at least 1 byte",
                "size it with max(1, ...) or drop the workspace");
  }
  if (out.bytes > limits.max_workspace_bytes) {
    return fail(field, std::to_string(out.bytes) + " bytes, over the limit of " +
                           std::to_string(limits.max_workspace_bytes) + " bytes per workspace");
  }
  return out;
}

result<resolved_step> resolve_launch(const plan_step& step, std::size_t index, const symbol_table& symbols,
                                     const device_limits& limits) {
  const std::string path = indexed("steps", index);
  resolved_step out;
  out.kind = step_kind::launch;
  out.plan_step = index;
  out.kernel = step.kernel;
  out.cooperative = step.cooperative;

  auto grid = resolve_dims(step.grid, path + ".grid", "grid", limits.max_grid, symbols);
  if (!grid) return std::unexpected(grid.error());
  auto block = resolve_dims(step.block, path + ".block", "block", limits.max_block, symbols);
  if (!block) return std::unexpected(block.error());
  const std::int64_t threads = (*block)[0] * (*block)[1] * (*block)[2];
  if (threads > limits.max_threads_per_block) {
    return fail(path + ".block", times(*block) + " = " + std::to_string(threads) + " threads, over the device limit " +
                                     std::to_string(limits.max_threads_per_block));
  }
  out.grid = narrow(*grid);
  out.block = narrow(*block);

  if (!step.cluster.empty()) {
    // Before Hopper any cluster dimension above 1 is the problem, whatever max_cluster_size says.
    const bool clusters_supported = limits.cc >= 90;
    const std::int64_t most = clusters_supported ? std::max<std::int64_t>(limits.max_cluster_size, 1)
                                                 : std::numeric_limits<std::int64_t>::max();
    auto cluster = resolve_dims(step.cluster, path + ".cluster", "cluster", {most, most, most}, symbols);
    if (!cluster) return std::unexpected(cluster.error());
    if (!clusters_supported && std::any_of(cluster->begin(), cluster->end(), [](std::int64_t d) { return d > 1; })) {
      return fail(path + ".cluster", "thread block clusters need compute capability 9.0 or newer; this device is " +
                                         std::to_string(limits.cc / 10) + "." + std::to_string(limits.cc % 10));
    }
    const std::int64_t blocks = (*cluster)[0] * (*cluster)[1] * (*cluster)[2];
    if (blocks > limits.max_cluster_size) {
      return fail(path + ".cluster", times(*cluster) + " = " + std::to_string(blocks) +
                                         " blocks, over the device limit " + std::to_string(limits.max_cluster_size));
    }
    for (std::size_t d = 0; d < 3; ++d) {
      if ((*grid)[d] % (*cluster)[d] != 0) {
        return fail(
            path + ".cluster", "grid " + times(*grid) + " is not divisible by cluster " + times(*cluster),
            "round the grid up to a multiple of the cluster, e.g. round_up(n, " + std::to_string((*cluster)[d]) + ")");
      }
    }
    out.cluster = narrow(*cluster);
  }

  if (step.dyn_smem) {
    auto smem = evaluate_int(*step.dyn_smem, path + ".dyn_smem", symbols);
    if (!smem) return std::unexpected(smem.error());
    if (*smem < 0) return fail(path + ".dyn_smem", std::to_string(*smem) + " bytes; it must not be negative");
    const std::int64_t limit = std::min<std::int64_t>(limits.max_smem_optin, std::numeric_limits<std::uint32_t>::max());
    if (*smem > limit) {
      return fail(path + ".dyn_smem", std::to_string(*smem) + " bytes, over the device's opt-in limit of " +
                                          std::to_string(limit) + " bytes (max_smem_optin)");
    }
    out.dyn_smem = static_cast<std::uint32_t>(*smem);
  }

  for (std::size_t k = 0; k < step.args.size(); ++k) {
    const plan_arg& arg = step.args[k];
    if (arg.kind != arg_kind::scalar) {
      out.args.push_back(resolved_arg{arg.kind, arg.index, scalar_type::i32, {}, {}});
      continue;
    }
    const std::string arg_path =
        indexed(path + ".args", k) + (arg.by_name ? "" : "." + std::string(to_string(arg.type)));
    auto scalar = resolve_scalar(arg, arg_path, symbols);
    if (!scalar) return std::unexpected(scalar.error());
    out.args.push_back(*scalar);
  }
  return out;
}

std::string arg_text(const resolved_arg& arg, const launch_plan& source) {
  const auto name = [](const std::vector<std::string>& list, int index) {
    return index >= 0 && static_cast<std::size_t>(index) < list.size() ? list[static_cast<std::size_t>(index)] : "?";
  };
  switch (arg.kind) {
    case arg_kind::input:
      return name(source.iface.tensor_inputs, arg.index);
    case arg_kind::output:
      return name(source.iface.tensor_outputs, arg.index);
    case arg_kind::workspace:
      return arg.index >= 0 && static_cast<std::size_t>(arg.index) < source.workspaces.size()
                 ? source.workspaces[static_cast<std::size_t>(arg.index)].name
                 : "?";
    case arg_kind::scalar:
      return std::string(to_string(arg.type)) + " " + arg.value.to_string();
  }
  return "?";
}

std::string byte_text(std::uint8_t value) {
  static constexpr std::string_view hex = "0123456789abcdef";
  return std::string("0x") + hex[value >> 4] + hex[value & 0xf];
}

}  // namespace

result<resolved_plan> resolve_launch_plan(const launch_plan& plan, const symbol_table& workload_symbols,
                                          const device_limits& limits) {
  // 1. Symbols: the workload's axes and scalars (all must be there), then the device facts.
  symbol_table symbols = workload_symbols;
  add_device_facts(symbols, limits);
  const std::string fix = "the harness must set every axis and scalar input of the definition";
  for (const std::string& axis : plan.iface.axes) {
    if (!symbols.contains(axis)) return fail("workload symbols", "no value for axis '" + axis + "'", fix);
  }
  for (const auto& [name, type] : plan.iface.scalar_inputs) {
    if (!symbols.contains(name)) return fail("workload symbols", "no value for scalar input '" + name + "'", fix);
  }

  // 2. Lets, in order; each may read the ones before it.
  resolved_plan out;
  for (std::size_t i = 0; i < plan.lets.size(); ++i) {
    const plan_let& let = plan.lets[i];
    auto value = evaluate_at(let.value, indexed("let", i) + "." + let.name, symbols);
    if (!value) return std::unexpected(value.error());
    symbols.set(let.name, *value);
    out.lets.emplace_back(let.name, *value);
  }

  // 3. Workspaces.
  for (std::size_t w = 0; w < plan.workspaces.size(); ++w) {
    auto workspace = resolve_workspace(plan.workspaces[w], indexed("workspaces", w), symbols, limits);
    if (!workspace) return std::unexpected(workspace.error());
    out.workspaces.push_back(std::move(*workspace));
  }

  // 4. Steps whose `when` holds.
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const plan_step& step = plan.steps[i];
    if (step.when) {
      auto when = evaluate_at(*step.when, indexed("steps", i) + ".when", symbols);
      if (!when) return std::unexpected(when.error());
      if (!when->truthy()) continue;
    }
    if (step.kind == step_kind::memset) {
      resolved_step memset;
      memset.kind = step_kind::memset;
      memset.plan_step = i;
      memset.target_kind = step.target_kind;
      memset.target_index = step.target_index;
      memset.value = step.value;
      out.steps.push_back(std::move(memset));
      continue;
    }
    auto launch = resolve_launch(step, i, symbols, limits);
    if (!launch) return std::unexpected(launch.error());
    out.steps.push_back(std::move(*launch));
  }
  if (out.steps.empty()) {
    return fail("steps", "every step is skipped by its 'when' on this workload, so nothing would write the outputs",
                "make sure at least one launch runs for every workload");
  }
  return out;
}

std::string describe_resolved_plan(const resolved_plan& plan, const launch_plan& source) {
  std::string text;
  for (const auto& [name, value] : plan.lets) text += "let " + name + " = " + value.to_string() + "\n";
  for (const resolved_workspace& workspace : plan.workspaces) {
    text += "workspace " + workspace.name + ": " + std::to_string(workspace.bytes) + " bytes, init " +
            (workspace.init ? byte_text(*workspace.init) : std::string("none")) + "\n";
  }
  for (const resolved_step& step : plan.steps) {
    text += "steps[" + std::to_string(step.plan_step) + "] ";
    if (step.kind == step_kind::memset) {
      resolved_arg target{step.target_kind, step.target_index, scalar_type::i32, {}, {}};
      text += "memset " + arg_text(target, source) + " to " + byte_text(step.value) + "\n";
      continue;
    }
    text += step.kernel + ": grid " + times(step.grid) + ", block " + times(step.block);
    if (step.cluster != std::array<std::uint32_t, 3>{1, 1, 1}) text += ", cluster " + times(step.cluster);
    text += ", dyn_smem " + std::to_string(step.dyn_smem);
    if (step.cooperative) text += ", cooperative";
    std::vector<std::string> args;
    for (const resolved_arg& arg : step.args) args.push_back(arg_text(arg, source));
    text += ", args (" + join(args) + ")\n";
  }
  return text;
}

}  // namespace ksearch::eval
