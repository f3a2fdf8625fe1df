// Implementation details: compact_view_json assembles its output from pieces whose sizes add up
// (a header, one compact JSON line per node, a fixed tail), so it can decide what fits before
// writing anything and the result is valid JSON by construction. Detail levels go from rich
// (long notes, descriptions, the kernel summary) to bare (ids, choices, titles). The view takes
// the richest level at which its core nodes (path, frontier, best path) fit; failing that, the
// essentials (path, top 3 frontier actions, best path); failing that, the path; then it fills the
// remaining budget with more nodes in priority order.
#include "ksearch/worldmodel/views.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>

#include "ksearch/common/json.h"
#include "ksearch/worldmodel/selection.h"
#include "ksearch/worldmodel/text_clip.h"
#include "ksearch/worldmodel/world_model_json.h"

namespace ksearch::worldmodel {


namespace {

constexpr std::size_t max_path_lines = 64;
constexpr std::size_t path_text_chars = 160;    // per decision / choice in path lines
constexpr std::size_t frontier_notes_chars = 140;

template <class Json>
[[nodiscard]] std::string compact(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

[[nodiscard]] std::string fixed(double value, int digits) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, digits);
  if (ec != std::errc()) return "?";
  return std::string(buffer, end);
}

[[nodiscard]] std::optional<double> number_at(const json& object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

[[nodiscard]] std::optional<std::string> string_at(const json& object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

[[nodiscard]] std::string node_label(const node& n) {
  if (n.choice && !n.choice->empty()) return one_line(*n.choice);
  if (n.is_action()) return one_line(n.action.title);
  if (n.decision && !n.decision->empty()) return one_line(*n.decision);
  return "(unlabelled)";
}

[[nodiscard]] std::string path_line(const node& n) {
  if (n.is_root()) return "- " + n.node_id + ": <root>";
  const std::string decision = n.decision ? clip_text(one_line(*n.decision), path_text_chars) : "";
  const std::string choice = n.choice ? clip_text(one_line(*n.choice), path_text_chars) : "";
  if (decision.empty() && choice.empty()) return "- " + n.node_id + ": [action] " + clip_text(one_line(n.action.title), path_text_chars);
  return "- " + n.node_id + ": " + decision + " -> " + choice;
}

/// How much of each text the compact view shows; 0 leaves the field out.
struct detail_level {
  std::size_t notes, text, summary, questions;
  bool signals, full_nodes;
};

constexpr detail_level detail_levels[] = {
    {800, 400, 1500, 6, true, true},
    {300, 160, 600, 6, true, true},
    {0, 80, 200, 3, true, true},
    {0, 48, 0, 0, false, false},
};

[[nodiscard]] ordered_json eval_view(const json& eval) {
  ordered_json out = ordered_json::object();
  if (auto status = string_at(eval, "status")) out["status"] = *status;
  if (auto score = eval_score(eval)) out["score"] = *score;
  std::optional<std::string> score_name = string_at(eval, "score_name");
  if (!score_name && eval.is_object() && eval.contains("metrics")) score_name = string_at(eval["metrics"], "score_name");
  if (score_name) out["score_name"] = *score_name;
  for (const char* key : {"latency_ms", "mean_vs_baseline_factor", "speedup_factor"}) {
    if (auto value = number_at(eval, key)) out[key] = *value;
  }
  return out;
}

[[nodiscard]] ordered_json node_view(const node& n, const detail_level& level) {
  const auto text = [&](const std::optional<std::string>& value) {
    return value ? ordered_json(clip_text(*value, level.text)) : ordered_json(nullptr);
  };
  const auto number = [](const auto& value) { return value ? ordered_json(*value) : ordered_json(nullptr); };
  ordered_json out = {{"node_id", n.node_id}, {"parent_id", number(n.parent_id)}};
  if (level.full_nodes) out["decision"] = text(n.decision);
  out["choice"] = text(n.choice);
  if (level.full_nodes) {
    out["overall_rating_0_to_10"] = n.overall_rating_0_to_10;
    out["confidence_0_to_1"] = n.confidence_0_to_1;
  }
  if (n.is_action()) {
    ordered_json action = {{"title", clip_text(n.action.title, level.text)},
                           {"difficulty_1_to_5", n.action.difficulty_1_to_5},
                           {"score_0_to_1", n.action.score_0_to_1}};
    if (level.full_nodes) {
      action["expected_vs_baseline_factor"] = number(n.action.expected_vs_baseline_factor);
      if (!n.action.description.empty()) action["description"] = clip_text(n.action.description, level.text);
    }
    out["action"] = std::move(action);
  }
  if (!level.full_nodes) {
    if (n.is_solved()) out["solution_ref"] = {{"solution_id", *n.solution.solution_id}};
    if (n.outcome != node_outcome::none) out["ksearch"] = {{"outcome", std::string(to_string(n.outcome))}};
    return out;
  }
  if (n.is_solved() || n.solution.parent_solution_id) {
    out["solution_ref"] = {{"solution_id", number(n.solution.solution_id)},
                           {"parent_solution_id", number(n.solution.parent_solution_id)},
                           {"round_index", number(n.solution.round_index)},
                           {"eval", eval_view(n.solution.eval)}};
  }
  if (level.notes > 0 && !n.notes.empty()) out["notes"] = clip_text(n.notes, level.notes);
  if (n.attempts != 0 || n.outcome != node_outcome::none) {
    ordered_json search = {{"attempts", n.attempts}, {"outcome", std::string(to_string(n.outcome))}};
    if (!n.outcome_reason.empty()) search["outcome_reason"] = clip_text(n.outcome_reason, level.text);
    out["ksearch"] = std::move(search);
  }
  return out;
}

/// Nodes in the order the view wants them, each once, and how many lead the list as each tier:
/// the path; the essentials (path, active children, the top frontier actions, the best path); the
/// core (essentials plus the whole frontier).
struct view_order {
  std::vector<const node*> nodes;
  std::size_t path_count = 0;
  std::size_t essential_count = 0;
  std::size_t core_count = 0;
};

constexpr std::size_t essential_frontier_nodes = 3;

[[nodiscard]] view_order order_for_view(const world_model& wm) {
  view_order order;
  std::set<const node*> taken;
  const auto take = [&](const node* n) {
    if (n != nullptr && taken.insert(n).second) order.nodes.push_back(n);
  };
  for (const node* n : wm.path_to(wm.active_leaf_id)) take(n);
  order.path_count = order.nodes.size();
  for (const node* n : wm.children(wm.active_leaf_id)) take(n);
  const std::vector<const node*> ranked = in_selection_order(frontier(wm));
  for (std::size_t i = 0; i < ranked.size() && i < essential_frontier_nodes; ++i) take(ranked[i]);
  if (const node* best = best_node(wm)) {
    for (const node* n : wm.path_to(best->node_id)) take(n);
  }
  order.essential_count = order.nodes.size();
  for (const node* n : ranked) take(n);
  order.core_count = order.nodes.size();
  const node* active = wm.find(wm.active_leaf_id);
  if (active != nullptr && active->parent_id) {
    std::vector<const node*> siblings = wm.children(*active->parent_id);
    std::stable_sort(siblings.begin(), siblings.end(), [](const node* a, const node* b) {
      return a->overall_rating_0_to_10 > b->overall_rating_0_to_10;
    });
    for (const node* n : siblings) take(n);
  }
  for (const node& n : wm.nodes) take(&n);
  return order;
}

/// The view's text outside the node lines, for one detail level.
struct view_frame {
  std::string head;  // up to and including "\"omitted_nodes\":"
  std::string middle = ",\"nodes\":[";
  std::string tail = "]}}";
};

[[nodiscard]] view_frame frame_for(const world_model& wm, const detail_level& level) {
  view_frame frame;
  frame.head = "{";
  if (level.summary > 0 && !wm.kernel_summary.empty()) {
    frame.head += "\"kernel_summary\":" + compact(json(clip_text(wm.kernel_summary, level.summary))) + ",";
  }
  if (level.questions > 0) {
    json questions = json::array();
    for (const std::string& q : wm.open_questions) {
      if (questions.size() == level.questions) break;
      if (!one_line(q).empty()) questions.push_back(clip_text(q, level.text));
    }
    if (!questions.empty()) frame.head += "\"open_questions\":" + compact(questions) + ",";
  }
  if (level.signals) {
    const auto value = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
    json signals = {{"round_index", wm.round_index},
                    {"trace",
                     {{"status", wm.trace.status},
                      {"latency_ms", value(wm.trace.latency_ms)},
                      {"reference_latency_ms", value(wm.trace.reference_latency_ms)},
                      {"speedup_factor", value(wm.trace.speedup_factor)},
                      {"mean_vs_baseline_factor", value(wm.trace.mean_vs_baseline_factor)}}}};
    frame.head += "\"computed_signals\":" + compact(signals) + ",";
  }
  frame.head += "\"decision_tree\":{\"root_id\":" + compact(json(wm.root_id)) +
                ",\"active_leaf_id\":" + compact(json(wm.active_leaf_id)) + ",\"omitted_nodes\":";
  return frame;
}

/// Node lines chosen for one level, or nothing when `required` leading nodes do not all fit.
[[nodiscard]] std::optional<std::vector<std::size_t>> fit_nodes(const std::vector<std::string>& lines,
                                                                std::size_t required, std::size_t room) {
  std::vector<std::size_t> chosen;
  std::size_t used = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::size_t cost = lines[i].size() + 2;  // ",\n" or the surrounding "\n"s
    if (used + cost <= room) {
      used += cost;
      chosen.push_back(i);
    } else if (i < required) {
      return std::nullopt;
    }
  }
  return chosen;
}

[[nodiscard]] std::string assemble(const world_model& wm, const view_order& order, const view_frame& frame,
                                   const std::vector<std::string>& lines, std::vector<std::size_t> chosen) {
  // Output in the model's insertion order, which keeps parents ahead of their children.
  std::map<const node*, std::size_t> line_of;
  for (std::size_t i : chosen) line_of.emplace(order.nodes[i], i);
  std::string out = frame.head + std::to_string(order.nodes.size() - chosen.size()) + frame.middle;
  bool first = true;
  for (const node& n : wm.nodes) {
    auto it = line_of.find(&n);
    if (it == line_of.end()) continue;
    out += first ? "\n" : ",\n";
    out += lines[it->second];
    first = false;
  }
  if (!first) out += "\n";
  out += frame.tail;
  return out;
}

}  // namespace

std::string compact_view_json(const world_model& wm, std::size_t budget_chars) {
  const view_order order = order_for_view(wm);
  const std::size_t count_digits = std::to_string(order.nodes.size()).size();
  for (std::size_t required : {order.core_count, order.essential_count, order.path_count}) {
    for (const detail_level& level : detail_levels) {
      const view_frame frame = frame_for(wm, level);
      const std::size_t fixed_size = frame.head.size() + count_digits + frame.middle.size() + frame.tail.size();
      if (fixed_size > budget_chars) continue;
      std::vector<std::string> lines;
      for (const node* n : order.nodes) lines.push_back(compact(node_view(*n, level)));
      if (auto chosen = fit_nodes(lines, required, budget_chars - fixed_size)) {
        return assemble(wm, order, frame, lines, std::move(*chosen));
      }
    }
  }
  // Not even the path fits in full at the barest level: keep the nodes nearest the active one.
  const detail_level& bare = detail_levels[std::size(detail_levels) - 1];
  const view_frame frame = frame_for(wm, bare);
  const std::size_t fixed_size = frame.head.size() + count_digits + frame.middle.size() + frame.tail.size();
  if (fixed_size > budget_chars) return "{}";
  std::vector<std::string> lines;
  for (const node* n : order.nodes) lines.push_back(compact(node_view(*n, bare)));
  std::vector<std::size_t> chosen;
  std::size_t used = 0;
  for (std::size_t i = order.path_count; i-- > 0;) {
    if (used + lines[i].size() + 2 > budget_chars - fixed_size) break;
    used += lines[i].size() + 2;
    chosen.push_back(i);
  }
  return assemble(wm, order, frame, lines, std::move(chosen));
}

std::string path_text(const world_model& wm, std::string_view node_id) {
  const std::string_view id = node_id.empty() ? std::string_view(wm.active_leaf_id) : node_id;
  const std::vector<const node*> path = wm.path_to(id);
  if (path.empty()) return "(no node '" + std::string(id) + "')";
  const std::size_t hidden = path.size() > max_path_lines ? path.size() - max_path_lines : 0;
  std::string out;
  if (hidden > 0) out = "- ... (" + std::to_string(hidden) + " ancestors not shown)";
  for (std::size_t i = hidden; i < path.size(); ++i) {
    if (!out.empty()) out += "\n";
    out += path_line(*path[i]);
  }
  return out;
}

std::string frontier_text(const world_model& wm, std::size_t max_nodes) {
  const std::vector<const node*> nodes = in_selection_order(frontier(wm));
  if (nodes.empty()) return "(no executable actions)";
  std::string out;
  for (std::size_t i = 0; i < nodes.size() && i < max_nodes; ++i) {
    const node& n = *nodes[i];
    const node* parent = wm.find(*n.parent_id);
    std::string parent_perf = "(root)";
    if (parent != nullptr && (parent->is_solved() || !parent->is_root())) parent_perf = eval_perf_text(parent->solution.eval);
    if (!out.empty()) out += "\n";
    out += "- " + n.node_id + " [score " + fixed(n.action.score_0_to_1, 2) + ", difficulty " +
           std::to_string(n.action.difficulty_1_to_5) + ", rating " + fixed(n.overall_rating_0_to_10, 1);
    if (n.attempts > 0) out += ", attempts " + std::to_string(n.attempts);
    out += "] " + clip_text(one_line(n.action.title), 200) + " | under " + *n.parent_id + " " + parent_perf +
           ", parent_solution_id " + (parent != nullptr && parent->is_solved() ? *parent->solution.solution_id : "none");
    const std::string decision = n.decision ? one_line(*n.decision) : "";
    const std::string choice = n.choice ? one_line(*n.choice) : "";
    if (!decision.empty() || !choice.empty()) {
      out += " | " + clip_text(decision, path_text_chars) + " -> " + clip_text(choice, path_text_chars);
    }
    if (!n.notes.empty()) out += " | notes: " + clip_text(one_line(n.notes), frontier_notes_chars);
  }
  if (nodes.size() > max_nodes) out += "\n(" + std::to_string(nodes.size() - max_nodes) + " more frontier nodes not shown)";
  return out;
}

std::string chosen_action_block(const world_model& wm, std::string_view node_id) {
  const node* n = wm.find(node_id);
  if (node_id.empty() || n == nullptr || !n->is_action()) return "";
  std::string out = "World Model: Chosen Next Action (from decision tree node)\n";
  out += "node_id: " + n->node_id + "\n";
  out += "base_node_id: " + n->parent_id.value_or("(none)") + "\n";
  out += "title: " + n->action.title + "\n";
  out += "difficulty_1_to_5: " + std::to_string(n->action.difficulty_1_to_5) + "\n";
  out += "description: " + (n->action.description.empty() ? std::string("(none)") : n->action.description) + "\n";
  if (n->action.expected_vs_baseline_factor) {
    out += "expected_vs_baseline_factor: " + fixed(*n->action.expected_vs_baseline_factor, 3) + "\n";
  }
  out += "rationale: " + (n->action.rationale.empty() ? std::string("(none)") : n->action.rationale) + "\n";
  // `attempts` counts the cycle now running on the node (record_attempt is called as it starts).
  if (n->attempts > 1) out += "previous attempts on this node: " + std::to_string(n->attempts - 1) + "\n";
  return out;
}

std::string status_text(const world_model& wm) {
  std::string out = "Active path:\n" + path_text(wm, wm.active_leaf_id) + "\n";
  if (const node* best = best_node(wm)) {
    out += "Best node: " + best->node_id + " (" + eval_perf_text(best->solution.eval) + ")\n";
    out += "Best path:\n" + path_text(wm, best->node_id) + "\n";
  } else {
    out += "Best node: (none yet)\n";
  }
  std::vector<std::string> unexplored;
  for (const node* child : wm.children(wm.root_id)) {
    if (unexplored.size() == 4) break;
    bool solved_below = false;
    std::vector<const node*> stack = {child};
    std::set<const node*> seen;
    while (!stack.empty() && !solved_below) {
      const node* n = stack.back();
      stack.pop_back();
      if (!seen.insert(n).second) continue;
      solved_below = n->is_solved();
      for (const node* c : wm.children(n->node_id)) stack.push_back(c);
    }
    if (!solved_below) unexplored.push_back(child->node_id + ": " + clip_text(node_label(*child), path_text_chars));
  }
  out += "Under-explored root children (no solution in their subtree):";
  if (unexplored.empty()) out += " (none)";
  for (const std::string& line : unexplored) out += "\n- " + line;
  return out;
}

std::string eval_perf_text(const json& eval) {
  std::vector<std::string> parts;
  if (auto status = string_at(eval, "status"); status && !status->empty()) parts.push_back("status=" + *status);
  if (auto score = eval_score(eval)) parts.push_back("score=" + fixed(*score, 4));
  if (auto vs_base = number_at(eval, "mean_vs_baseline_factor")) parts.push_back("vs_base=" + fixed(*vs_base, 3) + "x");
  if (auto speedup = number_at(eval, "speedup_factor")) parts.push_back("speedup=" + fixed(*speedup, 3) + "x");
  if (auto latency = number_at(eval, "latency_ms")) parts.push_back("lat=" + fixed(*latency, 4) + "ms");
  if (parts.empty()) return "(no evaluation)";
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : " ") + part;
  return out;
}

