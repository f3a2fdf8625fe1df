// ksearch/worldmodel/selection.h — which action the search runs next (docs/k-search-compatibility.md,
// "Search: action selection", with the fixes under "Deliberate differences").
//
// One frontier definition everywhere: action nodes that are open (not solved, no recorded outcome)
// whose parent is the root or solved. Selection is deterministic: keep frontier nodes within the
// difficulty cap (all of them when none is — the soft gate), then order by action score desc,
// difficulty asc, overall rating desc, node id asc, and take the first. Unlike the original, the
// cap is only ever relaxed upwards, and only when the policy allows it (the user gave no cap), so
// a user's --wm-max-difficulty is never overridden.
//
// Thread-safety: pure functions. Returned pointers point into `wm.nodes`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ksearch/worldmodel/world_model.h"

namespace ksearch::worldmodel {

struct selection_policy {
  int max_difficulty = 4;              // highest difficulty_1_to_5 selected, clamped to 1..5
  bool relax_when_good = true;         // the user gave no cap: raise it once a solution is good
  int relaxed_max_difficulty = 4;      // the raised cap
  double relax_if_best_vs_base_ge = 0.5;  // "good": a passed solution's mean_vs_baseline_factor
};

/// The frontier in insertion order.
[[nodiscard]] std::vector<const node*> frontier(const world_model& wm);

/// `nodes` in selection order (score desc, difficulty asc, rating desc, id asc).
[[nodiscard]] std::vector<const node*> in_selection_order(std::vector<const node*> nodes);

/// The difficulty cap `policy` gives for `wm` (after relaxation), 1..5.
[[nodiscard]] int difficulty_cap(const world_model& wm, const selection_policy& policy);

/// The node id to run next, or nullopt when the frontier is empty.
[[nodiscard]] std::optional<std::string> choose_next_action(const world_model& wm, const selection_policy& policy);

/// The solved node whose eval has the highest score (eval_score) among passed evals (eval_passed);
/// ties go to the earlier node. nullptr when there is none.
[[nodiscard]] const node* best_node(const world_model& wm);

/// K-Search's propose skip rule: at least 3 frontier actions, and the best node (if any) has an open
/// child action. When true, the search need not ask the LLM for more actions.
[[nodiscard]] bool frontier_is_healthy(const world_model& wm);

}  // namespace ksearch::worldmodel
