#include "ksearch/worldmodel/edit_ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>

#include "ksearch/common/json.h"
#include "ksearch/worldmodel/world_model_json.h"

namespace ksearch::worldmodel {
namespace {

node make_node(std::string id, std::string parent, std::string title, std::optional<std::string> solution = {}) {
  node n;
  n.node_id = std::move(id);
  n.parent_id = std::move(parent);
  n.decision = "decision of " + n.node_id;
  n.choice = "choice of " + n.node_id;
  n.impacts = default_impacts();
  n.action.title = std::move(title);
  n.action.score_0_to_1 = 0.5;
  n.solution.solution_id = std::move(solution);
  return n;
}

// root (solved: seed) ── a (solved: sol_a) ── a1 (open)
//                     └─ b (open) ── b1 (open, blocked)
world_model sample() {
  world_model wm = empty_world_model();
  wm.nodes.front().solution.solution_id = "seed";
  wm.nodes.push_back(make_node("a", "root", "Tiled GEMM", "sol_a"));
  wm.nodes.push_back(make_node("a1", "a", "Double buffering"));
  wm.nodes.push_back(make_node("b", "root", "Split-K"));
  wm.nodes.push_back(make_node("b1", "b", "Atomics"));
  return wm;
}

const edit_context ctx{.task_name = "gemm bf16", .round = 4, .max_new_nodes = 3};

edit_report apply(world_model& wm, json ops, std::optional<std::string> active = {}, edit_context context = ctx) {
  return apply_edit_script(wm, edit_script{.active_leaf_id = std::move(active), .ops = std::move(ops)}, context);
}

bool has_line(const std::vector<std::string>& lines, std::initializer_list<std::string_view> parts) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
    return std::all_of(parts.begin(), parts.end(), [&](std::string_view p) { return line.find(p) != std::string::npos; });
  });
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

TEST(EditOps, UpdateNodeMergesThePatchAndNormalizesIt) {
  world_model wm = sample();
  wm.find("a1")->impacts["memory_bandwidth"].rating_0_to_10 = 6;
  edit_report report = apply(wm, json::array({{{"op", "update_node"},
                                                {"node_id", "a1"},
                                                {"patch",
                                                 {{"notes", "UPDATE_BELIEF: bandwidth bound"},
                                                  {"overall_rating_0_to_10", 12},
                                                  {"action", {{"score_0_to_1", 0.9}, {"difficulty_0_to_3", 0}}},
                                                  {"impacts", {{"memory_bandwidth", {{"risk", "uncoalesced loads"}}}}}}}}}));
  EXPECT_EQ(report.updates, 1);
  EXPECT_TRUE(report.skipped.empty()) << joined(report.skipped);
  const node& n = *wm.find("a1");
  EXPECT_EQ(n.notes, "UPDATE_BELIEF: bandwidth bound");
  EXPECT_DOUBLE_EQ(n.overall_rating_0_to_10, 10);
  EXPECT_DOUBLE_EQ(n.action.score_0_to_1, 0.9);
  EXPECT_EQ(n.action.difficulty_1_to_5, 1);              // legacy 0 + 1
  EXPECT_EQ(n.action.title, "Double buffering");         // shallow merge keeps the rest
  EXPECT_EQ(n.impacts.at("memory_bandwidth").risk, "uncoalesced loads");
  EXPECT_DOUBLE_EQ(n.impacts.at("memory_bandwidth").rating_0_to_10, 6);
  EXPECT_EQ(n.last_updated_round, 4);
  EXPECT_EQ(*n.parent_id, "a");
  EXPECT_TRUE(has_line(report.adjusted, {"ops[0].patch.overall_rating_0_to_10", "clamped to 10"})) << joined(report.adjusted);
}

