// ksearch/report/run_data.h — a run folder loaded into typed rows, for the report writers.
//
// load_run reads what a search wrote (search/run_store.h): solutions.jsonl, one row per recorded
// round (required), and, when present, run.json (task, model, the flags of every session),
// world_model.json, state.json (the cycle that was running) and transcript.jsonl (every LLM call,
// including the world-model calls that no round pays for). The reader is tolerant, because a
// report is most wanted for a run that was killed: a torn or unparsable line, a record without a
// round number, a missing optional file, or a world model that needed repairs becomes a warning
// naming its file (and line), never an error. Only a folder that is not there or has no readable
// solutions.jsonl is an error, naming the path. Nothing is written.
//
// The best candidate is chosen as the search chooses it (search/round_runner.cc): the passed round
// of kind "round" with the highest score, the earliest on ties; seeds never count.
//
// Thread-safety: plain values; load_run reads only the folder it is given.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/tasks/evaluation_status.h"
#include "ksearch/worldmodel/world_model.h"

namespace ksearch::report {

/// One workload of an evaluation (search/evaluation_outcome.h).
struct workload_row {
  std::string uuid;
  tasks::evaluation_status status = tasks::evaluation_status::passed;
  std::optional<double> latency_ms, reference_latency_ms;  // [ms]; nullopt when not timed
  std::optional<double> speedup_factor;                     // reference / candidate
  std::optional<double> max_absolute_error, max_relative_error;
  std::optional<long> samples;                              // timed samples of the candidate
  std::optional<double> rel_noise;                          // relative noise of those samples [fraction]
  std::string log;                                          // the failure, for a failed workload
};

/// One line of solutions.jsonl.
struct round_row {
  std::size_t line = 0;       // in solutions.jsonl [1-based]
  std::string kind = "round"; // "round" or "seed"
  int round = 0;              // [1-based]; 0 for a seed
  std::string time;           // UTC, ISO 8601
  std::string node_id;        // world-model node ("" in the plain loop)
  std::string prompt_kind;    // "action", "debug", "improve", "generate", "optimize", "seed"
  tasks::evaluation_status status = tasks::evaluation_status::passed;
  bool passed = false;
  std::optional<double> score;                              // set only when passed
  std::optional<double> latency_ms, reference_latency_ms;   // mean over workloads [ms]
  std::optional<double> speedup_factor;
  std::optional<double> best_score;  // best score of the rounds of kind "round" up to this one
  std::string feedback;              // what the LLM was told about this round
  std::string solution_id, solution_name;
  int reused_from_round = -1;        // >= 0: an identical earlier candidate's evaluation was reused
  int llm_calls = 0;
  std::optional<long> prompt_tokens, completion_tokens, reasoning_tokens;  // nullopt: not reported
  std::optional<double> cost_usd;    // [USD]; nullopt when a call could not be priced
};

/// The best candidate of the run, with its code and its per-workload evaluation.
struct best_candidate {
  int round = 0;
  std::string node_id, solution_id, solution_name;
  std::string score_name;  // e.g. "mean_speedup_vs_ref"
  std::optional<double> score, latency_ms, reference_latency_ms, speedup_factor;
  std::string kernel_cu, launch_json;  // the sources; empty when the record had none
  std::vector<workload_row> workloads;
};

/// LLM calls of one purpose ("codegen", "wm_init", "wm_refine", ...), from transcript.jsonl.
struct llm_purpose_usage {
  std::string purpose;
  int calls = 0;
  int failed = 0;  // calls whose outcome was an error record
  // Each nullopt once a reply did not report it (common/known_sum.h).
  std::optional<long> prompt_tokens = 0, completion_tokens = 0, reasoning_tokens = 0;
  std::optional<double> cost_usd = 0.0;  // [USD]; nullopt once any reply's cost was unknown
};

/// Totals over the rounds' usage.
struct usage_totals {
  int calls = 0;
  std::optional<long> prompt_tokens = 0, completion_tokens = 0, reasoning_tokens = 0;  // nullopt once unknown
  std::optional<double> cost_usd = 0.0;  // [USD]; nullopt once any round's cost was unknown
};

struct status_count {
  tasks::evaluation_status status = tasks::evaluation_status::passed;
  int rounds = 0;
  std::vector<int> round_numbers;
};

/// What ran, from run.json and state.json; fields stay empty when the files do not say.
struct run_info {
  std::string ksearch_version;
  std::string backend, definition, dataset, reference_solution, eval_mode;
  std::vector<std::string> workloads;  // the uuids the search evaluated on
  std::string model, base_url;
  std::string target_gpu;              // --target-gpu of the last session
  std::string gpu;                     // the device's name, when the run recorded one
  std::optional<bool> world_model;     // --world-model of the last session
  int max_rounds = 0;                  // --max-opt-rounds of the last session; 0 when unknown
  int sessions = 0;
  std::string started;                 // the first session's start (UTC)
  std::string cycle_node_id, cycle_phase;  // state.json: the cycle at the last boundary
};

struct run_data {
  std::filesystem::path dir;
  run_info info;
  std::vector<round_row> rounds;  // in file order
  std::optional<best_candidate> best;
  std::optional<worldmodel::world_model> world_model;
  std::vector<llm_purpose_usage> llm_usage;  // by purpose, in order of first call; empty without a transcript
  std::vector<std::string> warnings;         // "FILE:LINE: why" or "FILE: why"

  /// Highest round number recorded; 0 when none.
  [[nodiscard]] int last_round() const;
  /// Rounds of kind "round" per status, PASSED first, then by count (descending), then by name.
  [[nodiscard]] std::vector<status_count> status_counts() const;
  [[nodiscard]] usage_totals round_usage() const;
  /// llm_usage summed over the purposes, named "all calls (transcript.jsonl)".
  [[nodiscard]] llm_purpose_usage all_llm_usage() const;
  /// How the run ended, as far as the files tell (the search does not record its stop reason):
  /// "round budget spent (12 of 12 rounds)", "stopped after round 7 of 12 ...".
  [[nodiscard]] std::string stop_summary() const;
};

/// Loads the run folder `dir` (the folder holding solutions.jsonl, not --artifacts-dir).
[[nodiscard]] result<run_data> load_run(const std::filesystem::path& dir);

}  // namespace ksearch::report
