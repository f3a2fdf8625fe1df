// The world-model tree: the tidy layout's promises (no overlaps, parents above and centred over
// their children, the chosen path marked) on the fixture's tree and on awkward synthetic ones.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ksearch/common/json.h"
#include "ksearch/report/tree_layout.h"
#include "ksearch/worldmodel/world_model_json.h"
#include "report/markup_check.h"

namespace ksearch::report {
namespace {

namespace wm = ksearch::worldmodel;

wm::world_model fixture_model() {
  std::stringstream text;
  text << std::ifstream(std::string(KSEARCH_TEST_DATA_DIR) + "/run-fixture/world_model.json").rdbuf();
  wm::repair_report repairs;
  auto model = wm::world_model_from_json(json::parse(text.str()), repairs);
  EXPECT_TRUE(model);
  EXPECT_TRUE(repairs.repairs.empty());
  return *model;
}

// A tree from "child:parent" pairs (the root is "root"); the active leaf is `active`.
wm::world_model tree_of(const std::vector<std::pair<std::string, std::string>>& edges, const std::string& active = "root") {
  wm::world_model model = wm::empty_world_model();
  for (const auto& [child, parent] : edges) {
    wm::node n;
    n.node_id = child;
    n.parent_id = parent;
    n.action.title = "do " + child;
    model.nodes.push_back(n);
  }
  model.active_leaf_id = active;
  return model;
}

void expect_tidy(const wm::world_model& model, const tree_layout& layout) {
  const tree_layout_options& o = layout.options;
  ASSERT_EQ(layout.nodes.size(), model.nodes.size());
  for (std::size_t i = 0; i < layout.nodes.size(); ++i) {
    const placed_node& a = layout.nodes[i];
    EXPECT_GE(a.x, 0);
    EXPECT_LE(a.x + o.node_width, layout.width + 1e-9);
    EXPECT_LE(a.y + o.node_height, layout.height + 1e-9);
    for (std::size_t j = i + 1; j < layout.nodes.size(); ++j) {
      const placed_node& b = layout.nodes[j];
      const bool apart = a.x + o.node_width + o.sibling_gap <= b.x + 1e-9 || b.x + o.node_width + o.sibling_gap <= a.x + 1e-9 ||
                         a.y + o.node_height <= b.y || b.y + o.node_height <= a.y;
      EXPECT_TRUE(apart) << a.node_id << " overlaps " << b.node_id;
    }
    if (a.parent_id.empty()) continue;
    const placed_node* parent = layout.find(a.parent_id);
    ASSERT_NE(parent, nullptr);
    EXPECT_EQ(a.depth, parent->depth + 1);
    EXPECT_GE(a.y, parent->y + o.node_height) << a.node_id << " is not below its parent";
  }
  // Each parent is centred over its first and last child.
  for (const placed_node& p : layout.nodes) {
    const auto children = model.children(p.node_id);
    if (children.empty()) continue;
    const double first = layout.find(children.front()->node_id)->x, last = layout.find(children.back()->node_id)->x;
    EXPECT_NEAR(p.x, (first + last) / 2, 1e-6) << p.node_id;
  }
}

TEST(TreeLayout, TheFixtureTreeIsTidy) {
  const wm::world_model model = fixture_model();
  const tree_layout layout = layout_tree(model);
  expect_tidy(model, layout);
  // Same depth, same row; four rows in the fixture.
  for (const placed_node& a : layout.nodes) {
    for (const placed_node& b : layout.nodes) {
      if (a.depth == b.depth) {
        EXPECT_EQ(a.y, b.y);
      }
    }
  }
  EXPECT_EQ(layout.find("node_scale_add_d256_r11_2")->depth, 3);
  // Siblings keep the tree's insertion order, left to right.
  EXPECT_LT(layout.find("n1")->x, layout.find("n2")->x);
  EXPECT_LT(layout.find("n2")->x, layout.find("n3")->x);
}

TEST(TreeLayout, MarksThePathFromTheRootToTheActiveLeaf) {
  const wm::world_model model = fixture_model();
  const tree_layout layout = layout_tree(model);
  std::vector<std::string> on_path;
  for (const placed_node& n : layout.nodes) {
    if (n.on_active_path) on_path.push_back(n.node_id);
    EXPECT_EQ(n.active_leaf, n.node_id == "node_scale_add_d256_r11_2");
  }
  EXPECT_EQ(on_path, (std::vector<std::string>{"root", "n1", "node_scale_add_d256_r5_1", "node_scale_add_d256_r11_2"}));
}

TEST(TreeLayout, StatesComeFromSolutionsAndOutcomes) {
  const wm::world_model model = fixture_model();
  const tree_layout layout = layout_tree(model);
  auto state = [&](const char* id) { return layout.find(id)->state; };
  EXPECT_EQ(state("root"), node_state::root);
  EXPECT_EQ(state("n1"), node_state::solved);
  EXPECT_EQ(state("n2"), node_state::failed);
  EXPECT_EQ(state("n3"), node_state::too_hard);
  EXPECT_EQ(state("node_scale_add_d256_r5_2"), node_state::pruned);
  EXPECT_EQ(state("node_scale_add_d256_r11_1"), node_state::open);
}

TEST(TreeLayout, UnevenSubtreesNeverOverlap) {
  // A wide subtree under the first child, a deep chain under the second, a leaf between them
  // and a second wide family at depth 3 that must clear the first one's grandchildren.
  const wm::world_model model = tree_of({{"a", "root"},  {"b", "root"},  {"c", "root"},  {"a1", "a"},   {"a2", "a"},
                                         {"a3", "a"},    {"a4", "a"},    {"c1", "c"},    {"c11", "c1"}, {"c111", "c11"},
                                         {"a41", "a4"},  {"a42", "a4"},  {"a43", "a4"},  {"c12", "c1"}, {"c121", "c12"},
                                         {"c122", "c12"}, {"c123", "c12"}},
                                        "c122");
  const tree_layout layout = layout_tree(model);
  expect_tidy(model, layout);
  EXPECT_TRUE(layout.find("c12")->on_active_path);
  EXPECT_FALSE(layout.find("c11")->on_active_path);
}

TEST(TreeLayout, ARootAloneIsOneBox) {
  const wm::world_model model = wm::empty_world_model();
  const tree_layout layout = layout_tree(model);
  ASSERT_EQ(layout.nodes.size(), 1u);
  EXPECT_EQ(layout.nodes[0].x, layout.options.margin);
  EXPECT_EQ(layout.width, layout.options.node_width + 2 * layout.options.margin);
  EXPECT_TRUE(layout.nodes[0].on_active_path);
}

TEST(TreeSvg, DrawsEveryNodeColouredByStateWithThePathHighlighted) {
  const wm::world_model model = fixture_model();
  const std::string best_id = *model.find("node_scale_add_d256_r5_1")->solution.solution_id;
  const std::string svg = render_tree_svg(model, layout_tree(model), {.id = "wm-tree", .best_solution_id = best_id});
  const test::markup_check check = test::check_markup(svg, /*html=*/false);
  ASSERT_FALSE(check.problem) << *check.problem;
  EXPECT_NE(svg.find("id=\"wm-tree\""), std::string::npos);

  std::size_t groups = 0;
  for (std::size_t at = svg.find("<g class=\"node "); at != std::string::npos; at = svg.find("<g class=\"node ", at + 1)) ++groups;
  EXPECT_EQ(groups, model.nodes.size());
  for (const char* cls : {"state-root", "state-solved", "state-failed", "state-too-hard", "state-pruned", "state-open"}) {
    EXPECT_NE(svg.find(cls), std::string::npos) << cls;
  }
  // Three edges on the chosen path (root → n1 → r5_1 → r11_2), the other four plain.
  std::size_t path_edges = 0, edges = 0;
  for (std::size_t at = svg.find("<path class=\"edge"); at != std::string::npos; at = svg.find("<path class=\"edge", at + 1)) {
    ++edges;
    if (svg.substr(at).starts_with("<path class=\"edge on-path\"")) ++path_edges;
  }
  EXPECT_EQ(edges, model.nodes.size() - 1);
  EXPECT_EQ(path_edges, 3u);
  EXPECT_NE(svg.find("class=\"node state-open on-path active-leaf\" data-node-id=\"node_scale_add_d256_r11_2\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"node state-solved on-path best\" data-node-id=\"node_scale_add_d256_r5_1\""), std::string::npos);
  // One badge, inside the best node's group.
  const std::size_t badge = svg.find("best-badge");
  ASSERT_NE(badge, std::string::npos);
  EXPECT_EQ(svg.find("best-badge", badge + 1), std::string::npos);
  const std::size_t best_group = svg.find("data-node-id=\"node_scale_add_d256_r5_1\"");
  EXPECT_GT(badge, best_group);
  EXPECT_LT(badge, svg.find("<g class=\"node ", best_group));
  // The solved node shows its round and score; the failed one its round.
  EXPECT_NE(svg.find("solved r9 \u00b7 1.211"), std::string::npos);
  EXPECT_NE(svg.find("failed r7"), std::string::npos);
}

TEST(TreeSvg, EscapesWhatTheModelWrote) {
  wm::world_model model = tree_of({{"a", "root"}});
  model.nodes[1].action.title = "use <cuda/pipeline> & \"async\" copies";
  model.nodes[1].outcome_reason = "x < y";
  const std::string svg = render_tree_svg(model, layout_tree(model));
  const test::markup_check check = test::check_markup(svg, /*html=*/false);
  ASSERT_FALSE(check.problem) << *check.problem;
  EXPECT_NE(svg.find("&lt;cuda/pipeline&gt; &amp;"), std::string::npos);
}

}  // namespace
}  // namespace ksearch::report
