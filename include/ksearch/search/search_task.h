// ksearch/search/search_task.h — what the search needs from a task backend.
//
// The search loops see a task only through this interface: the text that describes the problem
// to the LLM, and an evaluation of a candidate that says whether it passed, how good it is (a
// score, higher is better) and what the LLM should read about it next round. A candidate's
// failure (compile error, wrong numbers, a crash, a timeout) is a candidate_evaluation with
// passed = false; an error value means the harness itself could not evaluate (no GPU, a broken
// reference), which costs the search one round, not the run.
//
// Thread-safety: evaluate() may be called from several threads at once (the search evaluates a
// round's candidates concurrently, one per GPU); the other methods are const reads.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ksearch/common/error.h"
#include "ksearch/tasks/solution.h"

namespace ksearch::search {

struct candidate_evaluation {
  std::string status;            // "PASSED", "COMPILE_ERROR", ... (eval_status names), "COMPILED" in compile-only mode
  bool passed = false;
  std::optional<double> score;   // higher is better; set only when passed
  std::string score_name;        // what the score is, e.g. "mean_speedup_vs_ref"
  std::optional<double> latency_ms;            // mean over workloads [ms]
  std::optional<double> reference_latency_ms;  // [ms]
  std::optional<double> speedup_factor;        // reference / candidate, mean over workloads
  std::optional<double> mean_vs_baseline_factor;  // baseline / candidate, mean over workloads
  std::string feedback;          // for the next prompt: the failure with numbers, or a per-workload summary
  nlohmann::json detail = nlohmann::json::object();  // the full evaluation, for the record

  /// The original's eval dict (spec §2.4): {status, latency_ms, reference_latency_ms,
  /// speedup_factor, mean_vs_baseline_factor, metrics{score, score_name}}; nulls where unknown.
  [[nodiscard]] nlohmann::json summary_json() const;
  /// "mean_latency_ms=0.0123 speedup_vs_ref=1.420x score=1.4200" lines (only when passed).
  [[nodiscard]] std::string perf_summary(const std::string& prefix) const;
};

class search_task {
 public:
  virtual ~search_task() = default;

  /// The definition's name (used in ids, file names and prompts).
  [[nodiscard]] virtual std::string name() const = 0;
  /// The problem as the LLM reads it (FlashInfer layout: Name/Axes/Inputs/Outputs/Reference).
  [[nodiscard]] virtual std::string definition_text() const = 0;
  /// Per-workload latency targets, or "" when the task has none.
  [[nodiscard]] virtual std::string baseline_targets_text() const { return {}; }
  /// What the task is, for the run's metadata (backend, dataset, workloads, evaluation settings).
  [[nodiscard]] virtual nlohmann::json describe() const = 0;
  /// The workloads evaluated, as FlashInfer Trace workload objects ({uuid, axes, inputs}) by uuid,
  /// for the traces; empty when the task has none to offer.
  [[nodiscard]] virtual std::map<std::string, nlohmann::json> workload_records() const { return {}; }
  /// Evaluates `candidate` (kernel.cu + launch.json).
  [[nodiscard]] virtual result<candidate_evaluation> evaluate(const tasks::solution& candidate) = 0;
};

}  // namespace ksearch::search
