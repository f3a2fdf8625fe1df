#include "ksearch/bench/plan_launches.h"

#include <cmath>

#include "ksearch/eval/evaluator.h"

namespace ksearch::bench {

result<eval::symbol_table> plan_symbols(const tasks::definition& def, const tasks::workload& w) {
  eval::symbol_table symbols;
  for (const auto& [name, value] : w.axes) symbols.set_int(name, value);
  for (const tasks::tensor_spec& t : def.inputs) {
    if (!t.is_scalar()) continue;
    const auto given = w.inputs.find(t.name);
    if (given == w.inputs.end() || given->second.type != tasks::input_source::kind::scalar) {
      return fail("workload " + w.uuid + ": inputs." + t.name, "scalar input without a value",
                  "give it as {\"type\": \"scalar\", \"value\": ...}");
    }
    if (t.dtype.starts_with("float")) {
      symbols.set_float(t.name, given->second.scalar_value);
    } else {
      symbols.set_int(t.name, std::llround(given->second.scalar_value));
    }
  }
  return symbols;
}

result<std::vector<std::string>> launched_kernels(const tasks::definition& def, const std::string& plan_json,
                                                  const tasks::workload& w, const eval::device_limits& limits) {
  auto iface = eval::plan_interface_for(def);
  if (!iface) return std::unexpected(iface.error());
  auto plan = eval::parse_launch_plan_text(plan_json, *iface);
  if (!plan) return std::unexpected(plan.error());
  auto symbols = plan_symbols(def, w);
  if (!symbols) return std::unexpected(symbols.error());
  auto resolved = eval::resolve_launch_plan(*plan, *symbols, limits);
  if (!resolved) return std::unexpected(resolved.error());
  std::vector<std::string> kernels;
  for (const eval::resolved_step& step : resolved->steps) {
    if (step.kind == eval::step_kind::launch) kernels.push_back(step.kernel);
  }
  return kernels;
}

}  // namespace ksearch::bench
