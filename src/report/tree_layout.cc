#include "ksearch/report/tree_layout.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "ksearch/report/format.h"
#include "ksearch/report/svg_chart.h"

namespace ksearch::report {

namespace wm = ksearch::worldmodel;

namespace {

// A subtree during layout: its contour per level (0 = its root) and where its nodes sit, both
// relative to the centre of its root's box.
struct subtree {
  std::vector<double> left, right;                       // box edges per level [px]
  std::vector<std::pair<std::size_t, double>> members;   // index into layout.nodes, centre x [px]
};

class tree_placer {
 public:
  tree_placer(const wm::world_model& model, const tree_layout_options& options, tree_layout& out)
      : model_(model), options_(options), out_(out) {}

  subtree place(const wm::node& n, int depth, const std::string& parent_id) {
    visited_.insert(n.node_id);
    const std::size_t index = out_.nodes.size();
    out_.nodes.push_back({.node_id = n.node_id, .parent_id = parent_id, .depth = depth, .state = state_of(n)});

    std::vector<subtree> children;
    for (const wm::node* child : model_.children(n.node_id)) {
      if (visited_.contains(child->node_id)) continue;  // a broken tree must not loop
      children.push_back(place(*child, depth + 1, n.node_id));
    }

    const double half = options_.node_width / 2;
    subtree tree;
    tree.left.push_back(-half);
    tree.right.push_back(half);
    tree.members.emplace_back(index, 0.0);
    if (children.empty()) return tree;

    // Children left to right, each pushed right until it clears the ones before on every level.
    std::vector<double> offsets(children.size(), 0.0);
    std::vector<double> left = children[0].left, right = children[0].right;
    for (std::size_t c = 1; c < children.size(); ++c) {
      const subtree& next = children[c];
      double offset = -1e300;
      for (std::size_t level = 0; level < std::min(right.size(), next.left.size()); ++level) {
        offset = std::max(offset, right[level] - next.left[level] + options_.sibling_gap);
      }
      offsets[c] = offset;
      for (std::size_t level = 0; level < next.left.size(); ++level) {
        if (level < right.size()) {
          right[level] = next.right[level] + offset;
        } else {
          left.push_back(next.left[level] + offset);
          right.push_back(next.right[level] + offset);
        }
      }
    }
    const double centre = (offsets.front() + offsets.back()) / 2;
    for (std::size_t level = 0; level < left.size(); ++level) {
      tree.left.push_back(left[level] - centre);
      tree.right.push_back(right[level] - centre);
    }
    for (std::size_t c = 0; c < children.size(); ++c) {
      for (const auto& [member, x] : children[c].members) tree.members.emplace_back(member, x + offsets[c] - centre);
    }
    return tree;
  }

