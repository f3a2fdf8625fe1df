// ksearch/eval/evaluator.h — checks and times one candidate against a reference on a GPU.
//
// An evaluation takes a definition, its workloads, a reference solution and a candidate solution
// (each device code plus a launch plan, docs/candidate-contract.md) and, per workload:
//   1. compiles both (NVRTC, includes checked) and resolves both plans for the workload;
//   2. for each of `correctness_trials` seeds: draws the inputs (fixed ones, the index arrays of
//      tasks/fixed_inputs.h, stay as the workload gives them), runs the reference, fills the
//      candidate's outputs with NaN bytes, runs the candidate, checks the inputs are unchanged
//      (checksums) and compares every output (FlashInfer rule, or allclose);
//   3. times the candidate and the reference on the same inputs (config.clock: CUPTI or CUDA events; cold L2, adaptive);
//   4. checks the output of the last timed call too (a kernel that only works the first time, or
//      caches its result, fails here) and compares the time with the roofline floor of writing
//      the outputs (faster than physics fails as INCORRECT_NUMERICAL, suspicious).
// The reference is either native (device code + plan, timed like the candidate) or the
// definition's own Python reference run by the PyTorch oracle (eval/reference_oracle.h), which
// returns the outputs and times itself with CUDA events and the same cold L2.
// Random inputs are drawn from the distribution the workload names (tasks/value_distribution.h;
// the dtype's default otherwise). With the oracle as reference, random inputs of 256 MiB and more
// (a paged KV cache, MoE weights) are drawn from a seed of the definition and input name only: the
// same values in every trial and workload, so the oracle receives them once (a large fixed input,
// read from a blob, once per workload); the query-side inputs still change per trial. With a
// native reference every random input changes per trial.
// Two modes for GPUMode (eval_config): time_candidate = false stops after step 2 (the test
// shapes are checked, not timed); recheck draws fresh inputs before every timed call (untimed),
// computes the reference's outputs for them and checks each call's output (leaderboard mode).
// The first failing workload ends the evaluation. A candidate's failure is an eval_result; an
// error is returned only when the harness itself cannot work (the reference fails, no device).
//
// evaluator runs inside the worker process (a CUDA fault poisons the context; see
// eval/worker_process.h): after a RUNTIME_ERROR the caller must not reuse this evaluator.
// Progress goes to stderr, which the worker's parent reads, one line per step, each written whole
// by one write(2): "ksearch-progress: compiling" before the compilation, then
// "ksearch-progress: workload K/N <uuid>" before workload K of N (progress_marker below;
// evaluation_service_options::on_progress receives the text after it). Being worker output, they
// are also in the output tail a crash or timeout carries, where they say which workload it was.
//
// Thread-safety: one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ksearch/common/error.h"
#include "ksearch/eval/eval_result.h"
#include "ksearch/eval/launch_plan.h"
#include "ksearch/eval/timing_clock.h"
#include "ksearch/eval/timing_stats.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::eval {

struct solution_code {
  std::string name;
  std::string source;     // kernel.cu
  std::string plan_json;  // launch.json text
};

struct eval_config {
  int correctness_trials = 3;             // input sets with different seeds per workload
  std::uint64_t seed = 20261121;          // base seed; trial t of workload w uses hash(seed, w.uuid, t)
  std::string comparator = "flashinfer";  // "flashinfer" (tasks-spec §3.2), "allclose" (§4.4) or
                                          // "allclose_candidate" (KernelBench §5.2: rtol scales |candidate|)
  double atol = 1e-2;
  double rtol = 1e-2;
  double required_matched_ratio = 1.0;    // 0.95 for FP8 MoE
  bool time_reference = true;
  bool time_candidate = true;             // false: correctness trials only (GPUMode's test shapes), no latency
  bool recheck = false;                   // every timed call on fresh inputs, each output checked (GPUMode leaderboard)
  bool flush_l2 = true;
  timing_clock clock = timing_clock::cupti;  // GPUMode and KernelBench time with CUDA events, as upstream
  criterion_params timing;                // stopping rule for the timed samples
  double peak_bandwidth_bytes_per_s = 0;  // roofline floor; 0: from the device (see evaluator.cc)
};

/// The definition's Python reference as the reference, run with PyTorch (eval/reference_oracle.h).
struct oracle_reference {
  std::string python = "python3";
  std::string script;            // tasks/oracle/oracle_server.py
  double call_timeout_s = 600;   // one reference call, with its timing
};

struct eval_request {
  tasks::definition definition;
  std::vector<tasks::workload> workloads;
  solution_code reference;                 // unused when `oracle` is set
  solution_code candidate;
  eval_config config;
  std::optional<oracle_reference> oracle;  // set: the expected outputs come from the Python reference
  std::string dataset_root;  // where workloads' safetensors blobs are; "" when they have none
};

/// What starts each progress line the evaluator writes to stderr (see above).
inline constexpr std::string_view progress_marker = "ksearch-progress: ";

/// Inputs at least this large are drawn once per definition when the oracle is the reference (see above) [bytes].
inline constexpr std::size_t shared_input_bytes = std::size_t{256} << 20;

/// The request as the worker protocol carries it. The definition travels as JSON text, so its
/// input order (the call signature) survives any JSON library's key ordering.
[[nodiscard]] nlohmann::json to_json(const eval_request& request);
[[nodiscard]] result<eval_request> eval_request_from_json(const nlohmann::json& doc);

/// The launch plan's view of `def`: its tensor inputs, scalar inputs (with their kernel-parameter
/// types), outputs and axes. Fails for a scalar input whose dtype cannot be passed by value.
[[nodiscard]] result<plan_interface> plan_interface_for(const tasks::definition& def);
/// The symbols a plan reads for workload `w`: every axis (ints), and every scalar input's value (a
/// float for float dtypes, else an int). Error: a scalar input the workload gives no value for
/// (subject: the workload and input).
[[nodiscard]] result<symbol_table> plan_symbols(const tasks::definition& def, const tasks::workload& w);

class evaluator {
 public:
  /// Retains device `ordinal`'s primary context, makes it current and prepares the input
  /// generator and the timer.
  [[nodiscard]] static result<std::unique_ptr<evaluator>> create(int ordinal);
  ~evaluator();
  evaluator(const evaluator&) = delete;
  evaluator& operator=(const evaluator&) = delete;

  [[nodiscard]] result<eval_result> evaluate(const eval_request& request);

 private:
  struct session;
  explicit evaluator(std::unique_ptr<session> s);
  std::unique_ptr<session> session_;
};

}  // namespace ksearch::eval
