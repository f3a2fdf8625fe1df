// Implementation details: a patch is applied by writing the node as JSON, merging the honoured
// patch keys into it and reading it back with node_from_json, so an edited node goes through the
// very same coercions and clamps as a loaded one (and reports them). Fields the LLM may not write
// (ids, parent, solution_ref, outcome) are restored from the node afterwards.
#include "ksearch/worldmodel/edit_ops.h"

#include <algorithm>
#include <utility>

#include "ksearch/common/json.h"
#include "ksearch/llm/reply_parsing.h"
#include "ksearch/worldmodel/node_ids.h"
#include "ksearch/worldmodel/world_model_json.h"

namespace ksearch::worldmodel {

namespace {

constexpr std::size_t max_split_children = 8;

[[nodiscard]] std::string in_quotes(std::string_view id) { return "'" + std::string(id) + "'"; }

[[nodiscard]] std::optional<std::string> string_field(const json& object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get<std::string>().empty()) return std::nullopt;
  return it->get<std::string>();
}

[[nodiscard]] bool has_search_fields(const solution_ref& ref) {
  return ref.solution_id || ref.solution_name || ref.round_index || (ref.eval.is_object() && !ref.eval.empty());
}

[[nodiscard]] bool has_outcome(const node& n) {
  return n.attempts != 0 || n.outcome != node_outcome::none || !n.outcome_reason.empty() || n.outcome_round != 0;
}

/// Applies one script; owns the per-application counters.
class applier {
 public:
  applier(world_model& wm, const edit_context& context, edit_report& report)
      : wm_(wm), context_(context), report_(report), stem_(id_stem(context.task_name)) {}

  void apply_op(std::size_t index, const json& op);
  void apply_active_leaf(const std::optional<std::string>& id);

 private:
  void skip(const std::string& label, const std::string& reason) { report_.skipped.push_back(label + ": " + reason); }
  void adjust(const std::string& label, const std::string& what) { report_.adjusted.push_back(label + ": " + what); }
  void adjust_all(const repair_report& repairs) {
    for (const std::string& line : repairs.repairs) report_.adjusted.push_back(line);
  }

  void update_node(std::size_t index, const json& op);
  void insert_node(std::size_t index, const json& op);
  void split_node(std::size_t index, const json& op);
  void delete_node(std::size_t index, const json& op);

  /// Merges `patch` into node `id` (which exists). `path` names the patch in reports.
  void apply_patch(std::string_view id, const json& patch, const std::string& path);
  /// Inserts `node_doc` under `parent_id`; reports a skip under `label` and returns false when it
  /// cannot. `parent_solution_id` is the op's claim about the parent's solution (may be null).
  bool insert(const std::string& label, const std::string& path, const std::string& parent_id,
              const json& parent_solution_id, const json& node_doc, bool split_child);

