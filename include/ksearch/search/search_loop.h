// ksearch/search/search_loop.h — the two searches: world-model cycles and the plain loop.
//
// World model (docs/k-search-compatibility.md, "Search: cycles", with the fixes under "Deliberate
// differences"): at each cycle start the frontier is stocked (propose), the next action is chosen
// deterministically, and rounds are spent on it — ACTION (or SPEC+ACTION) first, then DEBUG until
// something passes and IMPROVE after — until it stagnates for --wm-stagnation-window rounds,
// reaches --wm-max-cycle-rounds, or the round budget ends. A cycle that passed attaches its best
// solution to the node and asks the LLM to refine the tree (validated; invalid edits are
// discarded, not stacked); a cycle that never passed marks the node FAILED, so it is never chosen
// again, and asks the LLM to update its beliefs. Plain (no --world-model): one generation, then
// one optimisation per round from the last code, with the best so far shown ("Search: plain
// loop").
//
// Samples (--samples-per-round N): each prompt asks for N candidates at once, drafted and
// evaluated concurrently by the round runner; each is a round of its own, so --max-opt-rounds,
// --wm-stagnation-window and --wm-max-cycle-rounds count candidates. The next prompt builds on the
// batch's best candidate (its last one when none passed).
//
// Resume: the round records in solutions.jsonl are the memory. A resumed search starts at the
// round after the last recorded one, restores the best solution, and — when state.json says a
// cycle was running — replays that cycle's records to pick it up where it stopped. A round cut off
// by a kill is simply run again; a finished round is never repeated. --max-opt-rounds counts all
// rounds of the run, across sessions.
//
// Failures: an LLM failure or harness error costs its round (or skips a world-model step); a
// reached budget or a fatal LLM error (bad key, unknown model) stops the search with the reason.
//
// Thread-safety: one thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "ksearch/common/error.h"
#include "ksearch/search/llm_session.h"
#include "ksearch/search/prompt_template.h"
#include "ksearch/search/round_runner.h"
#include "ksearch/search/run_store.h"
#include "ksearch/search/search_task.h"

namespace ksearch::search {

struct search_settings {
  int max_rounds = 5;                    // --max-opt-rounds (the whole run, all sessions)
  int samples_per_round = 1;             // --samples-per-round: candidates asked for with each prompt
  int stagnation_window = 5;             // --wm-stagnation-window
  std::optional<int> max_difficulty;     // --wm-max-difficulty (unset: the policy's 4)
  int max_cycle_rounds = 10;             // --wm-max-cycle-rounds (0: no cap, as the original)
  int debug_rounds_shown = 5;            // the "d/m" denominator in prompts
  int edit_attempts = 3;                 // world-model edit replies per step
  std::string target_gpu = "H100";
  std::string language = "cuda";
  std::filesystem::path world_model_file;  // --continue-from-world-model PATH ("" = the run's own)
};

struct search_services {
  search_task& task;
  llm_session& llm;
  run_store& store;
  round_runner& runner;
  const prompt_library& prompts;
};

struct search_summary {
  int first_round = 0;       // the first round this session ran (0 when it ran none)
  int last_round = 0;        // the last round recorded in the run
  std::string stop_reason;   // why the search ended
  bool fatal = false;        // ended by a fatal LLM error (exit code 1)
};

[[nodiscard]] result<search_summary> run_world_model_search(search_services& services, const search_settings& settings);
[[nodiscard]] result<search_summary> run_plain_search(search_services& services, const search_settings& settings);

}  // namespace ksearch::search
