#include "ksearch/worldmodel/world_model.h"

#include <gtest/gtest.h>

#include <utility>

namespace ksearch::worldmodel {
namespace {

node child(std::string id, std::string parent) {
  node n;
  n.node_id = std::move(id);
  n.parent_id = std::move(parent);
  return n;
}

TEST(WorldModel, EmptyModelIsAnActiveRoot) {
  const world_model wm = empty_world_model();
  ASSERT_EQ(wm.nodes.size(), 1u);
  EXPECT_EQ(wm.root()->node_id, "root");
  EXPECT_TRUE(wm.root()->is_root());
  EXPECT_EQ(wm.active_leaf_id, "root");
  EXPECT_EQ(wm.root()->impacts.size(), 3u);
}

TEST(WorldModel, QueriesFollowParentLinks) {
  world_model wm = empty_world_model();
  wm.nodes.push_back(child("a", "root"));
  wm.nodes.push_back(child("b", "root"));
  wm.nodes.push_back(child("a1", "a"));
  wm.nodes.push_back(child("a2", "a"));
  ASSERT_EQ(wm.children("a").size(), 2u);
  EXPECT_EQ(wm.children("a")[1]->node_id, "a2");
  EXPECT_TRUE(wm.children("b").empty());
  const auto path = wm.path_to("a2");
  ASSERT_EQ(path.size(), 3u);
  EXPECT_EQ(path[0]->node_id, "root");
  EXPECT_EQ(path[2]->node_id, "a2");
  EXPECT_EQ(wm.depth("a2"), 2);
  EXPECT_EQ(wm.depth("root"), 0);
  EXPECT_TRUE(wm.path_to("ghost").empty());
  EXPECT_EQ(wm.find("ghost"), nullptr);
  wm.find("b")->notes = "mutable";
  EXPECT_EQ(std::as_const(wm).find("b")->notes, "mutable");
}

TEST(WorldModel, PathToStopsOnACycleMadeByHand) {
  world_model wm = empty_world_model();
  wm.nodes.push_back(child("x", "y"));
  wm.nodes.push_back(child("y", "x"));
  EXPECT_EQ(wm.path_to("x").size(), 2u);
}

TEST(WorldModel, NodeStates) {
  node n = child("a", "root");
  EXPECT_FALSE(n.is_action());
  n.action.title = "t";
  EXPECT_TRUE(n.is_open());
  n.solution.solution_id = "";
  EXPECT_FALSE(n.is_solved());  // an empty id is no solution
  n.solution.solution_id = "s";
  EXPECT_TRUE(n.is_solved());
  EXPECT_FALSE(n.is_open());
  n.solution.solution_id.reset();
  n.outcome = node_outcome::pruned;
  EXPECT_FALSE(n.is_open());
}

TEST(WorldModel, OutcomeNamesRoundTrip) {
  for (node_outcome o : {node_outcome::none, node_outcome::failed, node_outcome::too_hard, node_outcome::pruned}) {
    EXPECT_EQ(node_outcome_from_string(to_string(o)), o);
  }
  EXPECT_FALSE(node_outcome_from_string("exploded").has_value());
}

TEST(WorldModel, EvalScoreAndStatus) {
  EXPECT_EQ(eval_score({{"score", 1.5}}), 1.5);
  EXPECT_EQ(eval_score({{"metrics", {{"score", 2}}}}), 2.0);
  EXPECT_EQ(eval_score({{"score", nullptr}, {"metrics", {{"score", "high"}}}}), std::nullopt);
  EXPECT_TRUE(eval_passed({{"status", " Passed \n"}}));
  EXPECT_TRUE(eval_passed({{"status", "PASSED"}}));
  EXPECT_TRUE(eval_passed(json::object()));  // nothing says it failed
  EXPECT_FALSE(eval_passed({{"status", "COMPILE_ERROR"}}));
  EXPECT_FALSE(eval_passed({{"status", 1}}));
}

}  // namespace
}  // namespace ksearch::worldmodel