TEST(EditOps, PatchesCannotWriteSolutionsOutcomesOrTheRootDecision) {
  world_model wm = sample();
  edit_report report =
      apply(wm, json::array({
                    {{"op", "update_node"}, {"node_id", "a"}, {"patch", {{"solution_ref", {{"solution_id", "forged"}}}, {"parent_id", "b"}}}},
                    {{"op", "update_node"}, {"node_id", "b"}, {"patch", {{"solution_ref", {{"solution_id", "forged"}}}, {"ksearch", {{"outcome", "pruned"}}}}}},
                    {{"op", "update_node"}, {"node_id", "root"}, {"patch", {{"decision", "hijack"}, {"notes", "root notes"}}}},
                }));
  EXPECT_EQ(report.updates, 3);
  EXPECT_EQ(*wm.find("a")->solution.solution_id, "sol_a");
  EXPECT_EQ(*wm.find("a")->parent_id, "root");
  EXPECT_FALSE(wm.find("b")->is_solved());
  EXPECT_EQ(wm.find("b")->outcome, node_outcome::none);
  EXPECT_FALSE(wm.root()->decision.has_value());
  EXPECT_EQ(wm.root()->notes, "root notes");
  EXPECT_TRUE(has_line(report.adjusted, {"ops[0].patch.solution_ref", "owned by the search"})) << joined(report.adjusted);
  EXPECT_TRUE(has_line(report.adjusted, {"ops[0].patch.parent_id", "cannot be patched"}));
  EXPECT_TRUE(has_line(report.adjusted, {"ops[1].patch.ksearch", "owned by the search"}));
  EXPECT_TRUE(has_line(report.adjusted, {"ops[2].patch.decision", "root"}));
}

TEST(EditOps, InsertNodeUnderASolvedParentFillsItsSolutionId) {
  world_model wm = sample();
  edit_report report = apply(wm, json::array({{{"op", "insert_node"},
                                               {"parent_id", "a"},
                                               {"node",
                                                {{"node_id", "a2"},
                                                 {"parent_id", "elsewhere"},
                                                 {"decision", "Epilogue"},
                                                 {"choice", "Fused bias"},
                                                 {"action", {{"title", "Fuse the bias add"}, {"score_0_to_1", 0.8}}},
                                                 {"solution_ref", {{"solution_id", "made-up"}, {"eval", {{"status", "passed"}}}}}}}}}));
  EXPECT_EQ(report.inserts, 1);
  EXPECT_EQ(report.new_nodes_added, 1);
  const node* n = wm.find("a2");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(*n->parent_id, "a");
  EXPECT_FALSE(n->is_solved());
  EXPECT_TRUE(n->solution.eval.empty());
  EXPECT_EQ(*n->solution.parent_solution_id, "sol_a");
  EXPECT_EQ(n->last_updated_round, 4);
  EXPECT_TRUE(has_line(report.adjusted, {"ops[0] (insert_node)", "solution_ref is owned by the search"})) << joined(report.adjusted);
  EXPECT_TRUE(has_line(report.adjusted, {"node.parent_id 'elsewhere' ignored"}));
}

TEST(EditOps, InsertNodeSkipsEachInvalidOpWithItsReason) {
  world_model wm = sample();
  const std::size_t before = wm.nodes.size();
  edit_report report = apply(wm, json::array({
                                     {{"op", "insert_node"}, {"parent_id", "ghost"}, {"node", {{"choice", "x"}}}},
                                     {{"op", "insert_node"}, {"parent_id", "a"}, {"node", "not an object"}},
                                     {{"op", "insert_node"}, {"parent_id", "a"}, {"parent_solution_id", "other"}, {"node", json::object()}},
                                     {{"op", "insert_node"}, {"node", json::object()}},
                                     {{"op", "insert_node"}, {"parent_id", "a"}},
                                 }));
  EXPECT_EQ(wm.nodes.size(), before);
  EXPECT_EQ(report.inserts, 0);
  ASSERT_EQ(report.skipped.size(), 5u) << joined(report.skipped);
  EXPECT_TRUE(has_line(report.skipped, {"ops[0] (insert_node)", "parent 'ghost' does not exist"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[1]", "must be an object"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[2]", "parent_solution_id 'other' does not match", "'sol_a'"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[3]", "no parent_id"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[4]", "no \"node\""}));
}

