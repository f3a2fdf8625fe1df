#include "ksearch/worldmodel/views.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "ksearch/common/json.h"
#include "ksearch/worldmodel/world_model_json.h"

namespace ksearch::worldmodel {
namespace {

node make_node(std::string id, std::string parent, double score = 0.5, int difficulty = 2) {
  node n;
  n.node_id = std::move(id);
  n.parent_id = std::move(parent);
  n.decision = "decision at " + n.node_id;
  n.choice = "choice " + n.node_id;
  n.impacts = default_impacts();
  n.action.title = "action " + n.node_id;
  n.action.description = "describe " + n.node_id;
  n.action.score_0_to_1 = score;
  n.action.difficulty_1_to_5 = difficulty;
  return n;
}

// root ── p1 (solved) ── p2 (solved) ── p3 (active, open)
//      └─ 30 open root children with long notes (UTF-8), and a best node deep in p-chain.
world_model big_model() {
  world_model wm = empty_world_model();
  wm.kernel_summary = std::string(3000, 's');
  wm.open_questions = {"q1?", "", "q2?"};
  wm.nodes.push_back(make_node("p1", "root"));
  wm.nodes.push_back(make_node("p2", "p1"));
  wm.nodes.push_back(make_node("p3", "p2"));
  wm.find("p1")->solution = {.solution_id = "s1", .eval = {{"status", "PASSED"}, {"score", 1.1}, {"latency_ms", 0.5}}};
  wm.find("p2")->solution = {.solution_id = "s2", .parent_solution_id = "s1",
                             .eval = {{"status", "PASSED"}, {"score", 1.4}, {"mean_vs_baseline_factor", 1.4}}};
  for (int i = 0; i < 30; ++i) {
    node n = make_node("r" + std::to_string(i), "root", 0.01 * i, 1 + i % 5);
    n.notes = "CURRENT: ";
    for (int k = 0; k < 200; ++k) n.notes += "é→";  // multi-byte characters everywhere a cut may fall
    wm.nodes.push_back(std::move(n));
  }
  wm.find("p3")->notes = "the active node's notes";
  wm.active_leaf_id = "p3";
  return wm;
}

json parse_view(const std::string& text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(doc.is_discarded()) << text;
  return doc;
}

std::set<std::string> shown_ids(const json& view) {
  std::set<std::string> ids;
  if (!view.contains("decision_tree") || !view["decision_tree"].contains("nodes")) return ids;
  for (const json& n : view["decision_tree"]["nodes"]) ids.insert(n["node_id"].get<std::string>());
  return ids;
}

TEST(CompactView, AlwaysValidJsonWithinBudget) {
  const world_model wm = big_model();
  for (std::size_t budget : {0, 1, 2, 10, 60, 100, 150, 200, 300, 500, 800, 1200, 2600, 5000, 50000, 500000}) {
    const std::string text = compact_view_json(wm, budget);
    EXPECT_LE(text.size(), std::max<std::size_t>(budget, 2)) << "budget " << budget;
    const json view = parse_view(text);
    ASSERT_TRUE(view.is_object()) << "budget " << budget;
    if (view.contains("decision_tree")) {
      const json& tree = view["decision_tree"];
      EXPECT_EQ(tree["omitted_nodes"].get<std::size_t>() + tree["nodes"].size(), wm.nodes.size()) << "budget " << budget;
    }
  }
}

TEST(CompactView, KeepsTheActivePathFirst) {
  const world_model wm = big_model();
  for (std::size_t budget : {800, 1200, 2600, 50000}) {
    const json view = parse_view(compact_view_json(wm, budget));
    const std::set<std::string> ids = shown_ids(view);
    for (const char* id : {"root", "p1", "p2", "p3"}) EXPECT_TRUE(ids.contains(id)) << id << " at budget " << budget;
    EXPECT_EQ(view["decision_tree"]["active_leaf_id"], "p3");
  }
  // When the whole path cannot fit, the nodes nearest the active one are kept.
  const json tiny = parse_view(compact_view_json(wm, 300));
  EXPECT_EQ(shown_ids(tiny), (std::set<std::string>{"p3"}));
  const json small = parse_view(compact_view_json(wm, 500));
  EXPECT_TRUE(shown_ids(small).contains("p2"));
  EXPECT_FALSE(shown_ids(small).contains("root"));
}

TEST(CompactView, RichBudgetsShowNotesAndEverything) {
  const world_model wm = big_model();
  const json view = parse_view(compact_view_json(wm, 500000));
  EXPECT_EQ(view["decision_tree"]["omitted_nodes"], 0);
  EXPECT_EQ(view["open_questions"], (json{"q1?", "q2?"}));
  EXPECT_EQ(view["kernel_summary"].get<std::string>().size(), 1500u);  // clipped even when there is room
  bool saw_notes = false, saw_solution = false;
  for (const json& n : view["decision_tree"]["nodes"]) {
    if (n["node_id"] == "p3") saw_notes = n["notes"] == "the active node's notes";
    if (n["node_id"] == "p2") {
      saw_solution = n["solution_ref"]["solution_id"] == "s2" && n["solution_ref"]["eval"]["score"] == 1.4;
    }
  }
  EXPECT_TRUE(saw_notes);
  EXPECT_TRUE(saw_solution);
  // Nodes come out in insertion order, so parents precede children.
  EXPECT_EQ(view["decision_tree"]["nodes"][0]["node_id"], "root");
}

TEST(CompactView, MediumBudgetPrefersTheFrontierOverDetail) {
  const world_model wm = big_model();
  const json view = parse_view(compact_view_json(wm, 2600));
  const std::set<std::string> ids = shown_ids(view);
  // The top frontier actions (p3, then the highest-scored root children) are shown, at the cost of
  // the kernel summary's length and the notes.
  EXPECT_TRUE(ids.contains("r29"));
  EXPECT_TRUE(ids.contains("r28"));
  EXPECT_FALSE(ids.contains("r0"));
  EXPECT_LE(view["kernel_summary"].get<std::string>().size(), 200u);
}

TEST(PathText, ListsTheActivePathFromTheRoot) {
  const world_model wm = big_model();
  EXPECT_EQ(path_text(wm, ""),
            "- root: <root>\n- p1: decision at p1 -> choice p1\n- p2: decision at p2 -> choice p2\n- p3: decision at p3 -> choice p3");
  EXPECT_EQ(path_text(wm, "p1"), "- root: <root>\n- p1: decision at p1 -> choice p1");
  EXPECT_EQ(path_text(wm, "ghost"), "(no node 'ghost')");
}

TEST(PathText, ShowsOnlyTheNearest64) {
  world_model wm = empty_world_model();
  std::string parent = "root";
  for (int i = 0; i < 70; ++i) {
    wm.nodes.push_back(make_node("d" + std::to_string(i), parent));
    parent = "d" + std::to_string(i);
  }
  const std::string text = path_text(wm, "d69");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 64);  // 64 lines + the "not shown" line
  EXPECT_EQ(text.rfind("- ... (7 ancestors not shown)", 0), 0u);
  EXPECT_NE(text.find("- d69: "), std::string::npos);
}

TEST(FrontierText, SelectionOrderBoundedWithParentPerformance) {
  world_model wm = big_model();
  const std::string text = frontier_text(wm, 3);
  // Highest score first: p3 (0.5), then r29 (0.29), r28 (0.28).
  EXPECT_EQ(text.rfind("- p3 [score 0.50, difficulty 2, rating 0.0] action p3 | under p2 status=PASSED score=1.4000 "
                       "vs_base=1.400x, parent_solution_id s2",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find("\n- r29 "), std::string::npos);
  EXPECT_NE(text.find("under root (root), parent_solution_id none"), std::string::npos);
  EXPECT_NE(text.find("(28 more frontier nodes not shown)"), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);

  world_model empty = empty_world_model();
  EXPECT_EQ(frontier_text(empty, 10), "(no executable actions)");
}

TEST(ChosenActionBlock, ShowsTheActionAndItsBase) {
  world_model wm = big_model();
  wm.find("p3")->action.expected_vs_baseline_factor = 1.25;
  wm.find("p3")->action.rationale = "fewer loads";
  wm.find("p3")->attempts = 2;
  const std::string block = chosen_action_block(wm, "p3");
  EXPECT_EQ(block,
            "World Model: Chosen Next Action (from decision tree node)\n"
            "node_id: p3\nbase_node_id: p2\ntitle: action p3\ndifficulty_1_to_5: 2\ndescription: describe p3\n"
            "expected_vs_baseline_factor: 1.250\nrationale: fewer loads\nprevious attempts on this node: 1\n")
      << "two cycles, the one running now and one before it";
  wm.find("p3")->attempts = 1;
  EXPECT_EQ(chosen_action_block(wm, "p3").find("previous attempts"), std::string::npos) << "the first cycle";
  EXPECT_EQ(chosen_action_block(wm, "root"), "");  // no title
  EXPECT_EQ(chosen_action_block(wm, "ghost"), "");
  EXPECT_EQ(chosen_action_block(wm, ""), "");
}

TEST(StatusText, ActivePathBestNodeAndUnexploredFamilies) {
  world_model wm = big_model();
  const std::string text = status_text(wm);
  EXPECT_NE(text.find("Active path:\n- root: <root>\n- p1"), std::string::npos) << text;
  EXPECT_NE(text.find("Best node: p2 (status=PASSED score=1.4000 vs_base=1.400x)"), std::string::npos);
  EXPECT_NE(text.find("Best path:\n- root: <root>\n- p1: decision at p1 -> choice p1\n- p2:"), std::string::npos);
  EXPECT_NE(text.find("Under-explored root children (no solution in their subtree):\n- r0: choice r0\n- r1"),
            std::string::npos);
  EXPECT_EQ(text.find("- p1: choice p1"), std::string::npos);  // p1's subtree has solutions
  EXPECT_EQ(text.find("- r4:"), std::string::npos);            // at most 4

  const std::string fresh = status_text(empty_world_model());
  EXPECT_NE(fresh.find("Best node: (none yet)"), std::string::npos);
  EXPECT_NE(fresh.find("subtree): (none)"), std::string::npos);
}

TEST(EvalPerfText, ShowsWhatTheEvalHas) {
  EXPECT_EQ(eval_perf_text({{"status", "passed"}, {"metrics", {{"score", 2.5}}}, {"speedup_factor", 3.0}, {"latency_ms", 0.25}}),
            "status=passed score=2.5000 speedup=3.000x lat=0.2500ms");
  EXPECT_EQ(eval_perf_text(json::object()), "(no evaluation)");
}

TEST(SchemaGuide, IsAWorldModelThatLoadsCleanly) {
  const json guide = json::parse(schema_guide_json());
  repair_report report;
  result<world_model> wm = world_model_from_json(guide, report);
  ASSERT_TRUE(wm.has_value());
  EXPECT_TRUE(report.repairs.empty());
  ASSERT_EQ(wm->nodes.size(), 2u);
  EXPECT_TRUE(wm->nodes[1].is_action());
  EXPECT_FALSE(wm->nodes[1].impacts.at("compute_intensity_and_hw_fit").hw_notes.empty());
  EXPECT_TRUE(guide["decision_tree"]["nodes"][1]["action"].contains("expected_vs_baseline_factor"));
}

}  // namespace
}  // namespace ksearch::worldmodel
