#include "ksearch/eval/plan/definition_plan.h"

#include <cmath>

namespace ksearch::eval {

result<plan_interface> plan_interface_for(const tasks::definition& def) {
  plan_interface iface;
  for (const tasks::tensor_spec& t : def.inputs) {
    if (t.is_scalar()) {
      auto type = scalar_type_from_dtype(t.dtype);
      if (!type) {
        return fail(def.name + ": inputs." + t.name, "scalar of dtype " + t.dtype + " has no kernel-parameter type",
                    "use int32, int64, float32 or float64 for scalar inputs");
      }
      iface.scalar_inputs.emplace_back(t.name, *type);
    } else {
      iface.tensor_inputs.push_back(t.name);
    }
  }
  for (const tasks::tensor_spec& t : def.outputs) iface.tensor_outputs.push_back(t.name);
  for (const tasks::axis& a : def.axes) iface.axes.push_back(a.name);
  return iface;
}

result<symbol_table> plan_symbols(const tasks::definition& def, const tasks::workload& w) {
  symbol_table symbols;
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

}  // namespace ksearch::eval
