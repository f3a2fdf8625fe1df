#include "ksearch/worldmodel/selection.h"

#include <gtest/gtest.h>

namespace ksearch::worldmodel {
namespace {

node action_node(std::string id, std::string parent, double score, int difficulty, double rating = 5) {
  node n;
  n.node_id = std::move(id);
  n.parent_id = std::move(parent);
  n.impacts = default_impacts();
  n.action.title = "do " + n.node_id;
  n.action.score_0_to_1 = score;
  n.action.difficulty_1_to_5 = difficulty;
  n.overall_rating_0_to_10 = rating;
  return n;
}

void solve(world_model& wm, std::string_view id, double score, std::optional<double> vs_base = {},
           std::string status = "PASSED") {
  node& n = *wm.find(id);
  n.solution.solution_id = "sol_" + n.node_id;
  n.solution.eval = {{"status", status}, {"score", score}};
  if (vs_base) n.solution.eval["mean_vs_baseline_factor"] = *vs_base;
}

std::vector<std::string> ids(const std::vector<const node*>& nodes) {
  std::vector<std::string> out;
  for (const node* n : nodes) out.push_back(n->node_id);
  return out;
}

TEST(Selection, OrderIsScoreThenDifficultyThenRatingThenId) {
  world_model wm = empty_world_model();
  wm.nodes.push_back(action_node("e", "root", 0.5, 2, 5));
  wm.nodes.push_back(action_node("d", "root", 0.5, 2, 5));
  wm.nodes.push_back(action_node("c", "root", 0.5, 2, 7));
  wm.nodes.push_back(action_node("b", "root", 0.5, 1, 1));
  wm.nodes.push_back(action_node("a", "root", 0.9, 3, 0));
  EXPECT_EQ(ids(in_selection_order(frontier(wm))), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(choose_next_action(wm, {}), "a");
  wm.find("a")->action.score_0_to_1 = 0.1;
  EXPECT_EQ(choose_next_action(wm, {}), "b");
}

TEST(Selection, FrontierExcludesBlockedSolvedAndClosedNodes) {
  world_model wm = empty_world_model();
  wm.nodes.push_back(action_node("open", "root", 0.1, 2));
  wm.nodes.push_back(action_node("solved", "root", 0.9, 2));
  wm.nodes.push_back(action_node("after_solved", "solved", 0.2, 2));
  wm.nodes.push_back(action_node("blocked_parent", "root", 0.3, 2));
  wm.nodes.push_back(action_node("blocked", "blocked_parent", 0.99, 1));
  wm.nodes.push_back(action_node("failed", "root", 0.95, 1));
  wm.nodes.push_back(action_node("too_hard", "root", 0.95, 1));
  wm.nodes.push_back(action_node("pruned", "root", 0.95, 1));
  node structural = action_node("family", "root", 0.97, 1);
  structural.action.title.clear();
  wm.nodes.push_back(structural);
  solve(wm, "solved", 1.0);
  wm.find("failed")->outcome = node_outcome::failed;
  wm.find("too_hard")->outcome = node_outcome::too_hard;
  wm.find("pruned")->outcome = node_outcome::pruned;

  EXPECT_EQ(ids(frontier(wm)), (std::vector<std::string>{"open", "after_solved", "blocked_parent"}));
  EXPECT_EQ(choose_next_action(wm, {}), "blocked_parent");
  wm.find("blocked_parent")->outcome = node_outcome::failed;
  EXPECT_EQ(choose_next_action(wm, {}), "after_solved");
  wm.find("after_solved")->outcome = node_outcome::pruned;
  wm.find("open")->outcome = node_outcome::too_hard;
  EXPECT_EQ(choose_next_action(wm, {}), std::nullopt);
}

TEST(Selection, DifficultyCapWithSoftGate) {
  world_model wm = empty_world_model();
  wm.nodes.push_back(action_node("hard", "root", 0.9, 5));
  wm.nodes.push_back(action_node("medium", "root", 0.4, 4));
  EXPECT_EQ(choose_next_action(wm, {.max_difficulty = 4}), "medium");
  EXPECT_EQ(choose_next_action(wm, {.max_difficulty = 5}), "hard");
  // Nothing within the cap: the gate is soft, everything competes.
  EXPECT_EQ(choose_next_action(wm, {.max_difficulty = 3}), "hard");
  // Out-of-range caps are clamped.
  EXPECT_EQ(difficulty_cap(wm, {.max_difficulty = 9}), 5);
  EXPECT_EQ(difficulty_cap(wm, {.max_difficulty = -1}), 1);
}

TEST(Selection, RelaxationOnlyRaisesTheCapAndOnlyWhenAllowed) {
  world_model wm = empty_world_model();
  wm.nodes.push_back(action_node("s", "root", 0.1, 1));
  wm.nodes.push_back(action_node("hard", "s", 0.9, 4));
  wm.nodes.push_back(action_node("easy", "s", 0.2, 2));
  solve(wm, "s", 1.0, 0.4);
  const selection_policy default_policy{.max_difficulty = 3, .relax_when_good = true};
  EXPECT_EQ(choose_next_action(wm, default_policy), "easy");  // vs_base 0.4 < 0.5: no relaxation
  wm.find("s")->solution.eval["mean_vs_baseline_factor"] = 0.6;
  EXPECT_EQ(difficulty_cap(wm, default_policy), 4);
  EXPECT_EQ(choose_next_action(wm, default_policy), "hard");
  // The user's cap is never overridden, up or down (K-Search lowered a 5 to 4).
  EXPECT_EQ(difficulty_cap(wm, {.max_difficulty = 3, .relax_when_good = false}), 3);
  EXPECT_EQ(difficulty_cap(wm, {.max_difficulty = 5, .relax_when_good = true}), 5);
  // A failed evaluation does not count as good.
  wm.find("s")->solution.eval["status"] = "INCORRECT_NUMERICAL";
  EXPECT_EQ(difficulty_cap(wm, default_policy), 3);
}

TEST(Selection, BestNodeHasTheHighestPassedScore) {
  world_model wm = empty_world_model();
  EXPECT_EQ(best_node(wm), nullptr);
  wm.nodes.push_back(action_node("a", "root", 0.5, 2));
  wm.nodes.push_back(action_node("b", "root", 0.5, 2));
  wm.nodes.push_back(action_node("c", "root", 0.5, 2));
  wm.nodes.push_back(action_node("d", "root", 0.5, 2));
  solve(wm, "a", 1.5);
  solve(wm, "b", 2.0);
  solve(wm, "c", 2.0);                           // tie: the earlier node wins
  solve(wm, "d", 9.0, {}, "RUNTIME_ERROR");      // a partial score of a failed eval never wins
  EXPECT_EQ(best_node(wm)->node_id, "b");
  // K-Search's eval shape: metrics.score.
  wm.find("a")->solution.eval = {{"status", "passed"}, {"metrics", {{"score", 3.0}}}};
  EXPECT_EQ(best_node(wm)->node_id, "a");
}

TEST(Selection, FrontierHealth) {
  world_model wm = empty_world_model();
  wm.nodes.push_back(action_node("a", "root", 0.5, 2));
  wm.nodes.push_back(action_node("b", "root", 0.5, 2));
  EXPECT_FALSE(frontier_is_healthy(wm));  // fewer than 3
  wm.nodes.push_back(action_node("c", "root", 0.5, 2));
  EXPECT_TRUE(frontier_is_healthy(wm));   // no best node yet
  solve(wm, "a", 1.0);
  wm.nodes.push_back(action_node("d", "root", 0.5, 2));
  EXPECT_FALSE(frontier_is_healthy(wm));  // the best node has no open child
  wm.nodes.push_back(action_node("a_next", "a", 0.5, 5));
  EXPECT_TRUE(frontier_is_healthy(wm));   // any difficulty counts
}

}  // namespace
}  // namespace ksearch::worldmodel