TEST(EditOps, NewNodeCapHoldsPerApplication) {
  world_model wm = sample();
  json ops = json::array();
  for (int i = 0; i < 4; ++i) {
    ops.push_back({{"op", "insert_node"}, {"parent_id", "root"}, {"node", {{"action", {{"title", "idea " + std::to_string(i)}}}}}});
  }
  edit_report report = apply(wm, ops);
  EXPECT_EQ(report.inserts, 3);
  EXPECT_EQ(report.new_nodes_added, 3);
  ASSERT_EQ(report.skipped.size(), 1u);
  EXPECT_TRUE(has_line(report.skipped, {"ops[3]", "cap of 3 new nodes"}));
  EXPECT_EQ(wm.nodes.size(), 8u);
  EXPECT_NE(wm.find("node_gemm_bf16_r4_1"), nullptr);
  EXPECT_NE(wm.find("node_gemm_bf16_r4_3"), nullptr);

  // The cap counts per application: a second script may add three more.
  edit_report second = apply(wm, json::array({ops[0]}));
  EXPECT_EQ(second.inserts, 1);
  EXPECT_NE(wm.find("node_gemm_bf16_r4_4"), nullptr);
}

TEST(EditOps, GeneratedIdsStayUniqueWhenARoundNumberRepeats) {
  world_model wm = sample();
  const edit_context resumed{.task_name = "gemm", .round = 1, .max_new_nodes = 3};
  json insert = {{"op", "insert_node"}, {"parent_id", "root"}, {"node", {{"action", {{"title", "x"}}}}}};
  json split = {{"op", "split_node"}, {"node_id", "a"}, {"children", json::array({{{"choice", "c"}}})}};
  // A previous run (whose round numbers started at 1 too) already used these ids.
  ASSERT_EQ(apply(wm, json::array({insert, split}), {}, resumed).new_nodes_added, 2);
  ASSERT_EQ(apply(wm, json::array({insert, insert, split}), {}, resumed).new_nodes_added, 3);
  json taken = insert;
  taken["node"]["node_id"] = "b";  // an id in use is replaced, not duplicated
  edit_report report = apply(wm, json::array({taken}), {}, resumed);
  EXPECT_TRUE(has_line(report.adjusted, {"node_id 'b' already exists"})) << joined(report.adjusted);

  std::set<std::string> ids;
  for (const node& n : wm.nodes) EXPECT_TRUE(ids.insert(n.node_id).second) << "duplicate " << n.node_id;
  EXPECT_NE(wm.find("node_gemm_r1_4"), nullptr);
  EXPECT_NE(wm.find("child_gemm_r1_2"), nullptr);
}

TEST(EditOps, SplitNodePatchesTheParentAndInsertsChildren) {
  world_model wm = sample();
  edit_report report = apply(wm, json::array({{{"op", "split_node"},
                                               {"node_id", "b"},
                                               {"parent_patch", {{"notes", "split into two schedules"}}},
                                               {"children", json::array({{{"choice", "2-way"}, {"action", {{"title", "K split 2"}}}},
                                                                         {{"node", {{"choice", "4-way"}}}}})}}}));
  EXPECT_EQ(report.split_children, 2);
  EXPECT_EQ(report.new_nodes_added, 2);
  EXPECT_EQ(wm.find("b")->notes, "split into two schedules");
  const std::vector<const node*> children = wm.children("b");
  ASSERT_EQ(children.size(), 3u);  // b1 and the two new ones
  EXPECT_EQ(children[1]->node_id, "child_gemm_bf16_r4_1");
  EXPECT_EQ(children[1]->choice, "2-way");
  EXPECT_EQ(children[2]->choice, "4-way");
  EXPECT_FALSE(children[1]->solution.parent_solution_id.has_value());  // b has no solution
}

