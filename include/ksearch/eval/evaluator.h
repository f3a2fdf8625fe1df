// ksearch/eval/evaluator.h — checks and times one candidate against a reference on a GPU.
//
// An evaluation takes a definition, its workloads, a reference solution and a candidate solution
// (each device code plus a launch plan, docs/candidate-contract.md) and, per workload:
//   1. compiles both (NVRTC in a child process bounded by config.compile, includes checked) and
//      resolves both plans for the workload;
//   2. for each of `correctness_trials` seeds: draws the inputs (fixed ones, the index arrays of
//      tasks/fixed_inputs.h, stay as the workload gives them), runs the reference, fills the
//      candidate's outputs and uninitialised workspaces with poison bytes and every SM's shared
//      memory with NaN bits, runs the candidate, checks the inputs are unchanged (checksums) and
//      compares every output (FlashInfer rule, or allclose);
//   3. times the candidate (config.clock: CUPTI or CUDA events; cold L2, adaptive), each timed
//      call on freshly drawn inputs with poisoned outputs, a random sample of the calls and always
//      the last one checked (a kernel that only works the first time, caches its result or skips
//      calls it guesses are unchecked fails here), then the reference;
//   4. compares the time with the roofline floor of writing the outputs (faster than physics
//      fails as INCORRECT_NUMERICAL, suspicious).
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
// shapes are checked, not timed); recheck checks the output of every timed call, not a sample
// (leaderboard mode).
// The first failing workload ends the evaluation. A candidate's failure is an eval_result; an
// error is returned only when the harness itself cannot work (the reference fails, no device).
// Each workload's steps are eval/workload_evaluation.h's; compiling and loading are
// eval/compile/worker_compiler.h's and eval/loaded_solution.h's.
//
// evaluator runs inside the worker process (a CUDA fault poisons the context; see
// eval/isolation/worker_process.h): after a RUNTIME_ERROR the caller must not reuse this evaluator.
// Progress goes to stderr, which the worker's parent reads, one line per step, each written whole
// by one write(2): "ksearch-progress: compiling" before the compilation, then
// "ksearch-progress: workload K/N <uuid>" before workload K of N (progress_marker, eval_request.h;
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

#include "ksearch/common/error.h"
#include "ksearch/eval/eval_request.h"
#include "ksearch/eval/eval_result.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::eval {

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
