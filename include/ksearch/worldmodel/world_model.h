// ksearch/worldmodel/world_model.h — the world model: a typed decision tree of hypotheses and
// actions that steers the search (docs/k-search-compatibility.md, "World model: JSON fields").
//
// The tree is a flat list of nodes linked by parent ids. A root→node path composes a plan;
// siblings are mutually exclusive alternatives; a child refines its parent. A node with an action
// title is something the search can run; a node with a solution id has been run and holds the
// best passed solution of that run. The states that the original derives on the fly are defined
// here once (docs/k-search-compatibility.md, "World model: node states"):
//   open      action title, no solution, no recorded outcome (failed / too hard / pruned)
//   frontier  open, and the parent is the root or solved (selection.h)
//   blocked   open, but the parent has no solution
//
// Invariants (world_model_from_json establishes them, the edit operations keep them): node ids are
// unique, exactly one node (root_id) has no parent, every other parent id names an existing node,
// parent links have no cycles, active_leaf_id names an existing node. Code that edits `nodes`
// directly must keep them.
//
// Thread-safety: plain values. Concurrent reads are safe; a mutation needs exclusive access.
// Pointers returned by the queries stay valid until `nodes` is next resized.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json.h"

namespace ksearch::worldmodel {

/// The three impact dimensions every node carries (as in K-Search), in the order prompts show them.
inline constexpr std::string_view impact_memory_bandwidth = "memory_bandwidth";
inline constexpr std::string_view impact_register_pressure = "register_pressure";
inline constexpr std::string_view impact_compute_fit = "compute_intensity_and_hw_fit";
inline constexpr std::string_view impact_keys[] = {impact_memory_bandwidth, impact_register_pressure,
                                                   impact_compute_fit};

struct impact {
  double rating_0_to_10 = 0;
  std::string risk, notes;
  std::string hw_notes;  // only for compute_intensity_and_hw_fit; ignored on the others
};

struct node_action {
  std::string title, description;  // a non-empty title makes the node an action node
  int difficulty_1_to_5 = 3;
  double score_0_to_1 = 0;         // the LLM's estimated value of running it: the primary selection key
  std::optional<double> expected_vs_baseline_factor;  // predicted vs_base once applied (>1 is faster)
  std::string rationale;
};

/// The evaluated solution attached to a node. Owned by the search: edit scripts cannot write it.
struct solution_ref {
  std::optional<std::string> solution_id, parent_solution_id, solution_name;
  std::optional<int> round_index;                   // the round that produced the solution
  json eval = json::object();   // the evaluation as the search attached it
};

/// What happened when the search ran this node's action (ours: docs/k-search-compatibility.md,
/// "Failed actions are marked"). Stored under the node's "ksearch" key; the Python tool drops
/// unknown node keys, so snapshots stay loadable there.
enum class node_outcome { none, failed, too_hard, pruned };

/// "none", "failed", "too_hard", "pruned".
[[nodiscard]] std::string_view to_string(node_outcome outcome);
[[nodiscard]] result<node_outcome> node_outcome_from_string(std::string_view text);

struct node {
  std::string node_id;
  std::optional<std::string> parent_id;     // nullopt only for the root
  std::optional<std::string> decision, choice;  // what is decided, and the alternative taken; null on root
  solution_ref solution;
  std::map<std::string, impact> impacts;    // exactly the keys of impact_keys
  double overall_rating_0_to_10 = 0;        // how good the partial plan up to here is
  double confidence_0_to_1 = 0;             // confidence in that rating
  int last_updated_round = 0;
  std::string notes;                        // CURRENT / FOLLOW_THROUGH / UPDATE_BELIEF / ... sections
  node_action action;
  int attempts = 0;                         // cycles the search started on this node
  node_outcome outcome = node_outcome::none;
  std::string outcome_reason;
  int outcome_round = 0;

  [[nodiscard]] bool is_root() const { return !parent_id.has_value(); }
  [[nodiscard]] bool is_action() const { return !action.title.empty(); }
  [[nodiscard]] bool is_solved() const { return solution.solution_id.has_value() && !solution.solution_id->empty(); }
  /// An action that is neither solved nor closed by an outcome.
  [[nodiscard]] bool is_open() const { return is_action() && !is_solved() && outcome == node_outcome::none; }
};

/// computed_signals.trace: the last evaluation's headline numbers (machine-filled).
struct trace_signals {
  std::string status;
  std::optional<double> latency_ms, reference_latency_ms, speedup_factor;  // [ms], [ms], ratio
  std::optional<double> mean_vs_baseline_factor;                           // ratio, >1 is faster
};

struct world_model {
  std::string kernel_summary;
  std::vector<std::string> open_questions;
  std::string root_id = "root", active_leaf_id = "root";
  std::vector<node> nodes;                          // insertion order kept
  int round_index = 0;                              // computed_signals.round_index
  trace_signals trace;                              // computed_signals.trace
  json extra = json::object();  // unknown top-level keys, kept as-is

  [[nodiscard]] const node* find(std::string_view id) const;
  [[nodiscard]] node* find(std::string_view id);
  [[nodiscard]] const node* root() const { return find(root_id); }
  /// Direct children of `id`, in insertion order.
  [[nodiscard]] std::vector<const node*> children(std::string_view id) const;
  /// Root first, `id` last; empty when `id` does not exist. Stops at the first repeated node, so a
  /// tree whose invariants were broken by hand cannot loop.
  [[nodiscard]] std::vector<const node*> path_to(std::string_view id) const;
  /// Number of edges from the root (0 for the root, or for a node that does not exist).
  [[nodiscard]] int depth(std::string_view id) const;
};

/// An impact map with the three keys at their defaults.
[[nodiscard]] std::map<std::string, impact> default_impacts();

/// Just a root ("root", no decision or choice), active.
[[nodiscard]] world_model empty_world_model();

/// `eval`'s score: eval["score"] when numeric, else eval["metrics"]["score"] (K-Search's place).
[[nodiscard]] std::optional<double> eval_score(const json& eval);
/// True when `eval` has no "status" or its status is "passed" (any case, blanks trimmed).
[[nodiscard]] bool eval_passed(const json& eval);

}  // namespace ksearch::worldmodel