 private:
  const wm::world_model& model_;
  const tree_layout_options& options_;
  tree_layout& out_;
  std::set<std::string> visited_;
};

std::string px(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", std::abs(v) < 0.05 ? 0.0 : v);
  return text;
}

struct state_style {
  const char* fill;
  const char* stroke;
};

state_style style_of(node_state state) {
  switch (state) {
    case node_state::root: return {"#f3f4f6", "#4b5563"};
    case node_state::open: return {"#eff6ff", "#3b82f6"};
    case node_state::solved: return {"#dcfce7", "#16a34a"};
    case node_state::failed: return {"#fee2e2", "#dc2626"};
    case node_state::too_hard: return {"#fef3c7", "#d97706"};
    case node_state::pruned: return {"#f9fafb", "#9ca3af"};
  }
  return {"#ffffff", "#000000"};
}

constexpr const char* path_colour = "#7c3aed";  // the chosen path: distinct from every state colour
constexpr const char* best_colour = "#b45309";
constexpr double label_char = 6.6;   // an 11 px character, counted wide (bold, DejaVu Sans) [px]
constexpr double legend_height = 30;  // [px]

// The box's headline: what the node does; for the root, what the kernel is.
std::string headline(const wm::world_model& model, const wm::node& n) {
  if (n.is_root()) return model.kernel_summary.empty() ? std::string("root") : model.kernel_summary;
  if (!n.action.title.empty()) return n.action.title;
  if (n.choice && !n.choice->empty()) return *n.choice;
  if (n.decision && !n.decision->empty()) return *n.decision;
  return n.node_id;
}

// Word-wraps `text` into at most `lines` lines of `width` characters; the last one is cut with "…".
std::vector<std::string> wrap(const std::string& text, std::size_t width, std::size_t lines) {
  if (lines <= 1) return {truncate_text(text, width)};
  std::vector<std::string> out;
  std::string current;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t space = text.find(' ', pos);
    const std::string word = text.substr(pos, space == std::string::npos ? std::string::npos : space - pos);
    pos = space == std::string::npos ? text.size() : space + 1;
    if (word.empty()) continue;
    if (current.empty()) {
      current = word;
    } else if (utf8_length(current) + 1 + utf8_length(word) <= width) {
      current += " " + word;
    } else {
      out.push_back(current);
      current = word;
      if (out.size() + 1 == lines) {  // the last line takes the rest
        current = word + (pos < text.size() ? " " + text.substr(pos) : std::string());
        break;
      }
    }
  }
  if (!current.empty()) out.push_back(current);
  for (std::string& line : out) line = truncate_text(line, width);
  return out;
}

std::string status_line(const wm::node& n, node_state state, bool active_leaf) {
  std::string line;
  switch (state) {
    case node_state::root: line = "root"; break;
    case node_state::solved: {
      line = "solved";
      if (n.solution.round_index) line += " r" + std::to_string(*n.solution.round_index);
      if (auto score = wm::eval_score(n.solution.eval)) line += " \u00b7 " + format_number(*score, 4);
      break;
    }
    case node_state::failed:
      line = "failed";
      if (n.outcome_round > 0) line += " r" + std::to_string(n.outcome_round);
      break;
    case node_state::too_hard: line = "too hard"; break;
    case node_state::pruned: line = "pruned"; break;
    case node_state::open:
      line = "open";
      if (n.is_action()) line += " \u00b7 score " + format_number(n.action.score_0_to_1, 2) + " \u00b7 d" + std::to_string(n.action.difficulty_1_to_5);
      break;
  }
  if (active_leaf) line += " \u00b7 active";
  return line;
}

std::string tooltip(const wm::node& n, node_state state) {
  std::string text = n.node_id + " (" + std::string(to_string(state)) + ")";
  if (n.decision) text += "\ndecision: " + *n.decision;
  if (n.choice) text += "\nchoice: " + *n.choice;
  if (!n.action.title.empty()) {
    text += "\naction: " + n.action.title + " (difficulty " + std::to_string(n.action.difficulty_1_to_5) + ", score " +
            format_number(n.action.score_0_to_1, 2) + ")";
  }
  if (!n.action.description.empty()) text += "\n" + n.action.description;
  if (n.solution.solution_id) text += "\nsolution: " + n.solution.solution_name.value_or(*n.solution.solution_id);
  if (!n.outcome_reason.empty()) text += "\nwhy: " + n.outcome_reason;
  return text;
}

}  // namespace

std::string_view to_string(node_state state) {
  switch (state) {
    case node_state::root: return "root";
    case node_state::open: return "open";
    case node_state::solved: return "solved";
    case node_state::failed: return "failed";
    case node_state::too_hard: return "too hard";
    case node_state::pruned: return "pruned";
  }
  return "open";
}

node_state state_of(const wm::node& n) {
  if (n.is_solved()) return node_state::solved;
  switch (n.outcome) {
    case wm::node_outcome::failed: return node_state::failed;
    case wm::node_outcome::too_hard: return node_state::too_hard;
    case wm::node_outcome::pruned: return node_state::pruned;
    case wm::node_outcome::none: break;
  }
  return n.is_root() ? node_state::root : node_state::open;
}

const placed_node* tree_layout::find(std::string_view node_id) const {
  for (const placed_node& n : nodes) {
    if (n.node_id == node_id) return &n;
  }
  return nullptr;
}