TEST(EditOps, SplitNodeSkips) {
  world_model wm = sample();
  json many = json::array();
  for (int i = 0; i < 10; ++i) many.push_back({{"choice", "c" + std::to_string(i)}});
  edit_report report = apply(wm, json::array({
                                     {{"op", "split_node"}, {"node_id", "ghost"}, {"children", json::array()}},
                                     {{"op", "split_node"}, {"node_id", "b"}, {"children", "none"}},
                                     {{"op", "split_node"}, {"node_id", "b"}, {"children", many}},
                                 }),
                             {}, edit_context{.task_name = "t", .round = 2, .max_new_nodes = 20});
  EXPECT_TRUE(has_line(report.skipped, {"ops[0] (split_node 'ghost')", "does not exist"})) << joined(report.skipped);
  EXPECT_TRUE(has_line(report.skipped, {"ops[1]", "must be a list"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[2] (split_node 'b') children[8]", "first 8 children"}));
  EXPECT_TRUE(has_line(report.skipped, {"children[9]"}));
  EXPECT_EQ(report.split_children, 8);
}

TEST(EditOps, DeleteNodeOnlyRemovesUnsolvedLeaves) {
  world_model wm = sample();
  wm.active_leaf_id = "b1";
  edit_report report = apply(wm, json::array({
                                     {{"op", "delete_node"}, {"node_id", "b1"}},
                                     {{"op", "delete_node"}, {"node_id", "root"}},
                                     {{"op", "delete_node"}, {"node_id", "a"}},
                                     {{"op", "delete_node"}, {"node_id", "ghost"}},
                                 }));
  EXPECT_EQ(report.deletes, 1);
  EXPECT_EQ(wm.find("b1"), nullptr);
  EXPECT_EQ(wm.active_leaf_id, "root");
  EXPECT_TRUE(has_line(report.adjusted, {"active leaf"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[1]", "root cannot be deleted"})) << joined(report.skipped);
  EXPECT_TRUE(has_line(report.skipped, {"ops[2]", "holds a solution"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[3]", "does not exist"}));

  world_model parent_case = sample();
  parent_case.find("a")->solution = solution_ref{};
  edit_report with_children = apply(parent_case, json::array({{{"op", "delete_node"}, {"node_id", "a"}}}));
  EXPECT_TRUE(has_line(with_children.skipped, {"has children"}));
}

TEST(EditOps, MalformedOpsAreSkippedNeverThrown) {
  world_model wm = sample();
  const json before = to_json(wm);
  edit_report report = apply(wm, json::array({42, {{"node_id", "a"}}, {{"op", "rename_node"}},
                                              {{"op", "update_node"}, {"node_id", "ghost"}, {"patch", json::object()}},
                                              {{"op", "update_node"}, {"node_id", "a"}, {"patch", "x"}},
                                              {{"op", "update_node"}, {"patch", json::object()}},
                                              {{"op", "split_node"}, {"children", json::array()}},
                                              {{"op", "delete_node"}, {"node_id", 7}}}));
  EXPECT_EQ(report.ops, 8);
  ASSERT_EQ(report.skipped.size(), 8u);
  EXPECT_TRUE(has_line(report.skipped, {"ops[5] (update_node)", "no node_id"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[6] (split_node)", "no node_id"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[7] (delete_node)", "no node_id"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[0]", "a number is not an op object"})) << joined(report.skipped);
  EXPECT_TRUE(has_line(report.skipped, {"ops[1]", "no \"op\" field"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[2]", "unknown op 'rename_node'"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[3] (update_node 'ghost')", "does not exist"}));
  EXPECT_TRUE(has_line(report.skipped, {"ops[4]", "no \"patch\" object"}));
  EXPECT_EQ(to_json(wm), before);
  EXPECT_NE(report.summary().find("skipped=8"), std::string::npos);
  EXPECT_NE(report.summary().find("unknown op 'rename_node'"), std::string::npos);
}

TEST(EditOps, ActiveLeafIsSetOnlyToAnExistingNode) {
  world_model wm = sample();
  apply(wm, json::array({{{"op", "insert_node"}, {"parent_id", "b"}, {"node", {{"node_id", "fresh"}}}}}), "fresh");
  EXPECT_EQ(wm.active_leaf_id, "fresh");  // ops run first, so a new node can be made active
  edit_report report = apply(wm, json::array(), "ghost");
  EXPECT_EQ(wm.active_leaf_id, "fresh");
  EXPECT_TRUE(has_line(report.adjusted, {"active_leaf_id", "'ghost' does not exist"}));
}

TEST(EditOps, ApplicationIsDeterministic) {
  json ops = json::array({{{"op", "insert_node"}, {"parent_id", "root"}, {"node", {{"choice", "x"}}}},
                          {{"op", "update_node"}, {"node_id", "b"}, {"patch", {{"confidence_0_to_1", 0.7}}}},
                          {{"op", "split_node"}, {"node_id", "a"}, {"children", json::array({{{"choice", "y"}}})}}});
  world_model first = sample();
  world_model second = sample();
  EXPECT_EQ(apply(first, ops).summary(), apply(second, ops).summary());
  EXPECT_EQ(to_json(first).dump(), to_json(second).dump());
}

TEST(ParseEditScript, FindsTheScriptInAReply) {
  result<edit_script> script = parse_edit_script(
      "Reflection first.\n```json\n{\"active_leaf_id\": \"a1\", \"ops\": [{\"op\": \"delete_node\", \"node_id\": \"b1\"},]}\n```");
  ASSERT_TRUE(script.has_value()) << script.error().to_string();
  EXPECT_EQ(script->active_leaf_id, "a1");
  ASSERT_EQ(script->ops.size(), 1u);
  EXPECT_EQ(script->ops[0]["op"], "delete_node");

  result<edit_script> no_active = parse_edit_script(R"({"active_leaf_id": null, "ops": []})");
  ASSERT_TRUE(no_active.has_value());
  EXPECT_FALSE(no_active->active_leaf_id.has_value());
}

TEST(ParseEditScript, ErrorsNameWhatIsWrong) {
  result<edit_script> no_ops = parse_edit_script(R"({"edits": []})");
  ASSERT_FALSE(no_ops.has_value());
  EXPECT_EQ(no_ops.error().subject, "reply");
  EXPECT_EQ(no_ops.error().problem, "no \"ops\" list");

  result<edit_script> not_list = parse_edit_script(R"({"ops": {"op": "update_node"}})");
  ASSERT_FALSE(not_list.has_value());
  EXPECT_EQ(not_list.error().subject, "reply: ops");

  result<edit_script> bad_active = parse_edit_script(R"({"ops": [], "active_leaf_id": 3})");
  ASSERT_FALSE(bad_active.has_value());
  EXPECT_EQ(bad_active.error().subject, "reply: active_leaf_id");

  result<edit_script> nothing = parse_edit_script("no json here");
  ASSERT_FALSE(nothing.has_value());
  EXPECT_EQ(nothing.error().subject, "reply");
}

// check_refine: `a` was just solved; a valid refine gives it an open child with difficulty < 5.
TEST(CheckRefine, AValidRefineHasNoProblems) {
  const world_model before = sample();
  world_model after = before;
  edit_report report = apply(after, json::array({{{"op", "insert_node"}, {"parent_id", "a"},
                                                  {"node", {{"action", {{"title", "next"}, {"difficulty_1_to_5", 2}}}}}}}));
  EXPECT_TRUE(check_refine(before, after, "a", report).empty());
}

TEST(CheckRefine, EachRuleIsCaught) {
  const world_model before = sample();
  const auto problems_of = [&](const std::function<void(world_model&)>& change, const edit_report& report = {}) {
    world_model after = before;
    change(after);
    return joined(check_refine(before, after, "a", report));
  };
  // a1 is a's open child; without changes the refine is valid.
  EXPECT_EQ(problems_of([](world_model&) {}), "");
  EXPECT_NE(problems_of([](world_model& wm) { wm.root_id = "a"; }).find("root id changed"), std::string::npos);
  EXPECT_NE(problems_of([](world_model& wm) { wm.nodes.erase(wm.nodes.begin()); }).find("root node 'root' is missing"),
            std::string::npos);
  EXPECT_NE(problems_of([](world_model& wm) { wm.find("root")->choice = "x"; }).find("root's decision/choice changed"),
            std::string::npos);
  EXPECT_NE(problems_of([](world_model& wm) { wm.find("a")->solution.solution_id = "other"; }).find("changed its solution_id"),
            std::string::npos);
  EXPECT_NE(problems_of([](world_model& wm) {
              std::erase_if(wm.nodes, [](const node& n) { return n.node_id == "a"; });
            }).find("solved node 'a' was removed"),
            std::string::npos);
  EXPECT_NE(problems_of([](world_model& wm) { wm.find("a1")->action.difficulty_1_to_5 = 5; }).find("no open child action"),
            std::string::npos);
  EXPECT_NE(problems_of([](world_model& wm) { wm.find("a1")->outcome = node_outcome::failed; }).find("no open child action"),
            std::string::npos);
  edit_report skipped;
  skipped.skipped.push_back("ops[1] (insert_node): parent 'ghost' does not exist");
  EXPECT_NE(problems_of([](world_model&) {}, skipped).find("op skipped: ops[1] (insert_node)"), std::string::npos);
}

}  // namespace
}  // namespace ksearch::worldmodel
