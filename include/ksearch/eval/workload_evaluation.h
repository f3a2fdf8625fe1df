// ksearch/eval/workload_evaluation.h — one workload of an evaluation, in named steps.
//
// evaluate_workload checks and times a loaded candidate on one workload against the reference,
// in the steps eval/evaluator.h lists:
//   resolve      both plans for the workload's axes and scalars;
//   allocate     one set of tensor inputs shared by both solutions (fixed ones uploaded once),
//                separate outputs for the reference and the candidate, each solution's workspaces;
//   check        the correctness trials: fresh inputs each (drawn on the GPU), the reference's
//                outputs, the candidate's outputs poisoned (0xFF, NaN in every floating type, and
//                0x5A in turn, so an element it does not write fails), inputs unchanged
//                (checksums), every output compared;
//   time         the candidate on a fresh input set whose reference outputs are computed first and
//                whose outputs are poisoned before the first timed call (recheck: fresh inputs and
//                a checked output for every timed call);
//   check timed  the output of the last timed call: a kernel that replays a cached result, or
//                works only on its first call, leaves wrong or NaN values here;
//   time reference, then physics: the outputs cannot be written faster than peak bandwidth.
// A candidate's failure ends the steps with its workload_result; an error is the harness's.
//
// Thread-safety: one thread (the evaluator's), with the context current.
#pragma once


#include "ksearch/common/error.h"
#include "ksearch/eval/check/input_generator.h"
#include "ksearch/eval/eval_request.h"
#include "ksearch/eval/eval_result.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/gpu_timer.h"
#include "ksearch/eval/loaded_solution.h"
#include "ksearch/eval/reference_oracle.h"

namespace ksearch::eval {

/// Inputs at least this large are drawn once per definition when the oracle is the reference
/// (eval/evaluator.h) [bytes].
inline constexpr std::size_t shared_input_bytes = std::size_t{256} << 20;

/// Everything evaluate_workload needs that stays fixed across the workloads of a request.
struct evaluation_context {
  const cuda_driver& driver;
  const device_info& device;
  const input_generator& generator;
  gpu_timer& timer;
  const eval_request& request;
  const loaded_solution* reference;  // the native reference; null when `oracle` runs it
  reference_oracle* oracle;
  const loaded_solution& candidate;
  double peak_bandwidth;             // for the physics floor [bytes/s]
};

[[nodiscard]] result<workload_result> evaluate_workload(const evaluation_context& ctx, const tasks::workload& w);

/// Device memory bandwidth for the physics floor when the config gives none [bytes/s]: the
/// datasheets' (H100 SXM 3.35 TB/s, H200 4.8 TB/s); anything else gets a generous 8 TB/s, so the
/// check can only be too lenient, never fail an honest kernel.
[[nodiscard]] double default_peak_bandwidth(const device_info& device);

}  // namespace ksearch::eval
