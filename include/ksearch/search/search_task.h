// ksearch/search/search_task.h — what the search needs from a task backend.
//
// The search loops see a task only through this interface: the text that describes the problem
// to the LLM, and an evaluation of a candidate that says whether it passed, how good it is (a
// score, higher is better) and what the LLM should read about it next round. A candidate's
// failure (compile error, wrong numbers, a crash, a timeout) is an evaluation_outcome with
// passed = false; an error value means the harness itself could not evaluate (no GPU, a broken
// reference), which costs the search one round, not the run.
//
// Thread-safety: evaluate() may be called from several threads at once (the search evaluates a
// round's candidates concurrently, one per GPU); the other methods are const reads.
#pragma once

#include <map>
#include <string>

#include "ksearch/common/error.h"
#include "ksearch/common/json.h"
#include "ksearch/search/evaluation_outcome.h"
#include "ksearch/tasks/solution.h"

namespace ksearch::search {

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
  [[nodiscard]] virtual json describe() const = 0;
  /// The workloads evaluated, as FlashInfer Trace workload objects ({uuid, axes, inputs}) by uuid,
  /// for the traces; empty when the task has none to offer.
  [[nodiscard]] virtual std::map<std::string, json> workload_records() const { return {}; }
  /// Evaluates `candidate` (kernel.cu + launch.json).
  [[nodiscard]] virtual result<evaluation_outcome> evaluate(const tasks::solution& candidate) = 0;
};

}  // namespace ksearch::search
