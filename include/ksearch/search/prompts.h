// ksearch/search/prompts.h — the prompt of every LLM call the search makes.
//
// One builder per call, each taking a struct of inputs and rendering a template file of
// prompts/ (search/prompt_template.h) with the budgets below:
//   world_model_init_prompt   prompts/world_model_init.md    the first world model
//   world_model_edit_prompt   prompts/world_model_edit.md    propose / refine / too-hard edits
//   codegen_prompt            prompts/codegen_{action,debug,improve}.md   one kernel per round
//   plain_generate_prompt     prompts/plain_generate.md      the loop without a world model
//   plain_optimize_prompt     prompts/plain_optimize.md
//   candidate_format_text     prompts/candidate_format.md    what a candidate is and how to reply
// Shared pieces are templates too: hardware_hint.md, performance_targets.md and
// world_model_context.md. Builders check their inputs (a missing required field is an error
// naming the builder and the field) and never invent content: an empty optional input drops its
// section. What K-Search's prompts hold: docs/k-search-compatibility.md, "Search: code-generation
// prompts", "Search: plain loop", "Prompts: world-model init" and "Prompts: world-model edit".
//
// Deliberate differences from K-Search (that file, "Deliberate differences"): the init prompt
// shows the seed solution; a refine retry's validation errors get their own section and are shown
// in full; the improve prompt keeps the chosen action; the round shown is the real round of the
// cycle and its real cap, never a saturated label; the world-model view is passed whole, never
// cut mid-JSON, and the caller bounds it by selecting nodes.
//
// Thread-safety: pure functions of their arguments; a prompt_library is immutable.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ksearch/common/error.h"
#include "ksearch/search/prompt_template.h"

namespace ksearch::search {

/// Default budgets [bytes] per value. From K-Search (docs/k-search-compatibility.md, "Prompts:
/// world-model edit" and "Search: code-generation prompts") unless a comment says why not.
namespace prompt_budget {
inline constexpr std::size_t definition_text = 50'000;  // init, codegen and plain prompts
inline constexpr std::size_t code = 200'000;            // K-Search's emergency guard on code
inline constexpr std::size_t schema_guide = 20'000;     // whole: the example world model
inline constexpr std::size_t seed_summary = 2'000;
// world_model_edit_prompt
inline constexpr std::size_t edit_world_model_view = 8'000;  // whole; K-Search cut a note-less view at 2600
                                                             // characters, mid-JSON
inline constexpr std::size_t edit_status = 900;
inline constexpr std::size_t edit_frontier = 1'200;
inline constexpr std::size_t edit_tree_path = 800;
inline constexpr std::size_t edit_baseline_targets = 900;
inline constexpr std::size_t edit_chosen_action = 500;
inline constexpr std::size_t edit_prediction_json = 800;
inline constexpr std::size_t edit_eval_json = 800;
inline constexpr std::size_t validation_errors = 16'000;  // "in full"; a guard, not a cut
// codegen_prompt and the plain loop
inline constexpr std::size_t world_model_section = 50'000;  // whole
inline constexpr std::size_t action_block = 4'000;          // K-Search did not bound it
inline constexpr std::size_t perf_summary = 4'000;  // two outcomes' summaries with their profiles
inline constexpr std::size_t failure_logs = 8'000;  // code cut: head and tail survive
inline constexpr std::size_t baseline_targets = 4'000;
inline constexpr std::size_t round_summary = 2'000;
}  // namespace prompt_budget

/// Shortens a definition text (tasks/definition_text.h layout) for the edit prompts, as K-Search
/// does (docs/k-search-compatibility.md, "Prompts: world-model edit"), but code goes first: the
/// first `head_lines` lines (name, type and the description, which K-Search cut), then the Axes:,
/// Inputs: and Outputs: sections with at most `section_lines` lines each, Constraints: with at
/// most `constraint_lines`, the first `reference_lines` lines of the reference code, and every
/// "## ..." section after it (the definition's notes, how a candidate is judged) whole. Headers
/// are matched as exact lines; each cut leaves a line "... (N lines omitted) ...". A text
/// without any of these headers keeps its first head_lines + reference_lines lines.
struct prompt_compaction {
  std::size_t head_lines = 6;
  std::size_t section_lines = 18;
  std::size_t constraint_lines = 12;
  std::size_t reference_lines = 40;

