// ksearch/worldmodel/views.h — the world model as prompts show it.
//
// Every view is bounded and whole, unlike K-Search's (docs/k-search-compatibility.md, "World
// model: prompt views" and "The world model is shown whole"). The compact JSON view never cuts
// text mid-JSON: it chooses which nodes to show (root→active path first, then the active node's
// children and siblings, the frontier in selection order, the best node's path, then the rest)
// and how much of each node's text to show, and says how many nodes it left out. Node notes,
// action descriptions and search outcomes are included (clipped) so what the LLM wrote earlier
// is read again.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ksearch/common/json_fwd.h"
#include "ksearch/worldmodel/world_model.h"

namespace ksearch::worldmodel {

/// A compact JSON object {kernel_summary, open_questions, computed_signals, decision_tree{root_id,
/// active_leaf_id, omitted_nodes, nodes}} of at most `budget_chars` bytes, always valid JSON. The
/// richest detail level that fits is used; at tiny budgets fields are dropped down to "{}" (which
/// is returned even when `budget_chars` < 2).
[[nodiscard]] std::string compact_view_json(const world_model& wm, std::size_t budget_chars);

/// Lines "- <id>: <decision> -> <choice>" from the root ("- root: <root>") to `node_id` (the
/// active node when empty), at most the 64 nearest.
[[nodiscard]] std::string path_text(const world_model& wm, std::string_view node_id);

/// One line per frontier node, in selection order, at most `max_nodes` (then a count of the rest):
/// id, score, difficulty, rating, title, parent and its performance, decision -> choice, notes head.
[[nodiscard]] std::string frontier_text(const world_model& wm, std::size_t max_nodes);

/// The action the search chose, for codegen and edit prompts; "" when the node does not exist or
/// has no action title.
[[nodiscard]] std::string chosen_action_block(const world_model& wm, std::string_view node_id);

/// Refine status: the active path, the best node with its performance and path, and up to 4
/// under-explored root children (no solution anywhere in their subtree).
[[nodiscard]] std::string status_text(const world_model& wm);

/// "status=passed score=1.2345 vs_base=1.234x speedup=2.000x lat=0.1234ms", with the parts `eval`
/// has; "(no evaluation)" when it has none of them.
[[nodiscard]] std::string eval_perf_text(const json& eval);

/// An example world model (a root and one action child, every field filled with what belongs
/// there) as indented JSON, for the init prompt.
[[nodiscard]] std::string schema_guide_json();

}  // namespace ksearch::worldmodel
