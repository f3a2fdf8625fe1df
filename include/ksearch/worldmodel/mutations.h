// ksearch/worldmodel/mutations.h — the changes the search itself makes to the world model
// (K-Search's, docs/k-search-compatibility.md, "World model: search-made changes", plus ours):
// attaching solutions, recording attempts and outcomes, machine signals, the fallback
// continuation children, and the reference excerpt in the root's notes.
//
// Each function is a no-op when the node it names does not exist (the search only names nodes it
// has just selected or attached, so that would be a bug there, not a state to recover from).
//
// Thread-safety: mutate the world model passed in; the caller serialises access.
#pragma once

#include <string>
#include <string_view>

#include "ksearch/common/json_fwd.h"
#include "ksearch/worldmodel/edit_ops.h"
#include "ksearch/worldmodel/world_model.h"

namespace ksearch::worldmodel {

/// Sets the node's solution (id, name, eval, round). Keeps an existing parent_solution_id, else
/// takes the parent's solution id; clears a recorded outcome (the node is solved now) and sets
/// last_updated_round = round.
void attach_solution(world_model& wm, std::string_view node_id, const std::string& solution_id,
                     const std::string& solution_name, const json& eval, int round);

/// attempts += 1 (the search started a cycle on the node); last_updated_round rises to `round`.
void record_attempt(world_model& wm, std::string_view node_id, int round);

/// Closes (or, with node_outcome::none, reopens) the node for selection, with the reason shown
/// in prompts.
void mark_outcome(world_model& wm, std::string_view node_id, node_outcome outcome, std::string reason, int round);

/// computed_signals: round_index = round; trace.status when non-empty; each number when set.
void merge_computed_signals(world_model& wm, int round, const trace_signals& trace);

/// The refine fallback: when the solved node has no open child action with
/// difficulty < 5, inserts node_<task>_r<round>_cont_<k> under it (a generic "next-step
/// refinement", score 0.35, difficulty 2). Returns the new id, or "" when nothing was inserted
/// (the node has such a child, is not solved, or does not exist).
std::string ensure_continuation(world_model& wm, std::string_view solved_node_id, const edit_context& ctx);

/// The propose fallback: when the best node (selection.h) has no open child action,
/// inserts node_best_cont_r<round>_<k> under it (score 0.6, difficulty 2). Returns the new id or "".
std::string ensure_best_continuation(world_model& wm, const edit_context& ctx);

/// Appends the reference implementation (what follows the line "Reference Implementation:" in
/// the definition text, at most 1800 characters) to the root's notes under a "Reference
/// Implementation (excerpt)" header, unless the notes already mention it or there is none.
void embed_reference_excerpt(world_model& wm, std::string_view definition_text);

}  // namespace ksearch::worldmodel
