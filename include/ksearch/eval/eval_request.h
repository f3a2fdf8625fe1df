// ksearch/eval/eval_request.h — what the search asks the evaluator, as it crosses to the worker.
//
// An evaluation request names a definition, its workloads, a reference (native device code and a
// plan, or the definition's Python reference run by the PyTorch oracle) and a candidate, with the
// settings of the checks and the timing (eval_config). The search builds one per candidate; the
// parent sends it to an evaluation worker (eval/isolation/evaluation_service.h) as JSON and the worker
// runs it with eval/evaluator.h. This header is all the parent side needs: it pulls in no CUDA.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/eval/compile/compile_limits.h"
#include "ksearch/eval/gpu/timing_clock.h"
#include "ksearch/eval/gpu/timing_stats.h"
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
  std::string comparator = "flashinfer";  // "flashinfer", "allclose" (GPUMode) or "allclose_candidate"
                                          // (KernelBench: rtol scales |candidate|); eval/check/compare.h
  double atol = 1e-2;
  double rtol = 1e-2;
  double required_matched_ratio = 1.0;    // 0.95 for FP8 MoE
  bool time_reference = true;
  bool time_candidate = true;             // false: correctness trials only (GPUMode's test shapes), no latency
  bool recheck = false;                   // every timed call's output checked (GPUMode leaderboard)
  double timed_check_probability = 1.0 / 16;  // otherwise each timed call is checked with this chance,
  int max_timed_checks = 8;                   // up to this many, and the last call always (workload_evaluation.h)
  bool flush_l2 = true;
  timing_clock clock = timing_clock::cupti;  // GPUMode and KernelBench time with CUDA events, as upstream
  criterion_params timing;                // stopping rule for the timed samples
  double peak_bandwidth_bytes_per_s = 0;  // roofline floor; 0: from the device (see workload_evaluation.cc)
  compile_limits compile;                 // every compile of the request runs in a bounded child process
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

/// What starts each progress line the evaluator writes to stderr (eval/evaluator.h).
inline constexpr std::string_view progress_marker = "ksearch-progress: ";

/// The request as the worker protocol carries it: ordered JSON, so the definition's input order
/// (the call signature) survives the trip.
[[nodiscard]] ordered_json to_json(const eval_request& request);
[[nodiscard]] result<eval_request> eval_request_from_json(const ordered_json& doc);

}  // namespace ksearch::eval
