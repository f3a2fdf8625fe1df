// ksearch/eval/workload_evaluation.h — one workload of an evaluation, in named steps.
//
// evaluate_workload checks and times a loaded candidate on one workload against the reference,
// in the steps eval/evaluator.h lists:
//   resolve      both plans for the workload's axes and scalars;
//   allocate     one set of tensor inputs shared by both solutions (fixed ones uploaded once),
//                separate outputs for the reference and the candidate, each solution's workspaces;
//   check        the correctness trials: fresh inputs each (drawn on the GPU), the reference's
//                outputs, the candidate's outputs and the workspaces without `init` poisoned (0xFF,
//                NaN in every floating type, and 0x5A in turn, so an element it does not write
//                fails), every SM's shared memory filled with NaN bits (eval/gpu/shared_memory_scrub.h,
//                so a read of a slot it never wrote fails every time), inputs unchanged
//                (checksums), every output compared;
//   time         the warm-up on one fresh input set, then every timed call on inputs of its own
//                (each drawn afresh with its own seed, except fixed inputs and those shared with
//                the oracle) and with its outputs poisoned, both queued before the call and outside
//                its measured span. After a call has finished, it is checked with probability
//                timed_check_probability (up to max_timed_checks; every call with recheck): its
//                output against the reference's for its inputs, the inputs not drawn afresh
//                against their checksums. A kernel that skips work when its inputs look unchanged,
//                when its output already looks right, or when calls come back to back is then
//                either timed at its real cost or caught with a poisoned output; it cannot tell a
//                checked call, since the choice is made after the call;
//   check timed  the last timed call, always;
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
#include "ksearch/eval/gpu/shared_memory_scrub.h"
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
  const shared_memory_scrub& scrub;
  const eval_request& request;
  const loaded_solution* reference;  // the native reference; null when `oracle` runs it
  reference_oracle* oracle;
  const loaded_solution& candidate;
  double peak_bandwidth;             // for the physics floor [bytes/s]
};

[[nodiscard]] result<workload_result> evaluate_workload(const evaluation_context& ctx, const tasks::workload& w);

/// Device memory bandwidth for the physics floor when the config gives none [bytes/s]: the
/// driver's (memory clock x bus width), else the datasheets' (H100 SXM 3.35 TB/s, H200 4.8 TB/s);
/// anything else gets a generous 8 TB/s, so the check can only be too lenient, never fail an
/// honest kernel.
[[nodiscard]] double default_peak_bandwidth(const device_info& device);

}  // namespace ksearch::eval
