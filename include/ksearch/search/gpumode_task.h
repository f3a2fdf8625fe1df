// ksearch/search/gpumode_task.h — GPUMode TriMul as a search task, measured as the leaderboard does.
//
// The task is a FlashInfer-Trace-format dataset (bundled: tasks/gpumode/trimul; --gpumode-task-dir
// for another): the definition `trimul`, its workloads — the 18 test shapes (uuid "test-...") and
// the 7 benchmark shapes ("benchmark-..."), with their input distributions — a native fp32
// reference and notes for the prompt. A candidate is device code plus a launch plan, like any
// other (docs/candidate-contract.md); its GEMMs are its own (tensor-core mma/wgmma in device code).
//
// Modes (docs/task-formats.md, "GPUMode TriMul: modes and timing"), as evaluation phases run one
// after the other in the isolated worker:
//   test         the test shapes, checked, not timed (cannot pass: no latency, as upstream);
//   benchmark    the benchmark shapes, checked, then timed with GPUMode's loop (stop when the
//                standard error is < 0.1% of the mean, 10 s of GPU time or 120 s of wall clock,
//                at most 100 samples), warm L2 as upstream unless cold_l2;
//   leaderboard  the test shapes checked, then the benchmark shapes timed for up to 30 s of GPU
//                time with recheck: fresh inputs before every timed call, each output checked.
// Every check is allclose with atol = rtol = 2e-2 and NaN/inf parity ("GPUMode TriMul:
// correctness"), over `correctness_trials` input sets per shape. Latency is the geometric mean of
// the benchmark means; the score is 1 / latency_ms ("inv_latency_ms"), set only when every phase
// passed. The reference's geometric mean (timed alongside) gives the speedup.
//
// Thread-safety: evaluate() may be called from several threads at once (search_task.h): the
// workers start once, by the first caller, while the others wait; each candidate then runs its
// phases in order on the shared workers (eval/isolation/evaluation_pool.h).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/eval_request.h"
#include "ksearch/eval/eval_result.h"
#include "ksearch/eval/isolation/evaluation_pool.h"
#include "ksearch/search/activity.h"
#include "ksearch/search/search_task.h"
#include "ksearch/search/task_evaluation.h"

namespace ksearch::search {

enum class gpumode_mode { test, benchmark, leaderboard };

/// "test", "benchmark" or "leaderboard"; "profile" and anything else are errors naming --gpumode-mode.
[[nodiscard]] result<gpumode_mode> parse_gpumode_mode(const std::string& text);

/// True for the shapes that are timed and scored (uuid "benchmark-..."); the rest are tests.
[[nodiscard]] bool is_gpumode_benchmark(const std::string& uuid);

/// The phases `mode` runs for `base` (definition, reference, candidate, dataset root and the
/// correctness trials and seed in its config; its workloads are split into tests and benchmarks).
/// A phase with no workloads is left out.
[[nodiscard]] std::vector<evaluation_phase> gpumode_phases(gpumode_mode mode, const eval::eval_request& base, bool cold_l2);

struct gpumode_task_options {
  std::filesystem::path dataset_root;   // holds definitions/trimul/trimul.json, workloads/, solutions/
  std::string definition = "trimul";
  gpumode_mode mode = gpumode_mode::benchmark;
  bool cold_l2 = false;                 // flush L2 before every timed call (ours; upstream does not)
  std::string reference_solution;       // see choose_reference (flashinfer_task.h)
  eval::eval_config config;             // correctness_trials and seed are read; the rest is the mode's
  eval::evaluation_pool_options service;
  bool compile_only = false;
  std::string target_gpu = "H100";
  eval::compile_limits compile_limits;  // every candidate compile's time and memory
  activity_observer* activity = &no_activity();  // never null; must outlive the task
};

/// Loads the definition, workloads (both sets must be present) and reference; starts no worker
/// until the first evaluation. Errors name the folder or file.
[[nodiscard]] result<std::unique_ptr<search_task>> make_gpumode_task(const gpumode_task_options& options);

}  // namespace ksearch::search
