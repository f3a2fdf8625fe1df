// ksearch/search/evaluation_outcome.h — what a round's evaluation said, typed, for every task backend.
//
// A task backend (FlashInfer, GPUMode, KernelBench) turns the evaluator's results into an
// evaluation_outcome: the round's status, whether it scored, the score and latencies the search
// ranks by, the feedback the next prompt shows, and the evaluator's own results phase by phase
// (per workload: status, errors, latency, reference latency, timing samples). The run store, the
// traces, resume and the report all read this one type.
//
// The JSON is written by to_json and read by evaluation_outcome_from_json, and nowhere else.
// Records written before this type existed (an untyped "detail" object in one of three shapes)
// are converted when read, so old run folders still load, report and resume.
//
// Thread-safety: plain values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/eval/eval_result.h"
#include "ksearch/tasks/evaluation_status.h"

namespace ksearch::search {

/// One evaluator run of a candidate: FlashInfer's single one ("workloads"), GPUMode's "tests" and
/// "benchmarks", KernelBench's "trials" and "perf", compile-only mode's "compile".
struct phase_result {
  std::string name;
  eval::eval_result result;
};

struct evaluation_outcome {
  tasks::evaluation_status status = tasks::evaluation_status::harness_error;
  bool passed = false;           // scored: status PASSED and the task could give it a score
  std::optional<double> score;   // higher is better; set only when passed
  std::string score_name;        // what the score is, e.g. "mean_speedup_vs_ref"
  std::optional<double> latency_ms;            // mean over workloads [ms]
  std::optional<double> reference_latency_ms;  // [ms]
  std::optional<double> speedup_factor;        // reference / candidate, mean over workloads
  std::optional<double> mean_vs_baseline_factor;  // baseline / candidate, mean over workloads
  std::string feedback;          // for the next prompt: the failure with numbers, or a per-workload summary
  std::vector<phase_result> phases;            // in the order they ran; empty when nothing was evaluated
  std::map<std::string, double> task_metrics;  // the backend's own numbers by name (KernelBench: eager_ms, ...)

  /// The status's name: "PASSED", "LLM_ERROR", ...
  [[nodiscard]] std::string status_name() const { return std::string(tasks::to_string(status)); }
  /// Every phase's workloads, in order (the run's traces are written from these).
  [[nodiscard]] std::vector<eval::workload_result> workloads() const;
  /// The original's eval dict (docs/k-search-compatibility.md, "Evaluation record"): {status, latency_ms,
  /// reference_latency_ms, speedup_factor, mean_vs_baseline_factor, metrics{score, score_name}};
  /// nulls where unknown.
  [[nodiscard]] json summary_json() const;
  /// "mean_latency_ms=0.0123 speedup_vs_ref=1.420x score=1.4200" lines, then the profile's lines
  /// (search/performance_profile.h); only when passed.
  [[nodiscard]] std::string perf_summary(const std::string& prefix) const;
};

/// An outcome that ends the round without an evaluation (COMPILE_ERROR of an unreadable candidate,
/// LLM_ERROR, NO_CANDIDATE, HARNESS_ERROR), with `feedback` saying why.
[[nodiscard]] evaluation_outcome outcome_without_evaluation(tasks::evaluation_status status, std::string feedback);

[[nodiscard]] json to_json(const evaluation_outcome& e);
/// `where` prefixes error subjects ("solutions.jsonl:12: evaluation").
[[nodiscard]] result<evaluation_outcome> evaluation_outcome_from_json(const json& doc, const std::string& where);

}  // namespace ksearch::search
