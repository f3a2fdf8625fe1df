#include "ksearch/bench/plan_launches.h"

#include "ksearch/eval/plan/definition_plan.h"

namespace ksearch::bench {

result<std::vector<std::string>> launched_kernels(const tasks::definition& def, const std::string& plan_json,
                                                  const tasks::workload& w, const eval::device_limits& limits) {
  auto iface = eval::plan_interface_for(def);
  if (!iface) return std::unexpected(iface.error());
  auto plan = eval::parse_launch_plan_text(plan_json, *iface);
  if (!plan) return std::unexpected(plan.error());
  auto symbols = eval::plan_symbols(def, w);
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
