// ksearch/search/round_runner.h — rounds of a search: prompt -> candidates -> evaluations -> records.
//
// Both loops (world model and plain) decide what to ask; the runner does the rest the same way.
// A plan asks for `samples` candidates from one prompt (--samples-per-round); each becomes a round
// of its own, numbered plan.round, plan.round + 1, ... in the order they are recorded:
//   1. every sample is drafted at once, one thread each (search/candidate_draft.h: the prompt, then
//      follow-ups with the parse error, up to `codegen_attempts` replies);
//   2. a candidate is evaluated as soon as it is drafted, up to `parallel_evaluations` at once (one
//      per GPU), so the LLM writes the next samples while the GPUs measure the first; a harness
//      error becomes HARNESS_ERROR. A candidate identical to one already evaluated (in this batch
//      too) is not measured again;
//   3. each finished sample is recorded at once (solutions.jsonl, metrics, traces), the best
//      solution updated and the round's progress line printed.
// A kill loses only the samples not yet recorded; a resumed search asks again from its records.
// The runner reports one step at a time to runner_settings::activity from the calling thread
// ("round 3: waiting for the LLM (debug)", "round 3: evaluating", "rounds 3-6: 2 waiting for the
// LLM, 1 evaluating (debug)"); the task's evaluations add detail() from their threads.
// Whatever fails, every sample ends with a record; only a budget or a fatal LLM error asks the loop
// to stop. The runner also keeps every recorded solution by id, so a loop can show the LLM the
// code a solved node points to, and restores all of it from the stored rounds on resume.
//
// Thread-safety: one caller; the runner's own threads end before run() returns. With
// parallel_evaluations > 1 the task's evaluate() is called from several threads at once.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ksearch/search/activity.h"
#include "ksearch/search/candidate_draft.h"
#include "ksearch/search/llm_session.h"
#include "ksearch/search/round_record.h"
#include "ksearch/search/run_store.h"
#include "ksearch/search/search_task.h"

namespace ksearch::search {

struct round_plan {
  int round = 0;                // the first sample's round number
  int samples = 1;              // candidates asked for with this prompt, each recorded as a round
  std::string node_id;          // "" in the plain loop
  int cycle_start_round = 0;
  std::string prompt_kind;      // "action", "debug", ... (recorded)
  std::string prompt;
};

struct round_outcome {
  std::vector<round_record> records;       // one per sample, in round order (the order recorded)
  call_failure stop = call_failure::none;  // pause, stop or fatal: the loop must end after this round
  std::string stop_reason;
};

struct runner_settings {
  int max_rounds = 5;         // shown in progress lines
  int codegen_attempts = 3;   // replies per round before NO_CANDIDATE
  int parallel_evaluations = 1;  // candidates evaluated at once (one per GPU of the task's pool)
  std::string model;          // author of generated solutions, part of their names
  std::string target_gpu = "H100";
  activity_observer* activity = &no_activity();  // told about each LLM call and evaluation; never null
};

class round_runner {
 public:
  round_runner(search_task& task, llm_session& llm, run_store& store, runner_settings settings)
      : task_(task), llm_(llm), store_(store), settings_(std::move(settings)) {}

  /// Rebuilds the best solution and the solution index from stored rounds.
  void restore(const stored_rounds& rounds);
  /// Records a seed (round 0) solution and its evaluation (never counted as best, as in K-Search).
  [[nodiscard]] result<void> record_seed(round_record seed);

  /// Runs the plan's rounds. Errors only when a record cannot be written (the disk is full, ...);
  /// the samples recorded before that stay recorded.
  [[nodiscard]] result<round_outcome> run(const round_plan& plan);

  [[nodiscard]] const std::optional<round_record>& best() const { return best_; }
  [[nodiscard]] std::optional<double> best_score() const { return best_ ? best_->score() : std::nullopt; }
  /// A recorded round (or seed) whose solution has this id; the latest if several.
  [[nodiscard]] const round_record* find_solution(const std::string& id) const;
  /// The latest seed recorded (--continue-from-solution), or nullptr.
  [[nodiscard]] const round_record* find_seed() const { return seed_ ? &*seed_ : nullptr; }
  /// LLM usage summed over the rounds recorded (this session and earlier ones).
  [[nodiscard]] const round_usage& total_usage() const { return total_usage_; }
  /// Adds the usage of calls made outside rounds (world-model calls) to the total.
  void add_usage(const round_usage& usage);
  /// Where long steps are reported (runner_settings::activity); the loops report their own LLM
  /// calls there too.
  [[nodiscard]] activity_observer& activity() const { return *settings_.activity; }

 private:
  struct batch;
  void remember(const round_record& record);
  /// Numbers, records and announces one sample; reuse_of: the record whose evaluation it repeats.
  [[nodiscard]] result<void> record_sample(batch& b, std::size_t sample, const round_record* reuse_of);
  /// The activity step for the batch's state ("" when it waits for nothing).
  [[nodiscard]] std::string step_text(const batch& b) const;
  [[nodiscard]] candidate_identity identity_for(int round) const;

  search_task& task_;
  llm_session& llm_;
  run_store& store_;
  runner_settings settings_;
  std::optional<round_record> best_;
  std::optional<round_record> seed_;
  std::map<std::string, round_record> solutions_;
  round_usage total_usage_;
};

/// "round 3/10  n_tile  debug     PASSED          0.0123 ms  1.42x  best 1.42x  12.3k tok  $0.041"
[[nodiscard]] std::string progress_line(const round_record& record, int max_rounds, std::optional<double> best_score);

}  // namespace ksearch::search