std::string schema_guide_json() {
  world_model wm = empty_world_model();
  wm.kernel_summary =
      "One paragraph: problem class (matmul-like, reduction, attention, ...), dense or indirect access, fixed "
      "and variable dims, the likely bottleneck per runtime regime, and the key constraints.";
  wm.open_questions = {"An unknown that most affects correctness or performance (3 to 8 of them)."};
  node& root = wm.nodes.front();
  root.notes = "Compact summary of the analysis: canonical math, per-tensor layout and reuse, bottleneck hypotheses, "
               "design knobs, kernel skeleton, candidate kernel families.";
  root.overall_rating_0_to_10 = 5;
  root.confidence_0_to_1 = 0.4;
  node child;
  child.node_id = "n1";
  child.parent_id = wm.root_id;
  child.decision = "The decision made at this point (depth 1: the end-to-end mapping / ownership family).";
  child.choice = "The alternative chosen; siblings are mutually exclusive alternatives.";
  child.impacts = default_impacts();
  for (auto& [key, value] : child.impacts) {
    value.rating_0_to_10 = 6;
    value.risk = "What could go wrong for " + key + ".";
    value.notes = "Why this choice helps or hurts " + key + ".";
  }
  child.impacts[std::string(impact_compute_fit)].hw_notes = "How it uses the target GPU (tensor cores, TMA, shared memory).";
  child.overall_rating_0_to_10 = 6;
  child.confidence_0_to_1 = 0.5;
  child.notes = "SELF_CHECK: why this excludes its siblings. CURRENT / FOLLOW_THROUGH / UPDATE_BELIEF / PERF_GAP "
                "sections once there is evidence.";
  child.action = node_action{
      .title = "A small change implementable in one iteration (empty title = not an action).",
      .description = "What to implement, concretely.",
      .difficulty_1_to_5 = 2,
      .score_0_to_1 = 0.6,
      .expected_vs_baseline_factor = 1.2,
      .rationale = "Why it should pay off.",
  };
  wm.nodes.push_back(std::move(child));
  return to_json(wm).dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace ksearch::worldmodel
