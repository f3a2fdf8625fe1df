// ksearch/search/kernelbench_task.h — a KernelBench problem as a search task, judged as KernelBench does.
//
// The problem is imported once into a dataset (search/kernelbench_import.h): its workloads are the
// correctness trials (uuid "trial-K-seed-S", KernelBench's per-trial seeds) and the timed inputs
// ("perf-seed-42"); its reference is the problem's own Model, run with PyTorch by the oracle.
// A candidate is device code plus a launch plan like any other (docs/candidate-contract.md);
// its inputs are forward's arguments, then the module's parameters and buffers.
//
// Two evaluation phases in the isolated worker (docs/task-formats.md, "KernelBench: correctness"
// and "KernelBench: timing and baselines"):
//   trials  every trial's inputs, checked, not timed: shapes, then allclose(ref, out) with
//           atol = rtol = tolerance scaled by the candidate's output (|ref - out| <= tol + tol*|out|),
//           a NaN never equal; tolerance 1e-4 for fp32, 1e-2 for fp16/bf16 (upstream since Nov
//           2025), or --kernelbench-tolerance (1e-2 for the v0.1 protocol);
//   perf    the seed-42 inputs, checked, then exactly perf_trials timed calls of the candidate
//           and of the eager reference, L2 flushed before each (CUDA events), after warm-up.
// The score is the speedup over PyTorch eager (K-Search's); the speedup over torch.compile uses the
// baseline the import timed with the same method. A speedup above 10x is flagged as suspicious
// (KernelBench's reward-hacking rule) in the feedback and the record; the evaluator's roofline
// floor fails a result faster than physics outright.
//
// Thread-safety: evaluate() may be called from several threads at once (search_task.h): the
// workers start once, by the first caller, while the others wait; each candidate then runs its
// phases in order on the shared workers (eval/isolation/evaluation_pool.h). make_kernelbench_task imports
// into the cache folder: one at a time per folder (search/kernelbench_import.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json.h"
#include "ksearch/eval/eval_request.h"
#include "ksearch/eval/isolation/evaluation_pool.h"
#include "ksearch/search/activity.h"
#include "ksearch/search/kernelbench_import.h"
#include "ksearch/search/search_task.h"
#include "ksearch/search/task_evaluation.h"

namespace ksearch::search {

/// Above this speedup over eager a result is flagged (KernelBench's rule).
inline constexpr double kernelbench_suspicious_speedup = 10.0;

/// `given` when set (it must be > 0), else 1e-4 for fp32 and 1e-2 for fp16/bf16. Error: an
/// unknown precision (subject --kernelbench-precision).
[[nodiscard]] result<double> kernelbench_tolerance(const std::string& precision, std::optional<double> given);

/// True for the timed inputs' workload ("perf-..."); the rest are correctness trials.
[[nodiscard]] bool is_kernelbench_perf(const std::string& uuid);

/// The two phases for `base` (definition, workloads, oracle, candidate, dataset root). A phase
/// with no workloads is left out.
[[nodiscard]] std::vector<evaluation_phase> kernelbench_phases(const eval::eval_request& base, double tolerance,
                                                               int perf_trials);

/// The evaluation request for `dataset` and `candidate`: every workload, the oracle as reference.
[[nodiscard]] result<eval::eval_request> kernelbench_request(const kernelbench_dataset& dataset,
                                                             const eval::solution_code& candidate);

/// KernelBench's verdict on one candidate.
struct kernelbench_verdict {
  tasks::evaluation_status status = tasks::evaluation_status::passed;
  bool correct = false;                // every trial (and the perf inputs) matched
  std::optional<double> kernel_ms;     // mean of the timed calls
  std::optional<double> eager_ms;      // the reference's mean, timed alongside
  std::optional<double> compile_ms;    // the import's torch.compile baseline
  std::optional<double> speedup_vs_eager;
  std::optional<double> speedup_vs_compile;
  bool suspicious = false;             // speedup_vs_eager > kernelbench_suspicious_speedup
  std::string log;                     // why it failed

  [[nodiscard]] json to_json() const;
  /// The numbers and flags (as 0/1) by their to_json names, for evaluation_outcome::task_metrics.
  [[nodiscard]] std::map<std::string, double> metrics() const;
};

[[nodiscard]] kernelbench_verdict judge_kernelbench(const phased_outcome& outcome, const kernelbench_dataset& dataset);

struct kernelbench_task_options {
  tasks::kernelbench_problem problem;
  kernelbench_import_options import;   // trials, precision, perf trials, cache
  std::optional<double> tolerance;     // see kernelbench_tolerance
  eval::evaluation_pool_options service;
  bool compile_only = false;
  std::string target_gpu = "H100";
  eval::compile_limits compile_limits;  // every candidate compile's time and memory
  activity_observer* activity = &no_activity();  // never null; must outlive the task
};

/// Imports the problem (or finds it in the cache) and loads its dataset; starts no worker until
/// the first evaluation. Errors name the flag, file or missing package.
[[nodiscard]] result<std::unique_ptr<search_task>> make_kernelbench_task(const kernelbench_task_options& options);

}  // namespace ksearch::search