tree_layout layout_tree(const wm::world_model& model, const tree_layout_options& options) {
  tree_layout out;
  out.options = options;
  const wm::node* root = model.root();
  if (root == nullptr) return out;
  tree_placer placer(model, options, out);
  const subtree tree = placer.place(*root, 0, "");

  // Absolute positions: the leftmost box edge at the margin, one row per depth.
  const double leftmost = *std::min_element(tree.left.begin(), tree.left.end());
  const double rightmost = *std::max_element(tree.right.begin(), tree.right.end());
  for (const auto& [index, centre] : tree.members) {
    placed_node& n = out.nodes[index];
    n.x = options.margin + (centre - leftmost) - options.node_width / 2;
    n.y = options.margin + n.depth * (options.node_height + options.level_gap);
  }
  const auto levels = static_cast<double>(tree.left.size());
  out.width = rightmost - leftmost + 2 * options.margin;
  out.height = levels * options.node_height + (levels - 1) * options.level_gap + 2 * options.margin;

  // The chosen path: the root down to the active leaf.
  for (const wm::node* on_path : model.path_to(model.active_leaf_id)) {
    for (placed_node& n : out.nodes) {
      if (n.node_id == on_path->node_id) n.on_active_path = true;
    }
  }
  for (placed_node& n : out.nodes) n.active_leaf = n.node_id == model.active_leaf_id;
  return out;
}

