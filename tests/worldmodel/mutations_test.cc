#include "ksearch/worldmodel/mutations.h"

#include <gtest/gtest.h>

#include "ksearch/common/json.h"
#include "ksearch/worldmodel/selection.h"

namespace ksearch::worldmodel {
namespace {

node action_node(std::string id, std::string parent, int difficulty = 2) {
  node n;
  n.node_id = std::move(id);
  n.parent_id = std::move(parent);
  n.impacts = default_impacts();
  n.action.title = "do " + n.node_id;
  n.action.difficulty_1_to_5 = difficulty;
  return n;
}

TEST(Mutations, AttachSolutionKeepsLineageAndReopensNothing) {
  world_model wm = empty_world_model();
  wm.nodes.front().solution.solution_id = "seed";
  wm.nodes.push_back(action_node("a", "root"));
  wm.find("a")->outcome = node_outcome::failed;
  attach_solution(wm, "a", "sha_a", "gemm_r3", {{"status", "PASSED"}, {"score", 1.2}}, 3);
  const node& a = *wm.find("a");
  EXPECT_EQ(a.solution.solution_id, "sha_a");
  EXPECT_EQ(a.solution.parent_solution_id, "seed");  // taken from the parent
  EXPECT_EQ(a.solution.solution_name, "gemm_r3");
  EXPECT_EQ(a.solution.round_index, 3);
  EXPECT_EQ(a.solution.eval["score"], 1.2);
  EXPECT_EQ(a.outcome, node_outcome::none);
  EXPECT_EQ(a.last_updated_round, 3);

  wm.find("a")->solution.parent_solution_id = "kept";
  attach_solution(wm, "a", "sha_a2", "gemm_r5", json::object(), 5);
  EXPECT_EQ(wm.find("a")->solution.parent_solution_id, "kept");
  attach_solution(wm, "ghost", "x", "y", json::object(), 1);  // no such node: nothing happens
  EXPECT_EQ(wm.nodes.size(), 2u);
}

TEST(Mutations, AttemptsAndOutcomes) {
  world_model wm = empty_world_model();
  wm.nodes.push_back(action_node("a", "root"));
  record_attempt(wm, "a", 2);
  record_attempt(wm, "a", 6);
  mark_outcome(wm, "a", node_outcome::too_hard, "no pass in 5 rounds", 6);
  const node& a = *wm.find("a");
  EXPECT_EQ(a.attempts, 2);
  EXPECT_EQ(a.outcome, node_outcome::too_hard);
  EXPECT_EQ(a.outcome_reason, "no pass in 5 rounds");
  EXPECT_EQ(a.outcome_round, 6);
  EXPECT_FALSE(a.is_open());
  mark_outcome(wm, "a", node_outcome::none, "", 7);
  EXPECT_TRUE(wm.find("a")->is_open());
}

TEST(Mutations, MergeComputedSignalsOverwritesOnlyWhatIsSet) {
  world_model wm = empty_world_model();
  merge_computed_signals(wm, 2, {.status = "PASSED", .latency_ms = 0.5, .speedup_factor = 3.0});
  merge_computed_signals(wm, 3, {.status = "", .latency_ms = std::nullopt, .reference_latency_ms = 1.5});
  EXPECT_EQ(wm.round_index, 3);
  EXPECT_EQ(wm.trace.status, "PASSED");
  EXPECT_EQ(wm.trace.latency_ms, 0.5);
  EXPECT_EQ(wm.trace.reference_latency_ms, 1.5);
  EXPECT_EQ(wm.trace.speedup_factor, 3.0);
}

TEST(Mutations, EnsureContinuationAddsAFallbackChildOnlyWhenNeeded) {
  world_model wm = empty_world_model();
  wm.nodes.push_back(action_node("a", "root"));
  const edit_context ctx{.task_name = "rms norm", .round = 4};
  EXPECT_EQ(ensure_continuation(wm, "a", ctx), "");  // not solved
  wm.find("a")->solution.solution_id = "sol_a";
  wm.find("a")->overall_rating_0_to_10 = 7;
  wm.find("a")->confidence_0_to_1 = 0.1;
  wm.nodes.push_back(action_node("a_hard", "a", 5));  // difficulty 5 does not count as a continuation
  const std::string id = ensure_continuation(wm, "a", ctx);
  EXPECT_EQ(id, "node_rms_norm_r4_cont_1");
  const node* child = wm.find(id);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(*child->parent_id, "a");
  EXPECT_EQ(child->solution.parent_solution_id, "sol_a");
  EXPECT_TRUE(child->is_open());
  EXPECT_EQ(child->action.difficulty_1_to_5, 2);
  EXPECT_DOUBLE_EQ(child->action.score_0_to_1, 0.35);
  EXPECT_DOUBLE_EQ(child->overall_rating_0_to_10, 7);
  EXPECT_DOUBLE_EQ(child->confidence_0_to_1, 0.2);
  EXPECT_NE(child->notes.find("AUTO_CONTINUATION"), std::string::npos);
  EXPECT_EQ(ensure_continuation(wm, "a", ctx), "");  // it has one now
  // Round numbers repeat after a resume: the id still must be new.
  wm.find(id)->outcome = node_outcome::failed;
  EXPECT_EQ(ensure_continuation(wm, "a", ctx), "node_rms_norm_r4_cont_2");
}

TEST(Mutations, EnsureBestContinuationTargetsTheBestNode) {
  world_model wm = empty_world_model();
  const edit_context ctx{.task_name = "t", .round = 9};
  EXPECT_EQ(ensure_best_continuation(wm, ctx), "");  // no best node
  wm.nodes.push_back(action_node("a", "root"));
  wm.nodes.push_back(action_node("b", "root"));
  wm.find("a")->solution = {.solution_id = "sa", .eval = {{"status", "PASSED"}, {"score", 1.0}}};
  wm.find("b")->solution = {.solution_id = "sb", .eval = {{"status", "PASSED"}, {"score", 2.0}}};
  const std::string id = ensure_best_continuation(wm, ctx);
  EXPECT_EQ(id, "node_best_cont_r9_1");
  EXPECT_EQ(*wm.find(id)->parent_id, "b");
  EXPECT_DOUBLE_EQ(wm.find(id)->action.score_0_to_1, 0.6);
  EXPECT_NE(wm.find(id)->notes.find("AUTO_BEST_CONTINUATION"), std::string::npos);
  EXPECT_EQ(ensure_best_continuation(wm, ctx), "");
}

TEST(Mutations, ReferenceExcerptIsEmbeddedOnce) {
  world_model wm = empty_world_model();
  wm.nodes.front().notes = "analysis";
  std::string definition = "Name: rmsnorm\nAxes:\n  d: 4096\nReference Implementation:\ndef run(x):\n    return x\n";
  embed_reference_excerpt(wm, definition);
  EXPECT_EQ(wm.root()->notes, "analysis\n\nReference Implementation (excerpt):\ndef run(x):\n    return x");
  embed_reference_excerpt(wm, definition);  // already there
  EXPECT_EQ(wm.root()->notes.find("Reference Implementation (excerpt)"),
            wm.root()->notes.rfind("Reference Implementation (excerpt)"));

  world_model long_ref = empty_world_model();
  embed_reference_excerpt(long_ref, "Reference Implementation:\n" + std::string(5000, 'x'));
  EXPECT_LT(long_ref.root()->notes.size(), 1900u);
  EXPECT_NE(long_ref.root()->notes.find("<truncated>"), std::string::npos);

  world_model no_marker = empty_world_model();
  embed_reference_excerpt(no_marker, "Name: trimul\nReference Implementation follows below\n");
  EXPECT_EQ(no_marker.root()->notes, "");
}

}  // namespace
}  // namespace ksearch::worldmodel
