// ksearch/search/round_record.h — one line of solutions.jsonl: what a round produced and how it scored.
//
// Every round of a search is recorded, whatever happened: the candidate's code (a Solution), the
// raw reply it came from, its evaluation, the world-model node it worked on and the LLM usage it
// cost. A round that produced no candidate is recorded too, with a round-level status:
//   NO_CANDIDATE   the replies could not be turned into kernel.cu + launch.json
//   LLM_ERROR      the endpoint failed after every retry
//   HARNESS_ERROR  the evaluator could not run (no GPU, broken reference)
// Seed solutions (--continue-from-solution) are recorded with kind "seed" and round 0.
//
// The records are the search's memory: resuming replays them (best so far, the current cycle's
// state, the code each solved node points to), so the file alone says which rounds are finished.
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/search/search_task.h"
#include "ksearch/tasks/solution.h"

namespace ksearch::search {

/// The content id of a solution: a hash of its definition and sources (not its name, so renaming
/// keeps the id, unlike K-Search's).
[[nodiscard]] std::string solution_id(const tasks::solution& s);

struct round_usage {
  int calls = 0;
  // Each nullopt once any call did not report it (common/known_sum.h) [tokens].
  std::optional<long> prompt_tokens = 0;
  std::optional<long> completion_tokens = 0;
  std::optional<long> reasoning_tokens = 0;
  std::optional<double> cost_usd = 0.0;  // nullopt once any call's cost was unknown [USD]
};

struct round_record {
  std::string kind = "round";      // "round" or "seed"
  int round = 0;                   // [1-based]; 0 for a seed
  std::string time;                // UTC, ISO 8601
  std::string node_id;             // the world-model node whose action this round worked on ("" = plain loop)
  int cycle_start_round = 0;       // first round of that node's cycle
  std::string prompt_kind;         // "action", "spec_action", "debug", "improve", "generate", "optimize", "seed"
  int prompt_round = 0;            // the round whose prompt this candidate answered: the first of its batch
                                   // (--samples-per-round); equal to `round` when it was asked alone
  int samples = 1;                 // candidates asked for with that prompt
  std::optional<tasks::solution> solution;
  std::string solution_id;         // "" when there is no solution
  std::string raw_reply;           // the model's last reply ("" when none)
  evaluation_outcome evaluation;
  int reused_from_round = -1;      // >= 0: the candidate is identical to that round's (0 = the seed) and its
                                   // evaluation was reused, not measured again
  round_usage usage;

  [[nodiscard]] bool passed() const { return evaluation.passed; }
  /// The score when passed, else nullopt.
  [[nodiscard]] std::optional<double> score() const { return evaluation.passed ? evaluation.score : std::nullopt; }
};

/// The record of a batch that the next prompt builds on: its best passed sample, else its last
/// sample with a candidate, else nullptr.
[[nodiscard]] const round_record* batch_representative(const std::vector<round_record>& batch);

[[nodiscard]] json to_json(const round_record& r);
/// `where` prefixes error subjects ("solutions.jsonl:12").
[[nodiscard]] result<round_record> round_record_from_json(const json& doc, const std::string& where);

/// The current time, UTC, as "2026-11-21T10:00:00Z".
[[nodiscard]] std::string utc_timestamp();

}  // namespace ksearch::search
