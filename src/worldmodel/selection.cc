#include "ksearch/worldmodel/selection.h"

#include <algorithm>
#include <iterator>

namespace ksearch::worldmodel {

std::vector<const node*> frontier(const world_model& wm) {
  std::vector<const node*> out;
  for (const node& n : wm.nodes) {
    if (n.is_root() || !n.is_open()) continue;
    if (*n.parent_id == wm.root_id) {
      out.push_back(&n);
    } else if (const node* parent = wm.find(*n.parent_id); parent != nullptr && parent->is_solved()) {
      out.push_back(&n);
    }
  }
  return out;
}

std::vector<const node*> in_selection_order(std::vector<const node*> nodes) {
  std::stable_sort(nodes.begin(), nodes.end(), [](const node* a, const node* b) {
    if (a->action.score_0_to_1 != b->action.score_0_to_1) return a->action.score_0_to_1 > b->action.score_0_to_1;
    if (a->action.difficulty_1_to_5 != b->action.difficulty_1_to_5) {
      return a->action.difficulty_1_to_5 < b->action.difficulty_1_to_5;
    }
    if (a->overall_rating_0_to_10 != b->overall_rating_0_to_10) {
      return a->overall_rating_0_to_10 > b->overall_rating_0_to_10;
    }
    return a->node_id < b->node_id;
  });
  return nodes;
}

int difficulty_cap(const world_model& wm, const selection_policy& policy) {
  int cap = policy.max_difficulty;
  if (policy.relax_when_good) {
    for (const node& n : wm.nodes) {
      if (!n.is_solved() || !eval_passed(n.solution.eval)) continue;
      auto factor = n.solution.eval.find("mean_vs_baseline_factor");
      if (factor != n.solution.eval.end() && factor->is_number() &&
          factor->get<double>() >= policy.relax_if_best_vs_base_ge) {
        cap = std::max(cap, policy.relaxed_max_difficulty);
        break;
      }
    }
  }
  return std::clamp(cap, 1, 5);
}

std::optional<std::string> choose_next_action(const world_model& wm, const selection_policy& policy) {
  const std::vector<const node*> candidates = frontier(wm);
  if (candidates.empty()) return std::nullopt;
  const int cap = difficulty_cap(wm, policy);
  std::vector<const node*> within;
  std::copy_if(candidates.begin(), candidates.end(), std::back_inserter(within),
               [cap](const node* n) { return n->action.difficulty_1_to_5 <= cap; });
  const std::vector<const node*> ordered = in_selection_order(within.empty() ? candidates : within);
  return ordered.front()->node_id;
}

const node* best_node(const world_model& wm) {
  const node* best = nullptr;
  double best_score = 0;
  for (const node& n : wm.nodes) {
    if (!n.is_solved() || !eval_passed(n.solution.eval)) continue;
    const std::optional<double> score = eval_score(n.solution.eval);
    if (!score) continue;
    if (best == nullptr || *score > best_score) {
      best = &n;
      best_score = *score;
    }
  }
  return best;
}

bool frontier_is_healthy(const world_model& wm) {
  if (frontier(wm).size() < 3) return false;
  const node* best = best_node(wm);
  if (best == nullptr) return true;
  const std::vector<const node*> children = wm.children(best->node_id);
  return std::any_of(children.begin(), children.end(), [](const node* child) { return child->is_open(); });
}

}  // namespace ksearch::worldmodel