std::string render_tree_svg(const wm::world_model& model, const tree_layout& layout, const tree_svg_options& options) {
  const tree_layout_options& o = layout.options;
  struct legend_item {
    std::string label;
    node_state state;
  };
  const std::vector<legend_item> states = {{"open", node_state::open},         {"solved", node_state::solved},
                                           {"failed", node_state::failed},     {"too hard", node_state::too_hard},
                                           {"pruned", node_state::pruned}};
  const std::string path_label = "chosen path (root \u2192 active leaf)";
  const std::string best_label = "\u2605 best solution";
  double legend_width = 2 * o.margin;
  auto text_width = [](const std::string& text) { return estimate_text_width(text, 11); };
  for (const legend_item& item : states) legend_width += 20 + text_width(item.label) + 14;
  legend_width += 30 + text_width(path_label) + 14 + text_width(best_label);
  const double width = std::max(layout.width, legend_width);
  const double height = layout.height + legend_height;
  const double shift = (width - layout.width) / 2;  // centre a narrow tree over the legend

  std::string out;
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + escape_html(options.id) + "\" class=\"tree\" viewBox=\"0 0 " +
         px(width) + " " + px(height) + "\" width=\"" + px(width) + "\" height=\"" + px(height) +
         "\" style=\"max-width:100%;min-width:" + px(0.6 * width) +
         "px\" role=\"img\" aria-label=\"world-model tree\" font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\">\n";
  out += "<title>World-model decision tree</title>\n";

  // 1. Edges, the chosen path's last so that it is drawn on top.
  std::string plain_edges, path_edges;
  for (const placed_node& child : layout.nodes) {
    const placed_node* parent = child.parent_id.empty() ? nullptr : layout.find(child.parent_id);
    if (parent == nullptr) continue;
    const double x1 = shift + parent->x + o.node_width / 2, y1 = parent->y + o.node_height;
    const double x2 = shift + child.x + o.node_width / 2, y2 = child.y;
    const double mid = (y1 + y2) / 2;
    const bool on_path = parent->on_active_path && child.on_active_path;
    std::string& target = on_path ? path_edges : plain_edges;
    target += "<path class=\"edge" + std::string(on_path ? " on-path" : "") + "\" data-from=\"" + escape_html(parent->node_id) +
              "\" data-to=\"" + escape_html(child.node_id) + "\" d=\"M" + px(x1) + " " + px(y1) + " C" + px(x1) + " " + px(mid) +
              " " + px(x2) + " " + px(mid) + " " + px(x2) + " " + px(y2) + "\" fill=\"none\" stroke=\"" +
              (on_path ? path_colour : "#9ca3af") + "\" stroke-width=\"" + (on_path ? "3.5" : "1.5") + "\"/>\n";
  }
  out += "<g class=\"edges\">\n" + plain_edges + path_edges + "</g>\n";

  // 2. Boxes: fill by state, a violet outline on the chosen path, a badge on the best node.
  const std::size_t chars = static_cast<std::size_t>(std::max(8.0, (o.node_width - 16) / label_char));
  out += "<g class=\"nodes\">\n";
  for (const placed_node& placed : layout.nodes) {
    const wm::node* n = model.find(placed.node_id);
    if (n == nullptr) continue;
    const state_style style = style_of(placed.state);
    const double x = shift + placed.x, y = placed.y;
    std::string state_class(to_string(placed.state));
    std::replace(state_class.begin(), state_class.end(), ' ', '-');  // "too hard" -> "too-hard"
    std::string classes = "node state-" + state_class;
    if (placed.on_active_path) classes += " on-path";
    if (placed.active_leaf) classes += " active-leaf";
    const bool best = !options.best_solution_id.empty() && n->solution.solution_id == options.best_solution_id;
    if (best) classes += " best";
    out += "<g class=\"" + classes + "\" data-node-id=\"" + escape_html(placed.node_id) + "\">";
    out += "<title>" + escape_html(tooltip(*n, placed.state)) + "</title>";
    if (placed.on_active_path) {
      out += "<rect x=\"" + px(x - 3) + "\" y=\"" + px(y - 3) + "\" width=\"" + px(o.node_width + 6) + "\" height=\"" +
             px(o.node_height + 6) + "\" rx=\"9\" fill=\"none\" stroke=\"" + path_colour + "\" stroke-width=\"2.5\"/>";
    }
    out += "<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(o.node_width) + "\" height=\"" + px(o.node_height) +
           "\" rx=\"7\" fill=\"" + style.fill + "\" stroke=\"" + style.stroke + "\" stroke-width=\"1.5\"" +
           (placed.state == node_state::pruned ? " stroke-dasharray=\"5 3\"" : "") + "/>";
    const std::vector<std::string> lines = wrap(headline(model, *n), best ? chars - 3 : chars, 2);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out += "<text x=\"" + px(x + 8) + "\" y=\"" + px(y + 17 + 14 * static_cast<double>(i)) +
             "\" font-size=\"11\" font-weight=\"600\" fill=\"#111827\">" + escape_html(lines[i]) + "</text>";
    }
    out += "<text x=\"" + px(x + 8) + "\" y=\"" + px(y + o.node_height - 9) + "\" font-size=\"10.5\" fill=\"" + style.stroke +
           "\">" + escape_html(status_line(*n, placed.state, placed.active_leaf)) + "</text>";
    if (best) {
      out += "<text class=\"best-badge\" x=\"" + px(x + o.node_width - 7) + "\" y=\"" + px(y + 16) +
             "\" text-anchor=\"end\" font-size=\"13\" fill=\"" + best_colour + "\">\u2605</text>";
    }
    out += "</g>\n";
  }
  out += "</g>\n";

  // 3. Legend under the tree.
  const double ly = layout.height + 10;
  double lx = o.margin;
  out += "<g class=\"tree-legend\" font-size=\"11\" fill=\"#374151\">";
  for (const legend_item& item : states) {
    const state_style style = style_of(item.state);
    out += "<rect x=\"" + px(lx) + "\" y=\"" + px(ly) + "\" width=\"14\" height=\"12\" rx=\"3\" fill=\"" + style.fill + "\" stroke=\"" +
           style.stroke + "\"/><text x=\"" + px(lx + 19) + "\" y=\"" + px(ly + 10) + "\">" + escape_html(item.label) + "</text>";
    lx += 20 + text_width(item.label) + 14;
  }
  out += "<line x1=\"" + px(lx) + "\" y1=\"" + px(ly + 6) + "\" x2=\"" + px(lx + 24) + "\" y2=\"" + px(ly + 6) + "\" stroke=\"" +
         path_colour + "\" stroke-width=\"3.5\"/><text x=\"" + px(lx + 30) + "\" y=\"" + px(ly + 10) + "\">" +
         escape_html(path_label) + "</text>";
  lx += 30 + text_width(path_label) + 14;
  out += "<text x=\"" + px(lx) + "\" y=\"" + px(ly + 10) + "\" fill=\"" + best_colour + "\">" + escape_html(best_label) + "</text>";
  out += "</g>\n</svg>\n";
  return out;
}

}  // namespace ksearch::report
