// ksearch/report/tree_layout.h — the world model drawn as a tree: a tidy layout and its SVG.
//
// layout_tree places every node reachable from the root: one row per depth (parents above their
// children), each parent centred over its first and last child, and sibling subtrees pushed apart
// until their contours (the leftmost and rightmost box edge on every level below) keep a gap, so no
// two boxes overlap however uneven the subtrees are (Reingold–Tilford's idea, without threads:
// O(nodes × depth), plenty for a search's tree). Children keep the tree's insertion order.
//
// render_tree_svg draws the layout: one box per node filled by its state (open, solved, failed,
// too hard, pruned), the node's action or choice, a status line (round and score when solved), a
// tooltip with the full decision, the path from the root to the active leaf (the search's chosen
// path) highlighted, the node holding the best solution badged, and a legend. In a page the drawing
// shrinks to fit its container down to 60% of its size (labels stay legible), then needs scrolling.
//
// Thread-safety: pure functions over a world model the caller keeps alive during the call.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ksearch/worldmodel/world_model.h"

namespace ksearch::report {

enum class node_state { root, open, solved, failed, too_hard, pruned };

/// "root", "open", "solved", "failed", "too hard", "pruned".
[[nodiscard]] std::string_view to_string(node_state state);
/// Solved when a solution is attached; else the recorded outcome; else open (an action node, or
/// a decision node that nothing has closed).
[[nodiscard]] node_state state_of(const worldmodel::node& n);

struct tree_layout_options {
  double node_width = 188;   // [px]
  double node_height = 64;   // [px]
  double sibling_gap = 14;   // least horizontal gap between two boxes on one level [px]
  double level_gap = 40;     // vertical gap between levels [px]
  double margin = 12;        // around the drawing [px]
};

struct placed_node {
  std::string node_id;
  std::string parent_id;     // "" for the root
  int depth = 0;             // edges from the root
  double x = 0, y = 0;       // top-left corner of the node's box [px]
  node_state state = node_state::open;
  bool on_active_path = false;  // on the path root ... active leaf
  bool active_leaf = false;
};

struct tree_layout {
  std::vector<placed_node> nodes;  // depth first from the root, children in insertion order
  double width = 0, height = 0;    // of the boxes with margins [px] (the legend comes on top of this)
  tree_layout_options options;

  [[nodiscard]] const placed_node* find(std::string_view node_id) const;
};

[[nodiscard]] tree_layout layout_tree(const worldmodel::world_model& wm, const tree_layout_options& options = {});

struct tree_svg_options {
  std::string id = "wm-tree";    // id of the <svg> element
  std::string best_solution_id;  // the node whose solution this is gets a "best" badge; "" = none
};

[[nodiscard]] std::string render_tree_svg(const worldmodel::world_model& wm, const tree_layout& layout,
                                          const tree_svg_options& options = {});

}  // namespace ksearch::report
