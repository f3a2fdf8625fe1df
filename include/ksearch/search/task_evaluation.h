// ksearch/search/task_evaluation.h — what every GPU task backend (FlashInfer, GPUMode, KernelBench) shares.
//
//   - evaluate_candidate: the route every backend's evaluate() takes: solution_code_of reads
//     kernel.cu + launch.json (unreadable_candidate: the COMPILE_ERROR when it cannot), then
//     compile-only mode or the backend's own GPU evaluation in the pool;
//   - compile_only_evaluation: a candidate compiled with NVRTC for a named GPU's architecture (in a
//     child process bounded in time and memory, eval/compile/bounded_compile.h) and its launch plan
//     parsed against the definition, with no GPU; COMPILED or COMPILE_ERROR, never PASSED (lets a
//     search's prompts, parsing and persistence run on a laptop or in CI).
//   - start_reporting_pool: the isolated evaluation workers, one per GPU
//     (eval/isolation/evaluation_pool.h), whose progress lines ("compiling", "workload K/N ...")
//     become detail() of the caller's step (lazy_pool starts them on first use, once, whichever
//     thread asks first);
//   - prompt_definition_text: the definition as the LLM reads it, followed by
//     <dataset>/notes/<definition>.md (the contract for these shapes, the hints a kernel engineer
//     would give) when the dataset has one;
//   - trace_workloads: the workloads as FlashInfer Trace workload objects by uuid, for the traces;
//   - evaluation phases: evaluations run one after another for one candidate (GPUMode's test then
//     benchmark shapes, KernelBench's correctness trials then its timed inputs), stopping at the
//     first that fails, with the geometric mean of the timed phases' latencies.
//
// Thread-safety: functions, safe to call from several threads at once (run_phases on one pool
// too: the pool shares its workers); lazy_pool::get likewise. Progress reaches the observer from
// the evaluating threads, so it must accept detail() from any thread (search/activity.h). The
// observer must outlive the service (a stopping worker may report).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/eval/compile/bounded_compile.h"
#include "ksearch/eval/eval_request.h"
#include "ksearch/eval/isolation/evaluation_pool.h"
#include "ksearch/search/activity.h"
#include "ksearch/search/search_task.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::search {

[[nodiscard]] result<evaluation_outcome> compile_only_evaluation(const tasks::definition& def,
                                                                   const eval::solution_code& code,
                                                                   const std::string& target_gpu,
                                                                   const eval::compile_limits& limits,
                                                                   activity_observer& activity);

[[nodiscard]] result<std::unique_ptr<eval::evaluation_pool>> start_reporting_pool(eval::evaluation_pool_options options,
                                                                               activity_observer& activity);

/// A task's evaluation workers, started with start_reporting_pool on first use (a backend starts
/// no worker before its first evaluation). get() may be called from several threads at once: the
/// first starts the pool while the others wait for it; after a failed start the next call tries
/// again. The pool lives as long as this object.
class lazy_pool {
 public:
  lazy_pool(eval::evaluation_pool_options options, activity_observer& activity)
      : options_(std::move(options)), activity_(activity) {}
  lazy_pool(const lazy_pool&) = delete;
  lazy_pool& operator=(const lazy_pool&) = delete;

  [[nodiscard]] result<eval::evaluation_pool*> get();

 private:
  eval::evaluation_pool_options options_;
  activity_observer& activity_;
  std::mutex lock_;  // held while the pool starts
  std::unique_ptr<eval::evaluation_pool> pool_;
};

/// A ksearch CUDA solution's kernel.cu and launch.json; the error names the solution.
[[nodiscard]] result<eval::solution_code> solution_code_of(const tasks::solution& s);

/// The evaluation of a candidate whose files cannot be read as device code and a plan
/// (solution_code_of failed): COMPILE_ERROR with the reason as feedback.
[[nodiscard]] evaluation_outcome unreadable_candidate(const error& why);

/// What a GPU backend's evaluate() does around its own evaluation, the same for every backend.
struct candidate_route {
  const tasks::definition& definition;
  bool compile_only = false;
  const std::string& target_gpu;  // compile-only mode's architecture
  const eval::compile_limits& compile_limits;  // compile-only mode's bounded compile (GPU requests carry theirs)
  activity_observer& activity;
  lazy_pool& pool;
};
using gpu_evaluation_fn =
    std::function<result<evaluation_outcome>(eval::evaluation_pool& pool, const eval::solution_code& code)>;
/// A candidate without readable kernel.cu + launch.json is a COMPILE_ERROR, compile-only mode
/// compiles it for `route.target_gpu`; otherwise `on_gpu` evaluates it in the pool, started on
/// first use (an error when it cannot start).
[[nodiscard]] result<evaluation_outcome> evaluate_candidate(const tasks::solution& candidate,
                                                            const candidate_route& route,
                                                            const gpu_evaluation_fn& on_gpu);

[[nodiscard]] std::string prompt_definition_text(const std::filesystem::path& dataset_root, const tasks::definition& def);

[[nodiscard]] std::map<std::string, json> trace_workloads(const std::vector<tasks::workload>& workloads);

/// One evaluation of a candidate's: a name ("tests", "benchmarks", "trials", "perf") and its request.
struct evaluation_phase {
  std::string name;
  eval::eval_request request;
};

struct phased_outcome {
  std::vector<std::pair<std::string, eval::eval_result>> phases;  // in order; stops at the first failure
  tasks::evaluation_status status = tasks::evaluation_status::passed;
  std::string log;                          // the failing phase's log
  std::optional<double> geomean_ms;         // candidate, over the timed workloads' means (all passed)
  std::optional<double> reference_geomean_ms;
  [[nodiscard]] bool passed() const { return status == tasks::evaluation_status::passed; }
};

/// A candidate's request split by workload into a check-only request (nothing timed) and the
/// request of the workloads `is_timed` picks, both compared with `comparator` at `tolerance`
/// (atol = rtol) and every element required to match; the caller sets the timed one's timing.
struct checked_and_timed {
  eval::eval_request checked;
  eval::eval_request timed;
};
[[nodiscard]] checked_and_timed split_checked_and_timed(const eval::eval_request& base,
                                                        bool (*is_timed)(const std::string& uuid),
                                                        const std::string& comparator, double tolerance);

/// Runs the phases in order in `pool`; an error only when the harness cannot evaluate.
[[nodiscard]] result<phased_outcome> run_phases(eval::evaluation_pool& pool, const std::vector<evaluation_phase>& phases);

/// exp(mean(log x)); nullopt when `values` is empty or holds a value <= 0.
[[nodiscard]] std::optional<double> geometric_mean(std::span<const double> values);

}  // namespace ksearch::search
