// ksearch/search/round_runner.h — one round of a search: prompt -> candidate -> evaluation -> record.
//
// Both loops (world model and plain) decide what to ask; the runner does the rest the same way:
//   1. asks the LLM for a candidate; a reply that is not kernel.cu + launch.json gets a follow-up
//      message with the parse error, up to `codegen_attempts` replies in all;
//   2. evaluates the candidate with the task (a harness error becomes HARNESS_ERROR);
//   3. appends the round_record (solutions.jsonl, metrics, traces), updates the best solution
//      and prints the round's progress line.
// The LLM calls and the evaluation are reported to runner_settings::activity while they last.
// Whatever fails, the round ends with a record; only a budget or a fatal LLM error asks the loop
// to stop. The runner also keeps every recorded solution by id, so a loop can show the LLM the
// code a solved node points to, and restores all of it from the stored rounds on resume.
//
// Thread-safety: one thread.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "ksearch/search/activity.h"
#include "ksearch/search/llm_session.h"
#include "ksearch/search/round_record.h"
#include "ksearch/search/run_store.h"
#include "ksearch/search/search_task.h"

namespace ksearch::search {

struct round_plan {
  int round = 0;
  std::string node_id;          // "" in the plain loop
  int cycle_start_round = 0;
  std::string prompt_kind;      // "action", "debug", ... (recorded)
  std::string prompt;
};

struct round_outcome {
  round_record record;
  call_failure stop = call_failure::none;  // stop or fatal: the loop must end after this round
  std::string stop_reason;
};

struct runner_settings {
  int max_rounds = 5;         // shown in progress lines
  int codegen_attempts = 3;   // replies per round before NO_CANDIDATE
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
  /// Records a seed (round 0) solution and its evaluation (never counted as best; spec §3.12).
  [[nodiscard]] result<void> record_seed(round_record seed);

  /// Runs one round. Errors only when a record cannot be written (the disk is full, ...).
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
  void remember(const round_record& record);

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