  world_model& wm_;
  const edit_context& context_;
  edit_report& report_;
  std::string stem_;
  int insert_counter_ = 1;  // k of node_<task>_r<round>_<k>
  int child_counter_ = 1;   // k of child_<task>_r<round>_<k>
};

void applier::apply_op(std::size_t index, const json& op) {
  const std::string label = "ops[" + std::to_string(index) + "]";
  if (!op.is_object()) {
    skip(label, a_kind(op) + " is not an op object");
    return;
  }
  const std::optional<std::string> kind = string_field(op, "op");
  if (!kind) {
    skip(label, "no \"op\" field (use update_node, insert_node, split_node or delete_node)");
  } else if (*kind == "update_node") {
    update_node(index, op);
  } else if (*kind == "insert_node") {
    insert_node(index, op);
  } else if (*kind == "split_node") {
    split_node(index, op);
  } else if (*kind == "delete_node") {
    delete_node(index, op);
  } else {
    skip(label, "unknown op " + in_quotes(*kind) + " (use update_node, insert_node, split_node or delete_node)");
  }
}

void applier::update_node(std::size_t index, const json& op) {
  const std::optional<std::string> id = string_field(op, "node_id");
  const std::string label = "ops[" + std::to_string(index) + "] (update_node" + (id ? " " + in_quotes(*id) : "") + ")";
  if (!id) return skip(label, "no node_id");
  if (wm_.find(*id) == nullptr) return skip(label, "node " + in_quotes(*id) + " does not exist");
  auto patch = op.find("patch");
  if (patch == op.end() || !patch->is_object()) return skip(label, "no \"patch\" object");
  apply_patch(*id, *patch, "ops[" + std::to_string(index) + "].patch");
  ++report_.updates;
}

void applier::apply_patch(std::string_view id, const json& patch, const std::string& path) {
  node& target = *wm_.find(id);
  json doc = to_json(target);
  for (const auto& [key, value] : patch.items()) {
    const std::string where = path + "." + key + " (node " + in_quotes(id) + ")";
    if (key == "decision" || key == "choice") {
      if (target.is_root()) {
        adjust(where, "the root's decision and choice stay null; ignored");
      } else {
        doc[key] = value;
      }
    } else if (key == "overall_rating_0_to_10" || key == "confidence_0_to_1" || key == "notes" ||
               key == "last_updated_round") {
      doc[key] = value;
    } else if (key == "impacts") {
      if (!value.is_object()) {
        adjust(where, "not an object; ignored");
        continue;
      }
      for (const auto& [dimension, change] : value.items()) {
        json& current = doc["impacts"][dimension];
        if (current.is_object() && change.is_object()) {
          current.update(change);  // shallow merge per impact, as the original
        } else {
          current = change;  // read back (and reported) by node_from_json
        }
      }
    } else if (key == "action") {
      if (!value.is_object()) {
        adjust(where, "not an object; ignored");
        continue;
      }
      if (value.contains("difficulty_0_to_3") && !value.contains("difficulty_1_to_5")) {
        doc["action"].erase("difficulty_1_to_5");  // let the legacy value through its mapping
      }
      doc["action"].update(value);
    } else if (key == "solution_ref" || key == "ksearch") {
      adjust(where, "owned by the search; ignored");
    } else {
      adjust(where, "cannot be patched (patchable: decision, choice, overall_rating_0_to_10, confidence_0_to_1, "
                    "notes, last_updated_round, impacts, action); ignored");
    }
  }
  if (!patch.contains("last_updated_round") && context_.round > 0) doc["last_updated_round"] = context_.round;
  repair_report repairs;
  node updated = node_from_json(doc, path, repairs);
  adjust_all(repairs);
  updated.node_id = target.node_id;
  updated.parent_id = target.parent_id;
  updated.solution = target.solution;
  updated.attempts = target.attempts;
  updated.outcome = target.outcome;
  updated.outcome_reason = target.outcome_reason;
  updated.outcome_round = target.outcome_round;
  if (updated.is_root()) {
    updated.decision.reset();
    updated.choice.reset();
  }
  target = std::move(updated);
}

bool applier::insert(const std::string& label, const std::string& path, const std::string& parent_id,
                     const json& parent_solution_id, const json& node_doc, bool split_child) {
  const node* parent = wm_.find(parent_id);
  if (parent == nullptr) {
    skip(label, "parent " + in_quotes(parent_id) + " does not exist");
    return false;
  }
  if (!node_doc.is_object()) {
    skip(label, "\"node\" must be an object");
    return false;
  }
  const std::optional<std::string> parent_solution = parent->solution.solution_id;
  const std::optional<std::string> claimed =
      parent_solution_id.is_string() && !parent_solution_id.get<std::string>().empty()
          ? std::optional<std::string>(parent_solution_id.get<std::string>())
          : std::nullopt;
  if (parent->is_solved() && claimed && *claimed != *parent_solution) {
    skip(label, "parent_solution_id " + in_quotes(*claimed) + " does not match parent " + in_quotes(parent_id) +
                    "'s solution " + in_quotes(*parent_solution));
    return false;
  }
  if (report_.new_nodes_added >= context_.max_new_nodes) {
    skip(label, "over the cap of " + std::to_string(context_.max_new_nodes) + " new nodes per edit");
    return false;
  }
  if (!parent->is_solved() && claimed) {
    adjust(label, "parent_solution_id " + in_quotes(*claimed) + " ignored: parent " + in_quotes(parent_id) + " has no solution");
  }

  json doc = node_doc;
  if (!doc.contains("last_updated_round") && context_.round > 0) doc["last_updated_round"] = context_.round;
  repair_report repairs;
  node n = node_from_json(doc, path, repairs);
  adjust_all(repairs);
  if (n.parent_id && *n.parent_id != parent_id) {
    adjust(label, "node.parent_id " + in_quotes(*n.parent_id) + " ignored: inserted under " + in_quotes(parent_id));
  }
  if (has_search_fields(n.solution) ||
      (n.solution.parent_solution_id && n.solution.parent_solution_id != parent_solution)) {
    adjust(label, "node.solution_ref is owned by the search; ignored");
  }
  if (has_outcome(n)) adjust(label, "node.ksearch is owned by the search; ignored");

  const std::string wanted = n.node_id;
  if (wanted.empty() || wm_.find(wanted) != nullptr) {
    const std::string prefix = std::string(split_child ? "child_" : "node_") + stem_ + "_r" +
                               std::to_string(context_.round) + "_";
    n.node_id = unused_node_id(wm_, prefix, split_child ? child_counter_ : insert_counter_);
    if (!wanted.empty()) adjust(label, "node_id " + in_quotes(wanted) + " already exists; inserted as " + in_quotes(n.node_id));
  }
  n.parent_id = parent_id;
  n.solution = solution_ref{};
  n.solution.parent_solution_id = parent_solution;
  n.attempts = 0;
  n.outcome = node_outcome::none;
  n.outcome_reason.clear();
  n.outcome_round = 0;
  wm_.nodes.push_back(std::move(n));
  ++report_.new_nodes_added;
  return true;
}

void applier::insert_node(std::size_t index, const json& op) {
  const std::string label = "ops[" + std::to_string(index) + "] (insert_node)";
  std::optional<std::string> parent_id = string_field(op, "parent_id");
  auto node_doc = op.find("node");
  if (!parent_id && node_doc != op.end()) parent_id = string_field(*node_doc, "parent_id");
  if (!parent_id) return skip(label, "no parent_id");
  if (node_doc == op.end()) return skip(label, "no \"node\" object");
  const json parent_solution_id = op.value("parent_solution_id", json(nullptr));
  if (insert(label, "ops[" + std::to_string(index) + "].node", *parent_id, parent_solution_id, *node_doc, false)) {
    ++report_.inserts;
  }
}

void applier::split_node(std::size_t index, const json& op) {
  const std::optional<std::string> id = string_field(op, "node_id");
  const std::string at = "ops[" + std::to_string(index) + "]";
  const std::string label = at + " (split_node" + (id ? " " + in_quotes(*id) : "") + ")";
  if (!id) return skip(label, "no node_id");
  if (wm_.find(*id) == nullptr) return skip(label, "node " + in_quotes(*id) + " does not exist");
  auto children = op.find("children");
  if (children == op.end() || !children->is_array()) return skip(label, "\"children\" must be a list of nodes");
  if (auto patch = op.find("parent_patch"); patch != op.end() && !patch->is_null()) {
    if (patch->is_object()) {
      apply_patch(*id, *patch, at + ".parent_patch");
    } else {
      adjust(label, "parent_patch is not an object; ignored");
    }
  }
  const json op_parent_solution_id = op.value("parent_solution_id", json(nullptr));
  for (std::size_t k = 0; k < children->size(); ++k) {
    const std::string child_label = label + " children[" + std::to_string(k) + "]";
    if (k >= max_split_children) {
      skip(child_label, "only the first " + std::to_string(max_split_children) + " children of a split are considered");
      continue;
    }
    const json& child = (*children)[k];
    // A child written in insert_node's shape ({parent_solution_id, node}) is accepted too.
    const bool insert_shaped = child.is_object() && child.contains("node") && child["node"].is_object();
    const json* node_doc = insert_shaped ? &child["node"] : &child;
    const json parent_solution_id =
        insert_shaped ? child.value("parent_solution_id", op_parent_solution_id) : op_parent_solution_id;
    if (insert(child_label, at + ".children[" + std::to_string(k) + "]", *id, parent_solution_id, *node_doc, true)) {
      ++report_.split_children;
    }
  }
}

void applier::delete_node(std::size_t index, const json& op) {
  const std::optional<std::string> id = string_field(op, "node_id");
  const std::string label = "ops[" + std::to_string(index) + "] (delete_node" + (id ? " " + in_quotes(*id) : "") + ")";
  if (!id) return skip(label, "no node_id");
  const node* target = wm_.find(*id);
  if (target == nullptr) return skip(label, "node " + in_quotes(*id) + " does not exist");
  if (target->is_root()) return skip(label, "the root cannot be deleted");
  if (target->is_solved()) return skip(label, "node " + in_quotes(*id) + " holds a solution; solved nodes are kept");
  if (!wm_.children(*id).empty()) return skip(label, "node " + in_quotes(*id) + " has children; only leaves can be deleted");
  std::erase_if(wm_.nodes, [&](const node& n) { return n.node_id == *id; });
  if (wm_.active_leaf_id == *id) {
    adjust(label, "the deleted node was the active leaf; the root is active now");
    wm_.active_leaf_id = wm_.root_id;
  }
  ++report_.deletes;
}

void applier::apply_active_leaf(const std::optional<std::string>& id) {
  if (!id) return;
  if (wm_.find(*id) == nullptr) {
    adjust("active_leaf_id", "node " + in_quotes(*id) + " does not exist; " + in_quotes(wm_.active_leaf_id) + " stays active");
    return;
  }
  wm_.active_leaf_id = *id;
}

}  // namespace

