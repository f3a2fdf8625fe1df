// ksearch/worldmodel/world_model_json.h — the world model as JSON, read with repair.
//
// The JSON uses K-Search's field names (docs/k-search-compatibility.md, "World model: JSON
// fields"), so a Python snapshot loads here and ours load there. Layout: {kernel_summary,
// open_questions, decision_tree{root_id, active_leaf_id, nodes[]}, computed_signals{round_index,
// trace{...}}, <unknown keys kept>}. Two additions, both dropped by the Python normalizer without
// harm: solution_ref keeps solution_name and round_index (the original wrote and then dropped
// them), and a node's search outcome lives under its "ksearch" key {attempts, outcome,
// outcome_reason, outcome_round}, written only when not default.
//
// Reading never fails on content, only when the document is not an object. Whatever had to be
// changed is said in the repair report, one line per change, naming the JSON path: missing root
// created, parentless or dangling parents re-attached under the root, duplicate ids renamed
// "<id>__dup<k>", parent cycles broken (the earliest node of the cycle goes under the root), values
// clamped to their ranges, numbers given as strings coerced, text given as objects kept as their
// JSON text, legacy difficulty_0_to_3 mapped (+1), unknown node fields dropped, an invalid
// active_leaf_id replaced by the root. Missing fields take their defaults without a report line
// (an LLM's init reply omits many). Unknown top-level keys are kept as they are (world_model::extra).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/worldmodel/world_model.h"

namespace ksearch::worldmodel {

struct repair_report {
  /// e.g. "decision_tree.nodes[3] ('n3'): parent 'x' does not exist; re-attached under root"
  std::vector<std::string> repairs;
};

/// Reads and repairs a world model. Error (subject "world model") only when `doc` is not an object.
[[nodiscard]] result<world_model> world_model_from_json(const json& doc, repair_report& report);

/// Deterministic: object keys sorted (as the original's sort_keys), nodes in insertion order.
[[nodiscard]] json to_json(const world_model& wm);

/// One node as JSON, in the snapshot's shape (node_type derived from parent_id).
[[nodiscard]] json to_json(const node& n);

/// One node read with the per-field repairs above, each reported under `path`. Structure (ids,
/// parents, root) is not checked here: that needs the whole tree. A node without a usable node_id
/// comes back with an empty one.
[[nodiscard]] node node_from_json(const json& doc, std::string_view path, repair_report& report);

/// The world model inside an LLM's init reply: the first JSON object in the text
/// (prose, fences and trailing commas tolerated), read with repair. Solution references the model
/// wrote are removed and reported: only the search attaches solutions. Errors (subject
/// "reply") when there is no JSON object, or the object has neither decision_tree nor kernel_summary.
[[nodiscard]] result<world_model> parse_init_reply(std::string_view reply_text, repair_report& report);

/// "an object", "a string", "null", ...: a JSON value's type, for messages about LLM output.
[[nodiscard]] std::string a_kind(const json& value);

}  // namespace ksearch::worldmodel
