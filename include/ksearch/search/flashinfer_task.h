// ksearch/search/flashinfer_task.h — a FlashInfer Trace definition as a search task.
//
// The task reads a definition, its workloads and a reference from a dataset folder and evaluates
// candidates against the reference in an isolated worker (eval/isolation/evaluation_service.h). The
// reference is a native CUDA solution of the dataset (<definition>_reference, or the one named),
// else the definition's own Python reference run with PyTorch by the oracle
// (eval/reference_oracle.h); every report says which.
// The workloads the search sees are chosen deterministically — the UUIDs given, else the first N
// in file order — and recorded in the run's metadata, so a resumed run scores on the same ones
// (the original drew a random subset each time).
//
// Score, set only when every workload passed: with --baseline-solution, K-Search's mean
// vs-baseline factor over those workloads (score_name "mean_vs_baseline", search/baseline.h),
// else the mean speedup over the reference ("mean_speedup_vs_ref").
// The workloads, unless given: the dataset's feedback_workloads.json entry for the definition
// (the bundled one holds K-Search's), else the first max_workloads in file order.
//
// Compile-only mode needs no GPU: each candidate is compiled with NVRTC for --target-gpu's
// architecture and its launch plan is checked; the result is COMPILED or COMPILE_ERROR, never
// PASSED. It lets a search's prompts, parsing and persistence run on a laptop or in CI.
//
// Progress: the worker's steps (compiling, workload K/N) go to the options' activity observer as
// detail() of the step the caller began ("round 3: evaluating"); compile-only mode reports
// "compiling". The observer must outlive the task (a worker stopping may still report), and
// accept detail() from the evaluating threads.
//
// Thread-safety: evaluate() may be called from several threads at once (search_task.h): the
// workers start and the baseline is measured once, by the first caller, while the others wait;
// then the evaluations share the workers (eval/isolation/evaluation_pool.h). baseline_targets_text() may
// measure the baseline too, under the same lock.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/eval_request.h"
#include "ksearch/eval/isolation/evaluation_pool.h"
#include "ksearch/search/activity.h"
#include "ksearch/search/search_task.h"
#include "ksearch/search/task_evaluation.h"
#include "ksearch/tasks/definition.h"
#include "ksearch/tasks/solution.h"

namespace ksearch::search {

struct flashinfer_task_options {
  std::filesystem::path dataset_root;
  std::string definition;
  std::string reference_solution;           // see choose_reference
  std::vector<std::string> workload_uuids;  // empty: the first max_workloads in file order
  int max_workloads = 5;                    // 0 = all
  eval::eval_config config;
  eval::evaluation_pool_options service;   // one worker per device in service.devices
  bool compile_only = false;
  std::string target_gpu = "H100";          // compile-only: which architecture to compile for
  eval::compile_limits compile_limits;      // every candidate compile's time and memory
  bool dataset_feedback_defaults = true;    // no UUIDs given: use the dataset's feedback_workloads.json
  std::string baseline_solution;            // "" = none; a dataset solution's name or a .json path
  std::string gpu_name;                     // the device's name, to match the dataset's traces
  activity_observer* activity = &no_activity();  // receives evaluation progress; never null
};

/// The share of output elements that must be within tolerance: 0.95 for FP8 block-scale MoE
/// definitions (FlashInfer-Bench's low-bit evaluator, docs/task-formats.md, "FlashInfer-Bench:
/// correctness"), else every element.
[[nodiscard]] double required_matched_ratio(std::string_view definition_name);


/// Where an evaluation's expected outputs come from: exactly one of the two is set.
struct reference_choice {
  std::optional<tasks::solution> native;
  std::optional<eval::oracle_reference> oracle;
  /// "solution NAME" or "oracle: the definition's Python reference (PyTorch)".
  [[nodiscard]] std::string describe() const;
};

/// `wanted`: "" = the dataset's solution named "<definition>_reference" (else the only one whose
/// name ends in "reference"), and when there is none the oracle if the definition has a Python
/// reference; "oracle" = the oracle; a dataset solution's name; or a solution .json path. The
/// oracle runs $KSEARCH_PYTHON (default python3) on the bundled tasks/oracle/oracle_server.py.
[[nodiscard]] result<reference_choice> choose_reference(const std::filesystem::path& dataset_root,
                                                        const tasks::definition& def, const std::string& wanted);

/// The dataset's default feedback workloads for `definition` (feedback_workloads.json at the root:
/// {"feedback_workloads": {definition: [uuid, ...]}}); empty when the file or the entry is absent.
[[nodiscard]] result<std::vector<std::string>> dataset_feedback_workloads(const std::filesystem::path& dataset_root,
                                                                          const std::string& definition);

/// Loads the definition, workloads and reference; starts no worker until the first evaluation.
/// Errors name the flag or file: unknown definition, no workloads, unknown UUIDs, no reference.
[[nodiscard]] result<std::unique_ptr<search_task>> make_flashinfer_task(const flashinfer_task_options& options);

}  // namespace ksearch::search