std::string edit_report::summary() const {
  std::string text = "ops=" + std::to_string(ops) + " updates=" + std::to_string(updates) +
                     " inserts=" + std::to_string(inserts) + " split_children=" + std::to_string(split_children) +
                     " deletes=" + std::to_string(deletes) + " new_nodes_added=" + std::to_string(new_nodes_added) +
                     " skipped=" + std::to_string(skipped.size()) + " adjusted=" + std::to_string(adjusted.size());
  for (const std::string& line : skipped) text += "; skipped " + line;
  return text;
}

result<edit_script> parse_edit_script(std::string_view reply_text) {
  result<json> doc = llm::extract_json_object(reply_text);
  if (!doc) return std::unexpected(doc.error());
  edit_script script;
  auto ops = doc->find("ops");
  if (ops == doc->end()) {
    return fail("reply", "no \"ops\" list", "reply with {\"active_leaf_id\": optional id, \"ops\": [...]}");
  }
  if (!ops->is_array()) {
    return fail("reply: ops", a_kind(*ops) + ", not a list of ops",
                "\"ops\" must be a JSON list of op objects");
  }
  script.ops = *ops;
  if (auto active = doc->find("active_leaf_id"); active != doc->end() && !active->is_null()) {
    if (!active->is_string()) {
      return fail("reply: active_leaf_id", a_kind(*active) + ", not a node id",
                  "give a node id string or leave active_leaf_id out");
    }
    if (!active->get<std::string>().empty()) script.active_leaf_id = active->get<std::string>();
  }
  return script;
}

