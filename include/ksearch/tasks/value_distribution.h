// ksearch/tasks/value_distribution.h — how a workload's random input is drawn.
//
// FlashInfer Trace workloads say only {"type": "random"}: the dtype's default draw (normal for
// floating types, see eval/check/input_generator.h). Tasks whose inputs are not standard normal (GPUMode
// TriMul's Cauchy activations, 0/1 masks and scaled weights; KernelBench's uniform parameters)
// name a distribution in the same object, a ksearch extension:
//   {"type": "random", "distribution": "normal",  "mean": 0, "std": 0.088}
//   {"type": "random", "distribution": "cauchy",  "loc": 0, "scale": 2}
//   {"type": "random", "distribution": "uniform", "low": -0.1, "high": 0.1}     [low, high)
//   {"type": "random", "distribution": "randint", "low": 0, "high": 2}          integers in [low, high)
//   {"type": "constant", "value": 1}                                            every element
// Omitted parameters take the defaults shown (mean 0, std 1, loc 0, scale 1); low < high is
// required. Values are drawn in float32 and rounded to the input's dtype.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"

namespace ksearch::tasks {

struct value_distribution {
  // The order is the generator kernel's distribution code (eval/check/input_generator.cc).
  enum class kind { standard, normal, cauchy, uniform, randint, constant };
  kind type = kind::standard;
  // normal: mean, std; cauchy: loc, scale; uniform and randint: low, high; constant: value, unused.
  double a = 0;
  double b = 1;

  [[nodiscard]] bool is_standard() const { return type == kind::standard; }
  /// "normal(mean=0, std=0.088)", "cauchy(loc=0, scale=2)", "constant(1)", "standard".
  [[nodiscard]] std::string describe() const;
  friend bool operator==(const value_distribution&, const value_distribution&) = default;
};

/// Reads the distribution of a workload input object (`spec`, whose "type" is "random" or
/// "constant"); `at` names it in errors ("file:3: workload.inputs.x").
[[nodiscard]] result<value_distribution> parse_value_distribution(const ordered_json& spec,
                                                                  const std::string& at);
/// The input object back: {"type": "random"[, "distribution": ..., params]} or {"type": "constant", ...}.
[[nodiscard]] ordered_json to_json(const value_distribution& d);

}  // namespace ksearch::tasks
