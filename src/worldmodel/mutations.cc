#include "ksearch/worldmodel/mutations.h"

#include <algorithm>
#include <utility>

#include "ksearch/common/json.h"
#include "ksearch/worldmodel/node_ids.h"
#include "ksearch/worldmodel/selection.h"
#include "ksearch/worldmodel/text_clip.h"

namespace ksearch::worldmodel {

namespace {

constexpr std::string_view reference_marker = "Reference Implementation:";
constexpr std::string_view reference_header = "Reference Implementation (excerpt)";
constexpr std::size_t reference_excerpt_chars = 1800;

[[nodiscard]] std::string label_of(const node& n) {
  if (n.is_action()) return n.action.title;
  if (n.choice && !n.choice->empty()) return *n.choice;
  if (n.decision && !n.decision->empty()) return *n.decision;
  return n.node_id;
}

/// A child of `parent` that continues from its solution; the caller fills decision, notes, action.
[[nodiscard]] node continuation_child(const node& parent, std::string id, int round) {
  node child;
  child.node_id = std::move(id);
  child.parent_id = parent.node_id;
  child.solution.parent_solution_id = parent.solution.solution_id;
  child.impacts = parent.impacts.empty() ? default_impacts() : parent.impacts;
  child.overall_rating_0_to_10 = parent.overall_rating_0_to_10;
  child.confidence_0_to_1 = std::max(0.2, parent.confidence_0_to_1);
  child.last_updated_round = round;
  child.action.difficulty_1_to_5 = 2;
  child.action.description =
      "Starting from the parent's solution, make one small, concrete change aimed at its largest remaining "
      "bottleneck (memory traffic, occupancy/register pressure, or instruction mix), keeping it correct.";
  return child;
}

[[nodiscard]] bool has_open_child(const world_model& wm, std::string_view id, int max_difficulty) {
  for (const node* child : wm.children(id)) {
    if (child->is_open() && child->action.difficulty_1_to_5 <= max_difficulty) return true;
  }
  return false;
}

}  // namespace

void attach_solution(world_model& wm, std::string_view node_id, const std::string& solution_id,
                     const std::string& solution_name, const json& eval, int round) {
  node* target = wm.find(node_id);
  if (target == nullptr) return;
  std::optional<std::string> parent_solution = target->solution.parent_solution_id;
  if (!parent_solution && target->parent_id) {
    if (const node* parent = wm.find(*target->parent_id)) parent_solution = parent->solution.solution_id;
  }
  target->solution = solution_ref{
      .solution_id = solution_id,
      .parent_solution_id = parent_solution,
      .solution_name = solution_name,
      .round_index = round,
      .eval = eval.is_object() ? eval : json::object(),
  };
  target->outcome = node_outcome::none;
  target->outcome_reason.clear();
  target->last_updated_round = round;
}

void record_attempt(world_model& wm, std::string_view node_id, int round) {
  node* target = wm.find(node_id);
  if (target == nullptr) return;
  ++target->attempts;
  target->last_updated_round = std::max(target->last_updated_round, round);
}

void mark_outcome(world_model& wm, std::string_view node_id, node_outcome outcome, std::string reason, int round) {
  node* target = wm.find(node_id);
  if (target == nullptr) return;
  target->outcome = outcome;
  target->outcome_reason = std::move(reason);
  target->outcome_round = round;
}

void merge_computed_signals(world_model& wm, int round, const trace_signals& trace) {
  wm.round_index = round;
  if (!trace.status.empty()) wm.trace.status = trace.status;
  if (trace.latency_ms) wm.trace.latency_ms = trace.latency_ms;
  if (trace.reference_latency_ms) wm.trace.reference_latency_ms = trace.reference_latency_ms;
  if (trace.speedup_factor) wm.trace.speedup_factor = trace.speedup_factor;
  if (trace.mean_vs_baseline_factor) wm.trace.mean_vs_baseline_factor = trace.mean_vs_baseline_factor;
}

std::string ensure_continuation(world_model& wm, std::string_view solved_node_id, const edit_context& ctx) {
  const node* parent = wm.find(solved_node_id);
  if (parent == nullptr || !parent->is_solved() || has_open_child(wm, solved_node_id, 4)) return "";
  int counter = 1;
  const std::string prefix = "node_" + id_stem(ctx.task_name) + "_r" + std::to_string(ctx.round) + "_cont_";
  node child = continuation_child(*parent, unused_node_id(wm, prefix, counter), ctx.round);
  child.decision = "Continue";
  child.choice = "Next-step refinement";
  child.notes = "AUTO_CONTINUATION: added by the search because the refine edit left " + parent->node_id +
                " without an open next step.";
  child.action.title = "Target the top remaining bottleneck of: " + label_of(*parent);
  child.action.score_0_to_1 = 0.35;
  child.action.rationale = "A solved node needs a next step so the search can keep refining it.";
  std::string id = child.node_id;
  wm.nodes.push_back(std::move(child));
  return id;
}

std::string ensure_best_continuation(world_model& wm, const edit_context& ctx) {
  const node* best = best_node(wm);
  if (best == nullptr || has_open_child(wm, best->node_id, 5)) return "";
  int counter = 1;
  const std::string prefix = "node_best_cont_r" + std::to_string(ctx.round) + "_";
  node child = continuation_child(*best, unused_node_id(wm, prefix, counter), ctx.round);
  child.decision = "Continue from best";
  child.choice = "Next-step refinement of the best solution";
  child.notes = "AUTO_BEST_CONTINUATION: added by the search so the best solution so far (" + best->node_id +
                ") always has an open next step.";
  child.action.title = "Improve the best solution so far: " + label_of(*best);
  child.action.score_0_to_1 = 0.6;
  child.action.rationale = "The best solution is the strongest base to build on.";
  std::string id = child.node_id;
  wm.nodes.push_back(std::move(child));
  return id;
}

void embed_reference_excerpt(world_model& wm, std::string_view definition_text) {
  node* root = wm.find(wm.root_id);
  if (root == nullptr || root->notes.find("Reference Implementation") != std::string::npos) return;
  std::size_t line_start = 0;
  std::optional<std::size_t> body;
  while (line_start <= definition_text.size()) {
    std::size_t line_end = definition_text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = definition_text.size();
    std::string_view line = definition_text.substr(line_start, line_end - line_start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line == reference_marker) {
      body = std::min(line_end + 1, definition_text.size());
      break;
    }
    line_start = line_end + 1;
  }
  if (!body) return;
  std::string_view code = definition_text.substr(*body);
  while (!code.empty() && (code.back() == '\n' || code.back() == ' ' || code.back() == '\r')) code.remove_suffix(1);
  while (!code.empty() && code.front() == '\n') code.remove_prefix(1);
  if (code.empty()) return;
  std::string excerpt = code.size() > reference_excerpt_chars
                            ? clip_text(code, reference_excerpt_chars) + "\n...<truncated>..."
                            : std::string(code);
  if (!root->notes.empty()) root->notes += "\n\n";
  root->notes += std::string(reference_header) + ":\n" + excerpt;
}

}  // namespace ksearch::worldmodel