edit_report apply_edit_script(world_model& wm, const edit_script& script, const edit_context& context) {
  edit_report report;
  applier apply(wm, context, report);
  if (!script.ops.is_array()) {
    report.skipped.push_back("ops: " + a_kind(script.ops) + " is not a list of ops");
  } else {
    report.ops = static_cast<int>(script.ops.size());
    for (std::size_t i = 0; i < script.ops.size(); ++i) apply.apply_op(i, script.ops[i]);
  }
  apply.apply_active_leaf(script.active_leaf_id);
  return report;
}

std::vector<std::string> check_refine(const world_model& before, const world_model& after,
                                      std::string_view solved_node_id, const edit_report& report) {
  std::vector<std::string> problems;
  if (after.root_id != before.root_id) {
    problems.push_back("the root id changed from " + in_quotes(before.root_id) + " to " + in_quotes(after.root_id));
  }
  const node* root = after.find(after.root_id);
  const node* old_root = before.find(before.root_id);
  if (root == nullptr) {
    problems.push_back("the root node " + in_quotes(after.root_id) + " is missing");
  } else if (old_root != nullptr && (root->decision != old_root->decision || root->choice != old_root->choice)) {
    problems.push_back("the root's decision/choice changed; never edit the root's decision or choice");
  }
  for (const node& n : before.nodes) {
    if (!n.is_solved()) continue;
    const node* now = after.find(n.node_id);
    if (now == nullptr) {
      problems.push_back("solved node " + in_quotes(n.node_id) + " was removed; nodes with solutions must stay");
    } else if (now->solution.solution_id != n.solution.solution_id) {
      problems.push_back("solved node " + in_quotes(n.node_id) + " changed its solution_id; attachments belong to the search");
    }
  }
  const node* solved = after.find(solved_node_id);
  if (solved == nullptr) {
    problems.push_back("the solved node " + in_quotes(solved_node_id) + " is missing");
  } else {
    const std::vector<const node*> children = after.children(solved_node_id);
    const bool continues = std::any_of(children.begin(), children.end(), [](const node* child) {
      return child->is_open() && child->action.difficulty_1_to_5 < 5;
    });
    if (!continues) {
      problems.push_back("node " + in_quotes(solved_node_id) +
                         " has no open child action with difficulty_1_to_5 < 5; insert at least one next-step child "
                         "under it (insert_node with parent_id " + in_quotes(solved_node_id) + ")");
    }
  }
  for (const std::string& line : report.skipped) problems.push_back("op skipped: " + line);
  return problems;
}

}  // namespace ksearch::worldmodel