  [[nodiscard]] std::string compact(std::string_view definition_text) const;
};

/// The code-format block of every code-generation prompt (prompts/candidate_format.md): what
/// kernel.cu may contain, launch.json and its expression language, what the harness does, and
/// the reply format that search/candidate_reply.h parses.
[[nodiscard]] result<std::string> candidate_format_text(const prompt_library& lib);

// ---------------------------------------------------------------------------------------------

struct world_model_init_inputs {
  std::string target_gpu;  // e.g. "H100"
  std::string language = "cuda";
  std::string definition_text;    // tasks/definition_text.h
  std::string schema_guide_json;  // the example world model (whole: never cut)
  std::string seed_code;          // optional: code_view_for_prompt() of --continue-from-solution
  std::string seed_summary;       // optional: how that seed evaluated (perf lines)
};
[[nodiscard]] result<std::string> world_model_init_prompt(const prompt_library& lib, const world_model_init_inputs& in);

/// What an edit call is for (docs/k-search-compatibility.md, "Prompts: world-model edit").
enum class edit_use {
  propose,   // cycle start: stock the frontier; `status` carries the requirement note
  refine,    // cycle end, a solution passed: update beliefs from the evidence, add the next step
  too_hard,  // cycle end, nothing passed: record the failure, downscore or rewrite the action
};

struct world_model_edit_inputs {
  edit_use use = edit_use::propose;
  std::string target_gpu;
  std::string language = "cuda";
  std::string definition_text;    // the full text; the builder compacts it (prompt_compaction)
  std::string world_model_view;   // bounded JSON view of the tree (whole: never cut)
  std::string status;             // propose: requirement note; refine: world-model status text
  std::string frontier;           // executable OPEN action nodes, one per line
  std::string tree_path;          // the active node's path
  std::string baseline_targets;   // per-workload targets; empty when the task has none
  std::string chosen_action;      // the chosen action block (required for refine, too_hard)
  std::string prediction_json;    // the chosen action's prediction
  std::string eval_json;          // refine: the cycle best's evaluation; too_hard: the last one
  std::string validation_errors;  // why the previous attempt of this call was rejected, in full
  int debug_round = 0;            // too_hard: rounds the cycle used; 0 = not shown
  int max_debug_rounds = 0;       // the cycle's round cap; 0 = no fixed cap
  std::string current_code;       // the code the evidence is about (not cut below prompt_budget::code)
};
[[nodiscard]] result<std::string> world_model_edit_prompt(const prompt_library& lib, const world_model_edit_inputs& in);

/// Which code-generation prompt (docs/k-search-compatibility.md, "Search: code-generation prompts").
enum class codegen_mode {
  action,       // attempt 1 on a node whose parent has code: implement the action on it
  spec_action,  // attempt 1 without base code: implement the action from the specification
  debug,        // later attempts while nothing in the cycle passed: fix, then speed up
  improve,      // later attempts once something passed: improve the cycle best, same action
};

struct codegen_inputs {
  codegen_mode mode = codegen_mode::action;
  std::string target_gpu;
  std::string definition_text;
  std::string base_code;            // code_view_for_prompt(); action: required; spec_action: must be
                                    // empty; debug: optional; improve: the cycle best, required
  std::string current_code;         // the last attempt (debug, improve: required)
  std::string perf_summary;         // perf lines of the last attempt and the base
  std::string failure_logs;         // the last evaluation's failure log
  std::string action_block;         // the chosen action (every mode: required)
  int round = 1;                    // attempt within the cycle, >= 1 (debug, improve)
  int max_rounds = 0;               // the cycle's real cap; 0 = no fixed cap
  std::string world_model_section;  // bounded JSON view of the world model (whole); optional
  std::string baseline_targets;     // per-workload target lines; optional
  std::string code_format;          // empty: candidate_format_text()
};
[[nodiscard]] result<std::string> codegen_prompt(const prompt_library& lib, const codegen_inputs& in);

struct plain_generate_inputs {
  std::string target_gpu;
  std::string definition_text;
  std::string code_format;       // empty: candidate_format_text()
  std::string baseline_targets;  // optional
};
[[nodiscard]] result<std::string> plain_generate_prompt(const prompt_library& lib, const plain_generate_inputs& in);

struct plain_optimize_inputs {
  std::string target_gpu;
  std::string definition_text;
  std::string code_format;         // empty: candidate_format_text()
  std::string current_code;        // the last round's candidate (required)
  std::string trace_logs;          // its evaluation feedback
  std::string best_code;           // the best passed candidate so far; optional
  std::string best_summary;        // its performance, shown as is above best_code
                                   // ("Performance: score 1.25", as K-Search's current_best)
  std::string last_round_summary;  // "Passed p/t workloads", score, perf lines
  std::string baseline_targets;    // optional
};
[[nodiscard]] result<std::string> plain_optimize_prompt(const prompt_library& lib, const plain_optimize_inputs& in);

}  // namespace ksearch::search
