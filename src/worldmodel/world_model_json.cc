// Implementation details: reading is done by a small `field_reader` per JSON object. It hands out
// each known field already coerced to its type and clamped to its range, reports every change it
// makes under "<path>.<field>", and at the end lists the fields nobody asked for (dropped). The
// tree-wide repairs (ids, root, parents, cycles, active leaf) run afterwards on the typed nodes.
#include "ksearch/worldmodel/world_model_json.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstddef>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "ksearch/common/json.h"
#include "ksearch/llm/reply_parsing.h"

namespace ksearch::worldmodel {

namespace {

[[nodiscard]] std::string join_path(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}

[[nodiscard]] std::string json_text(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

[[nodiscard]] std::string number_text(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return "?";
  return std::string(buffer, end);
}

[[nodiscard]] std::optional<double> parse_number(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

const json& empty_object() {
  static const json empty = json::object();
  return empty;
}

/// Reads the fields of one JSON object, coercing and reporting as described in the header.
class field_reader {
 public:
  field_reader(const json& object, std::string path, std::string suffix, repair_report& report)
      : object_(object.is_object() ? object : empty_object()), path_(std::move(path)),
        suffix_(std::move(suffix)), report_(report) {}

  void note(std::string_view key, const std::string& problem) {
    report_.repairs.push_back(join_path(path_, key) + suffix_ + ": " + problem);
  }

  [[nodiscard]] const json* get(std::string_view key) {
    used_.insert(std::string(key));
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  [[nodiscard]] bool present(std::string_view key) const {
    auto it = object_.find(key);
    return it != object_.end() && !it->is_null();
  }

  /// nullopt when missing or null; reported when present but not a usable number.
  [[nodiscard]] std::optional<double> number(std::string_view key) {
    const json* value = get(key);
    if (value == nullptr) return std::nullopt;
    if (value->is_number()) return value->get<double>();
    if (value->is_string()) {
      if (auto parsed = parse_number(value->get<std::string>())) {
        note(key, "the string " + json_text(*value) + " read as the number " + number_text(*parsed));
        return parsed;
      }
    }
    note(key, json_text(*value) + " is not a number; the default is used");
    return std::nullopt;
  }

  [[nodiscard]] double clamped(std::string_view key, double fallback, double lo, double hi) {
    const double value = number(key).value_or(fallback);
    const double kept = std::clamp(value, lo, hi);
    if (kept != value) note(key, number_text(value) + " clamped to " + number_text(kept));
    return kept;
  }

  [[nodiscard]] int integer(std::string_view key, int fallback, int lo, int hi) {
    std::optional<double> value = number(key);
    if (!value) return fallback;
    double rounded = std::round(*value);
    if (rounded != *value) note(key, number_text(*value) + " rounded to " + number_text(rounded));
    const double kept = std::clamp(rounded, static_cast<double>(lo), static_cast<double>(hi));
    if (kept != rounded) note(key, number_text(rounded) + " clamped to " + number_text(kept));
    return static_cast<int>(kept);
  }

  /// `fallback` when missing or null; non-string values are kept as their JSON text.
  [[nodiscard]] std::string text(std::string_view key, std::string fallback = {}) {
    const json* value = get(key);
    if (value == nullptr) return fallback;
    if (value->is_string()) return value->get<std::string>();
    note(key, a_kind(*value) + " where text was expected; kept as its JSON text");
    return json_text(*value);
  }

  /// Like text(), but null stays null; `missing` when the key is absent.
  [[nodiscard]] std::optional<std::string> nullable_text(std::string_view key, std::optional<std::string> missing) {
    auto it = object_.find(key);
    if (it == object_.end()) {
      used_.insert(std::string(key));
      return missing;
    }
    if (it->is_null()) {
      used_.insert(std::string(key));
      return std::nullopt;
    }
    return text(key);
  }

  /// A non-empty id-like string; numbers are turned into their text (reported), "" and null are
  /// nullopt, anything else is dropped (reported).
  [[nodiscard]] std::optional<std::string> id(std::string_view key) {
    const json* value = get(key);
    if (value == nullptr) return std::nullopt;
    if (value->is_string()) {
      std::string text_value = value->get<std::string>();
      if (text_value.empty()) return std::nullopt;
      return text_value;
    }
    if (value->is_number_integer()) {
      note(key, "the number " + json_text(*value) + " read as the id '" + json_text(*value) + "'");
      return json_text(*value);
    }
    note(key, a_kind(*value) + " is not an id; dropped");
    return std::nullopt;
  }

  /// Reports the fields that were never asked for, which the typed model cannot keep.
  void report_unknown(std::string_view what) {
    std::string names;
    for (const auto& [key, value] : object_.items()) {
      if (used_.contains(key)) continue;
      if (!names.empty()) names += ", ";
      names += key;
    }
    if (!names.empty()) report_.repairs.push_back(path_ + suffix_ + ": unknown " + std::string(what) + " dropped: " + names);
  }

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& suffix() const { return suffix_; }
  [[nodiscard]] repair_report& report() const { return report_; }

 private:
  const json& object_;
  std::string path_;
  std::string suffix_;  // " (node 'x')": who the path belongs to, for people reading the report
  repair_report& report_;
  std::set<std::string> used_;
};

/// The sub-object at `key` for a nested reader; null/missing gives nullptr, another type is
/// reported and gives nullptr.
[[nodiscard]] const json* sub_object(field_reader& r, std::string_view key) {
  const json* value = r.get(key);
  if (value == nullptr) return nullptr;
  if (value->is_object()) return value;
  r.note(key, a_kind(*value) + " where an object was expected; defaults used");
  return nullptr;
}

[[nodiscard]] solution_ref read_solution_ref(field_reader& parent) {
  solution_ref ref;
  const json* doc = sub_object(parent, "solution_ref");
  if (doc == nullptr) return ref;
  field_reader r(*doc, join_path(parent.path(), "solution_ref"), parent.suffix(), parent.report());
  ref.solution_id = r.id("solution_id");
  ref.parent_solution_id = r.id("parent_solution_id");
  ref.solution_name = r.id("solution_name");
  if (r.present("round_index")) ref.round_index = r.integer("round_index", 0, 0, INT_MAX);
  else (void)r.get("round_index");
  if (const json* eval = sub_object(r, "eval")) ref.eval = *eval;
  r.report_unknown("solution_ref fields");
  return ref;
}

[[nodiscard]] std::map<std::string, impact> read_impacts(field_reader& parent) {
  std::map<std::string, impact> impacts = default_impacts();
  const json* doc = sub_object(parent, "impacts");
  if (doc == nullptr) return impacts;
  field_reader r(*doc, join_path(parent.path(), "impacts"), parent.suffix(), parent.report());
  for (std::string_view key : impact_keys) {
    const std::string name(key);
    impact& out = impacts[name];
    const json* value = r.get(key);
    if (value == nullptr) continue;
    if (value->is_number()) {
      r.note(key, "a bare number read as its rating_0_to_10");
      out.rating_0_to_10 = std::clamp(value->get<double>(), 0.0, 10.0);
      continue;
    }
    if (!value->is_object()) {
      r.note(key, a_kind(*value) + " where an object was expected; defaults used");
      continue;
    }
    field_reader ri(*value, join_path(r.path(), key), r.suffix(), r.report());
    out.rating_0_to_10 = ri.clamped("rating_0_to_10", 0, 0, 10);
    out.risk = ri.text("risk");
    out.notes = ri.text("notes");
    if (key == impact_compute_fit) {
      out.hw_notes = ri.text("hw_notes");
    } else if (ri.present("hw_notes") && !ri.text("hw_notes").empty()) {
      ri.note("hw_notes", "only compute_intensity_and_hw_fit has hw_notes; dropped");
    } else {
      (void)ri.get("hw_notes");
    }
    ri.report_unknown("impact fields");
  }
  r.report_unknown("impact dimensions (only memory_bandwidth, register_pressure, compute_intensity_and_hw_fit)");
  return impacts;
}

[[nodiscard]] node_action read_action(field_reader& parent, double overall_rating) {
  node_action action;
  const json* doc = sub_object(parent, "action");
  if (doc == nullptr) return action;  // no action at all: score 0 (K-Search's default)
  field_reader r(*doc, join_path(parent.path(), "action"), parent.suffix(), parent.report());
  action.title = r.text("title");
  action.description = r.text("description");
  action.rationale = r.text("rationale");
  const bool has_difficulty = r.present("difficulty_1_to_5");
  action.difficulty_1_to_5 = r.integer("difficulty_1_to_5", 3, 1, 5);
  if (r.present("difficulty_0_to_3")) {
    if (has_difficulty) {
      (void)r.get("difficulty_0_to_3");
      r.note("difficulty_0_to_3", "legacy field ignored: difficulty_1_to_5 is given");
    } else if (std::optional<double> legacy = r.number("difficulty_0_to_3")) {
      const int mapped = static_cast<int>(std::clamp(std::round(*legacy), 0.0, 3.0)) + 1;
      action.difficulty_1_to_5 = mapped;
      r.note("difficulty_0_to_3", "legacy " + number_text(*legacy) + " mapped to difficulty_1_to_5 = " +
                                      std::to_string(mapped));
    }
  } else {
    (void)r.get("difficulty_0_to_3");
  }
  if (r.present("score_0_to_1")) {
    action.score_0_to_1 = r.clamped("score_0_to_1", overall_rating / 10.0, 0, 1);
  } else {
    (void)r.get("score_0_to_1");
    action.score_0_to_1 = std::clamp(overall_rating / 10.0, 0.0, 1.0);  // the prior the original uses
  }
  if (std::optional<double> factor = r.number("expected_vs_baseline_factor")) {
    if (*factor < 0) {
      r.note("expected_vs_baseline_factor", number_text(*factor) + " is negative; set to null");
    } else {
      action.expected_vs_baseline_factor = factor;
    }
  }
  r.report_unknown("action fields");
  return action;
}

void read_outcome(field_reader& parent, node& n) {
  const json* doc = sub_object(parent, "ksearch");
  if (doc == nullptr) return;
  field_reader r(*doc, join_path(parent.path(), "ksearch"), parent.suffix(), parent.report());
  n.attempts = r.integer("attempts", 0, 0, INT_MAX);
  const std::string outcome = r.text("outcome", "none");
  if (auto parsed = node_outcome_from_string(outcome)) {
    n.outcome = *parsed;
  } else {
    r.note("outcome", "unknown outcome '" + outcome + "'; set to none");
  }
  n.outcome_reason = r.text("outcome_reason");
  n.outcome_round = r.integer("outcome_round", 0, 0, INT_MAX);
  r.report_unknown("ksearch fields");
}

[[nodiscard]] std::string node_label(std::string_view path, std::string_view id) {
  return std::string(path) + (id.empty() ? "" : " ('" + std::string(id) + "')");
}

[[nodiscard]] json nullable(const std::optional<std::string>& value) {
  return value ? json(*value) : json(nullptr);
}

[[nodiscard]] json nullable(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

/// Step 1: every node gets an id, and ids are unique (later duplicates renamed).
void repair_ids(world_model& wm, std::vector<std::string>& labels, repair_report& report) {
  std::set<std::string> all_ids;
  for (const node& n : wm.nodes) {
    if (!n.node_id.empty()) all_ids.insert(n.node_id);
  }
  for (std::size_t i = 0; i < wm.nodes.size(); ++i) {
    node& n = wm.nodes[i];
    if (!n.node_id.empty()) continue;
    std::string id = "n" + std::to_string(i);
    for (int k = 1; all_ids.contains(id); ++k) id = "n" + std::to_string(i) + "_" + std::to_string(k);
    n.node_id = id;
    all_ids.insert(id);
    report.repairs.push_back(labels[i] + ": no node_id; named '" + id + "'");
    labels[i] = node_label(labels[i], id);
  }
  std::map<std::string, std::size_t> first_seen;
  for (std::size_t i = 0; i < wm.nodes.size(); ++i) {
    node& n = wm.nodes[i];
    auto [it, inserted] = first_seen.emplace(n.node_id, i);
    if (inserted) continue;
    std::string id;
    for (int k = 1; id.empty() || all_ids.contains(id); ++k) id = n.node_id + "__dup" + std::to_string(k);
    report.repairs.push_back(labels[i] + ": duplicate node_id (also " + labels[it->second] + "); renamed '" + id +
                             "' (references to '" + n.node_id + "' mean the first)");
    n.node_id = id;
    all_ids.insert(id);
    first_seen.emplace(id, i);
  }
}

/// Step 2: exactly one parentless node, the one named root_id, with no decision or choice.
void repair_root(world_model& wm, std::vector<std::string>& labels, repair_report& report) {
  node* root = wm.find(wm.root_id);
  if (root == nullptr) {
    node created;
    created.node_id = wm.root_id;
    created.impacts = default_impacts();
    wm.nodes.insert(wm.nodes.begin(), std::move(created));
    labels.insert(labels.begin(), "decision_tree.nodes");
    report.repairs.push_back("decision_tree.nodes: no node has the root_id '" + wm.root_id + "'; an empty root was created");
    root = &wm.nodes.front();
  }
  const std::size_t root_index = static_cast<std::size_t>(root - wm.nodes.data());
  if (root->parent_id) {
    report.repairs.push_back(labels[root_index] + ".parent_id: the root has no parent; '" + *root->parent_id + "' dropped");
    root->parent_id.reset();
  }
  for (auto [field, value] : {std::pair{"decision", &root->decision}, std::pair{"choice", &root->choice}}) {
    if (*value && !(*value)->empty()) {
      report.repairs.push_back(labels[root_index] + "." + field + ": the root is a dummy; '" + **value + "' set to null");
    }
    value->reset();
  }
  std::set<std::string_view> ids;
  for (const node& n : wm.nodes) ids.insert(n.node_id);
  for (std::size_t i = 0; i < wm.nodes.size(); ++i) {
    node& n = wm.nodes[i];
    if (i == root_index) continue;
    if (!n.parent_id) {
      report.repairs.push_back(labels[i] + ": no parent_id; re-attached under root");
      n.parent_id = wm.root_id;
    } else if (!ids.contains(*n.parent_id)) {
      report.repairs.push_back(labels[i] + ": parent '" + *n.parent_id + "' does not exist; re-attached under root");
      n.parent_id = wm.root_id;
    }
  }
}

/// Step 3: parent links reach the root from every node. Each cycle is broken by moving its
/// earliest node under the root. Linear apart from the cycles themselves: a node once seen to
/// reach the root is not walked again.
void repair_cycles(world_model& wm, const std::vector<std::string>& labels, repair_report& report) {
  const std::size_t count = wm.nodes.size();
  std::map<std::string_view, std::size_t> index_of;
  for (std::size_t i = 0; i < count; ++i) index_of.emplace(wm.nodes[i].node_id, i);
  constexpr std::size_t not_on_walk = static_cast<std::size_t>(-1);
  std::vector<bool> reaches_root(count, false);
  std::vector<std::size_t> position(count, not_on_walk);  // index in the current walk
  for (std::size_t start = 0; start < count; ++start) {
    std::vector<std::size_t> walk;
    std::size_t at = start;
    for (;;) {
      if (reaches_root[at] || !wm.nodes[at].parent_id) break;
      if (position[at] != not_on_walk) {
        const std::vector<std::size_t> cycle(walk.begin() + static_cast<std::ptrdiff_t>(position[at]), walk.end());
        const std::size_t cut = *std::min_element(cycle.begin(), cycle.end());
        std::string chain;
        for (std::size_t member : cycle) chain += wm.nodes[member].node_id + " -> ";
        chain += wm.nodes[cycle.front()].node_id;
        report.repairs.push_back(labels[cut] + ": parent links form a cycle (" + chain + "); re-attached under root");
        wm.nodes[cut].parent_id = wm.root_id;
        for (std::size_t member : walk) position[member] = not_on_walk;
        walk.clear();
        at = start;  // walk again: this time the chain ends at the root or at another cycle
        continue;
      }
      position[at] = walk.size();
      walk.push_back(at);
      at = index_of.at(*wm.nodes[at].parent_id);
    }
    for (std::size_t member : walk) {
      reaches_root[member] = true;
      position[member] = not_on_walk;
    }
  }
}

void read_computed_signals(field_reader& top, world_model& wm) {
  const json* doc = sub_object(top, "computed_signals");
  if (doc == nullptr) return;
  field_reader r(*doc, "computed_signals", "", top.report());
  wm.round_index = r.integer("round_index", 0, 0, INT_MAX);
  if (const json* trace = sub_object(r, "trace")) {
    field_reader rt(*trace, "computed_signals.trace", "", top.report());
    wm.trace.status = rt.text("status");
    wm.trace.latency_ms = rt.number("latency_ms");
    wm.trace.reference_latency_ms = rt.number("reference_latency_ms");
    wm.trace.speedup_factor = rt.number("speedup_factor");
    wm.trace.mean_vs_baseline_factor = rt.number("mean_vs_baseline_factor");
    rt.report_unknown("trace fields");
  }
  r.report_unknown("computed_signals fields");
}

[[nodiscard]] json impact_json(std::string_view key, const impact& value) {
  json out = {{"rating_0_to_10", value.rating_0_to_10}, {"risk", value.risk}, {"notes", value.notes}};
  if (key == impact_compute_fit) out["hw_notes"] = value.hw_notes;
  return out;
}

}  // namespace

node node_from_json(const json& doc, std::string_view path, repair_report& report) {
  node n;
  if (!doc.is_object()) {
    report.repairs.push_back(std::string(path) + ": " + a_kind(doc) + " is not a node; read as an empty node");
  }
  field_reader head(doc, std::string(path), "", report);
  n.node_id = head.id("node_id").value_or("");
  field_reader r(doc, std::string(path), n.node_id.empty() ? "" : " (node '" + n.node_id + "')", report);
  (void)r.get("node_id");
  (void)r.get("node_type");  // derived from parent_id
  n.parent_id = r.id("parent_id");
  n.decision = r.nullable_text("decision", std::string());
  n.choice = r.nullable_text("choice", std::string());
  n.solution = read_solution_ref(r);
  n.impacts = read_impacts(r);
  n.overall_rating_0_to_10 = r.clamped("overall_rating_0_to_10", 0, 0, 10);
  n.confidence_0_to_1 = r.clamped("confidence_0_to_1", 0, 0, 1);
  n.last_updated_round = r.integer("last_updated_round", 0, 0, INT_MAX);
  n.notes = r.text("notes");
  n.action = read_action(r, n.overall_rating_0_to_10);
  read_outcome(r, n);
  r.report_unknown("node fields");
  return n;
}

json to_json(const node& n) {
  json impacts = json::object();
  const std::map<std::string, impact> defaults = default_impacts();
  for (std::string_view key : impact_keys) {
    auto it = n.impacts.find(std::string(key));
    impacts[std::string(key)] = impact_json(key, it != n.impacts.end() ? it->second : defaults.at(std::string(key)));
  }
  json ref = {{"solution_id", nullable(n.solution.solution_id)},
              {"parent_solution_id", nullable(n.solution.parent_solution_id)},
              {"eval", n.solution.eval.is_object() ? n.solution.eval : json::object()}};
  if (n.solution.solution_name) ref["solution_name"] = *n.solution.solution_name;
  if (n.solution.round_index) ref["round_index"] = *n.solution.round_index;
  json out = {
      {"node_id", n.node_id},
      {"parent_id", nullable(n.parent_id)},
      {"node_type", n.is_root() ? "root" : "decision"},
      {"decision", nullable(n.decision)},
      {"choice", nullable(n.choice)},
      {"solution_ref", std::move(ref)},
      {"impacts", std::move(impacts)},
      {"overall_rating_0_to_10", n.overall_rating_0_to_10},
      {"confidence_0_to_1", n.confidence_0_to_1},
      {"last_updated_round", n.last_updated_round},
      {"notes", n.notes},
      {"action",
       {{"title", n.action.title},
        {"description", n.action.description},
        {"difficulty_1_to_5", n.action.difficulty_1_to_5},
        {"score_0_to_1", n.action.score_0_to_1},
        {"expected_vs_baseline_factor", nullable(n.action.expected_vs_baseline_factor)},
        {"rationale", n.action.rationale}}},
  };
  if (n.attempts != 0 || n.outcome != node_outcome::none || !n.outcome_reason.empty() || n.outcome_round != 0) {
    out["ksearch"] = {{"attempts", n.attempts},
                      {"outcome", std::string(to_string(n.outcome))},
                      {"outcome_reason", n.outcome_reason},
                      {"outcome_round", n.outcome_round}};
  }
  return out;
}

result<world_model> world_model_from_json(const json& doc, repair_report& report) {
  if (!doc.is_object()) {
    return fail("world model", a_kind(doc) + " is not a world model",
                "expected a JSON object with kernel_summary, open_questions and decision_tree");
  }
  world_model wm;
  field_reader top(doc, "", "", report);
  wm.kernel_summary = top.text("kernel_summary");

  if (const json* questions = top.get("open_questions")) {
    if (questions->is_array()) {
      for (std::size_t i = 0; i < questions->size(); ++i) {
        const json& q = (*questions)[i];
        if (q.is_string()) {
          wm.open_questions.push_back(q.get<std::string>());
        } else if (!q.is_null()) {
          top.note("open_questions[" + std::to_string(i) + "]", a_kind(q) + " kept as its JSON text");
          wm.open_questions.push_back(json_text(q));
        }
      }
    } else if (questions->is_string()) {
      top.note("open_questions", "a single string read as a list of one question");
      wm.open_questions.push_back(questions->get<std::string>());
    } else {
      top.note("open_questions", a_kind(*questions) + " is not a list; dropped");
    }
  }

  std::vector<std::string> labels;
  if (const json* tree = sub_object(top, "decision_tree")) {
    field_reader rt(*tree, "decision_tree", "", report);
    if (std::optional<std::string> root_id = rt.id("root_id")) wm.root_id = *root_id;
    std::optional<std::string> active = rt.present("active_leaf_id") ? rt.id("active_leaf_id") : std::nullopt;
    if (const json* nodes = rt.get("nodes")) {
      if (nodes->is_array()) {
        for (std::size_t i = 0; i < nodes->size(); ++i) {
          const std::string path = "decision_tree.nodes[" + std::to_string(i) + "]";
          if (!(*nodes)[i].is_object()) {
            report.repairs.push_back(path + ": " + a_kind((*nodes)[i]) + " is not a node; dropped");
            continue;
          }
          wm.nodes.push_back(node_from_json((*nodes)[i], path, report));
          labels.push_back(node_label(path, wm.nodes.back().node_id));
        }
      } else {
        rt.note("nodes", a_kind(*nodes) + " is not a list of nodes; dropped");
      }
    }
    rt.report_unknown("decision_tree fields");
    repair_ids(wm, labels, report);
    repair_root(wm, labels, report);
    repair_cycles(wm, labels, report);
    if (active && wm.find(*active) != nullptr) {
      wm.active_leaf_id = *active;
    } else {
      if (active) report.repairs.push_back("decision_tree.active_leaf_id: node '" + *active + "' does not exist; set to the root");
      wm.active_leaf_id = wm.root_id;
    }
  } else {
    repair_root(wm, labels, report);
    wm.active_leaf_id = wm.root_id;
  }

  read_computed_signals(top, wm);
  for (const auto& [key, value] : doc.items()) {
    if (key != "kernel_summary" && key != "open_questions" && key != "decision_tree" && key != "computed_signals") {
      wm.extra[key] = value;
    }
  }
  return wm;
}

json to_json(const world_model& wm) {
  json out = wm.extra.is_object() ? wm.extra : json::object();
  out["kernel_summary"] = wm.kernel_summary;
  out["open_questions"] = wm.open_questions;
  json nodes = json::array();
  for (const node& n : wm.nodes) nodes.push_back(to_json(n));
  out["decision_tree"] = {{"root_id", wm.root_id}, {"active_leaf_id", wm.active_leaf_id}, {"nodes", std::move(nodes)}};
  out["computed_signals"] = {
      {"round_index", wm.round_index},
      {"trace",
       {{"status", wm.trace.status},
        {"latency_ms", nullable(wm.trace.latency_ms)},
        {"reference_latency_ms", nullable(wm.trace.reference_latency_ms)},
        {"speedup_factor", nullable(wm.trace.speedup_factor)},
        {"mean_vs_baseline_factor", nullable(wm.trace.mean_vs_baseline_factor)}}}};
  return out;
}

result<world_model> parse_init_reply(std::string_view reply_text, repair_report& report) {
  result<json> doc = llm::extract_json_object(reply_text);
  if (!doc) return std::unexpected(doc.error());
  if (!doc->contains("decision_tree") && !doc->contains("kernel_summary")) {
    return fail("reply", "the JSON object is not a world model (it has neither decision_tree nor kernel_summary)",
                "reply with one JSON object shaped like the schema guide");
  }
  result<world_model> wm = world_model_from_json(*doc, report);
  if (!wm) return wm;
  for (std::size_t i = 0; i < wm->nodes.size(); ++i) {
    node& n = wm->nodes[i];
    const std::string label = "decision_tree.nodes ('" + n.node_id + "')";
    if (n.solution.solution_id || n.solution.parent_solution_id || n.solution.solution_name || n.solution.round_index ||
        !n.solution.eval.empty()) {
      report.repairs.push_back(label + ".solution_ref: written by the model; removed (only the search attaches solutions)");
      n.solution = solution_ref{};
    }
    if (n.attempts != 0 || n.outcome != node_outcome::none || !n.outcome_reason.empty() || n.outcome_round != 0) {
      report.repairs.push_back(label + ".ksearch: written by the model; removed (the search records outcomes)");
      n.attempts = 0;
      n.outcome = node_outcome::none;
      n.outcome_reason.clear();
      n.outcome_round = 0;
    }
  }
  if (wm->round_index != 0 || !wm->trace.status.empty() || wm->trace.latency_ms || wm->trace.reference_latency_ms ||
      wm->trace.speedup_factor || wm->trace.mean_vs_baseline_factor) {
    report.repairs.push_back("computed_signals: written by the model; reset (the search fills them)");
    wm->round_index = 0;
    wm->trace = trace_signals{};
  }
  return wm;
}

std::string a_kind(const json& value) {
  const std::string name = value.type_name();
  if (name == "null") return "null";
  return (name == "object" || name == "array" ? "an " : "a ") + name;
}

}  // namespace ksearch::worldmodel
