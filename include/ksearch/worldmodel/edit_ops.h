// ksearch/worldmodel/edit_ops.h — edit scripts: how the LLM changes the world model
// (docs/k-search-compatibility.md, "World model: edit scripts").
//
// The LLM answers an edit prompt with {"active_leaf_id": optional id, "ops": [...]}; each op is
// one of
//   {"op": "update_node", "node_id", "patch": {...}}
//   {"op": "insert_node", "parent_id", "parent_solution_id", "node": {...}}
//   {"op": "split_node",  "node_id", "parent_patch": {...}, "children": [{...}, ...]}
//   {"op": "delete_node", "node_id"}
// Ops are applied in order, deterministically, and never throw. An op that cannot be applied is
// skipped as a whole and reported with its index and reason; a field of an applied op that is
// refused (or a value that is clamped) is reported in `adjusted`. Differences from the original,
// on purpose (docs/k-search-compatibility.md, "Deliberate differences"):
//  * solution_ref and the search outcome ("ksearch") are owned by the search: patches and inserted
//    nodes that carry them are applied without them, and reported;
//  * generated ids keep counting until unused and carry the round;
//  * the new-node cap (inserts + split children) holds per application, and an op over the cap is
//    skipped, not silently dropped;
//  * inserted and patched nodes get last_updated_round = the context's round unless the op sets it.
//
// Thread-safety: pure functions over the values passed in.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json.h"
#include "ksearch/worldmodel/world_model.h"

namespace ksearch::worldmodel {

struct edit_script {
  std::optional<std::string> active_leaf_id;
  json ops = json::array();  // raw op objects, checked when applied
};

/// The edit script in an LLM reply: the first JSON object (prose, fences and trailing commas
/// tolerated) with an "ops" list. Errors have subject "reply" and say what is missing.
[[nodiscard]] result<edit_script> parse_edit_script(std::string_view reply_text);

struct edit_context {
  std::string task_name;  // for generated ids (id_stem)
  int round = 0;          // the search round the edit belongs to
  int max_new_nodes = 3;  // inserts + split children per application
};

/// How many of each op kind were applied, and what was skipped or adjusted.
struct edit_report {
  int ops = 0, updates = 0, inserts = 0, split_children = 0, deletes = 0, new_nodes_added = 0;
  std::vector<std::string> skipped;   // "ops[2] (insert_node): parent 'x' does not exist"
  std::vector<std::string> adjusted;  // "ops[0] (update_node 'n1'): patch.solution_ref is owned by the search; ignored"

  /// One line for the log: the counts, then each skipped op.
  [[nodiscard]] std::string summary() const;
};

/// Applies `script` to `wm`. split_node considers at most the first 8 children.
[[nodiscard]] edit_report apply_edit_script(world_model& wm, const edit_script& script, const edit_context& context);

/// Refine validation (docs/k-search-compatibility.md, "Search: refine validation"): what is wrong
/// with `after` (the model after applying a refine script, whose application produced `report`)
/// relative to `before`, for the node that was just solved. Empty means valid. Rules: the root
/// keeps its id, existence and (null) decision and choice; every node solved in `before` still
/// exists with the same solution id; the solved node has at least one open child action with
/// difficulty < 5; no op was skipped.
[[nodiscard]] std::vector<std::string> check_refine(const world_model& before, const world_model& after,
                                                    std::string_view solved_node_id, const edit_report& report);

}  // namespace ksearch::worldmodel
