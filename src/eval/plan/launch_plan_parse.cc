#include "ksearch/eval/plan/launch_plan.h"

// Parsing walks the JSON once, in plan order (lets, workspaces, steps), keeping the list of names
// an expression may read at that point (axes, scalar inputs, device facts, earlier lets) and the
// owner of every name taken (for "already the name of an axis" messages). Problems are collected
// rather than returned at the first one, so one round of LLM feedback can fix them all; a let
// whose expression is broken still defines its name, so later uses do not cascade into
// "unknown name" noise.

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include "ksearch/common/json.h"
#include "ksearch/common/text.h"
#include "ksearch/eval/check/dtype.h"

namespace ksearch::eval {

namespace {

constexpr std::size_t max_reported_problems = 20;
constexpr std::size_t max_workspace_rank = 8;

// True when `value` nests at most `levels` deep; bounded recursion, so hostile input is safe.
bool nests_at_most(const json& value, int levels) {
  if (!value.is_structured()) return true;
  if (levels == 0) return false;
  return std::all_of(value.begin(), value.end(), [&](const json& item) { return nests_at_most(item, levels - 1); });
}

// A short rendering of a JSON value for messages. dump() recurses, so deep values (LLM output can
// be hostile) are only named by type.
std::string json_excerpt(const json& value) {
  if (!nests_at_most(value, 4)) return "a deeply nested " + std::string(value.type_name());
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::optional<scalar_type> scalar_type_from_key(std::string_view key) {
  static constexpr std::array<scalar_type, 6> all{scalar_type::i32, scalar_type::i64, scalar_type::u32,
                                                  scalar_type::u64, scalar_type::f32, scalar_type::f64};
  for (scalar_type type : all) {
    if (to_string(type) == key) return type;
  }
  return std::nullopt;
}


class problem_list {
 public:
  void add(error problem) {
    if (list_.size() < max_reported_problems) {
      list_.push_back(std::move(problem));
    } else {
      ++dropped_;
    }
  }
  void add(std::string subject, std::string problem, std::string fix = {}) {
    add(error{std::move(subject), std::move(problem), std::move(fix)});
  }
  [[nodiscard]] bool empty() const { return list_.empty(); }

  [[nodiscard]] error combined() const {
    if (list_.size() == 1 && dropped_ == 0) return list_.front();
    const std::size_t total = list_.size() + dropped_;
    std::string text = std::to_string(total) + " problems:";
    for (const error& problem : list_) text += "\n" + problem.to_string();
    if (dropped_ > 0) text += "\n... and " + std::to_string(dropped_) + " more";
    return error{"launch plan", std::move(text), {}};
  }

 private:
  std::vector<error> list_;
  std::size_t dropped_ = 0;
};

class plan_parser {
 public:
  explicit plan_parser(const plan_interface& iface) { plan_.iface = iface; }

  result<launch_plan> run(const json& doc) {
    register_interface();
    if (!doc.is_object()) {
      problems_.add("launch plan", "expected a JSON object with 'steps' (and optionally 'let', 'workspaces'), got " +
                                       std::string(doc.type_name()));
      return std::unexpected(problems_.combined());
    }
    check_keys(doc, "launch plan", {"let", "workspaces", "steps", "comment"});
    prescan_let_names(doc);
    if (doc.contains("let")) parse_lets(doc.at("let"));
    if (doc.contains("workspaces")) parse_workspaces(doc.at("workspaces"));
    if (doc.contains("steps")) {
      parse_steps(doc.at("steps"));
    } else {
      problems_.add("launch plan", "'steps' is missing",
                    "add \"steps\": [{\"kernel\": ..., \"grid\": ..., \"block\": ..., \"args\": [...]}]");
    }
    if (!problems_.empty()) return std::unexpected(problems_.combined());
    return std::move(plan_);
  }

 private:
  // --- names ---------------------------------------------------------------------------------
  std::optional<std::string> owner_of(std::string_view name) const {
    for (const auto& [taken, what] : taken_) {
      if (taken == name) return what;
    }
    return std::nullopt;
  }

  void register_interface() {
    const auto add = [&](const std::string& name, const std::string& what, bool is_symbol) {
      if (auto owner = owner_of(name)) {
        // An axis and a tensor may share a name: expressions see the axis, arguments the tensor.
        const bool tensor_vs_axis =
            (*owner == "axis") != (what == "axis") &&
            (*owner == "tensor input" || *owner == "output" || what == "tensor input" || what == "output");
        if (!tensor_vs_axis) {
          problems_.add("plan interface",
                        "'" + name + "' is both " + article(*owner) + *owner + " and " + article(what) + what);
        }
      } else {
        taken_.emplace_back(name, what);
      }
      if (is_symbol) symbols_.push_back(name);
    };
    for (const std::string& axis : plan_.iface.axes) add(axis, "axis", true);
    for (const auto& [name, type] : plan_.iface.scalar_inputs) add(name, "scalar input", true);
    for (std::string_view fact : device_fact_names) add(std::string(fact), "device fact", true);
    for (const std::string& name : plan_.iface.tensor_inputs) add(name, "tensor input", false);
    for (const std::string& name : plan_.iface.tensor_outputs) add(name, "output", false);
  }

  bool is_symbol(std::string_view name) const {
    return std::find(symbols_.begin(), symbols_.end(), name) != symbols_.end();
  }

  // A new let or workspace name: an identifier, not reserved, not taken.
  bool check_new_name(const std::string& name, const std::string& subject) {
    if (!is_identifier(name)) {
      problems_.add(subject, "'" + name + "' is not a valid name",
                    "use letters, digits and '_', not starting with a digit");
      return false;
    }
    if (is_reserved_expression_word(name)) {
      problems_.add(subject, "'" + name + "' is reserved by the expression language", "pick another name");
      return false;
    }
    if (auto owner = owner_of(name)) {
      problems_.add(subject, "'" + name + "' is already the name of " + article(*owner) + *owner, "pick another name");
      return false;
    }
    return true;
  }

  static std::string article(const std::string& what) {
    return (what.front() == 'a' || what.front() == 'e' || what.front() == 'i' || what.front() == 'o') ? "an " : "a ";
  }

  void prescan_let_names(const json& doc) {
    const auto found = doc.find("let");
    if (found == doc.end() || !found->is_array()) return;
    for (const json& entry : *found) {
      if (entry.is_object() && entry.size() == 1) all_let_names_.push_back(entry.begin().key());
    }
  }

  // --- generic pieces -------------------------------------------------------------------------
  void check_keys(const json& object, const std::string& path, std::initializer_list<std::string_view> allowed) {
    std::vector<std::string> allowed_list(allowed.begin(), allowed.end());
    for (const auto& [key, value] : object.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      error problem = unknown_name_error(path, key, allowed_list);
      problem.problem = "unknown key '" + key + "' (allowed: " + join(allowed_list) + ")";
      problems_.add(std::move(problem));
    }
    if (const auto comment = object.find("comment"); comment != object.end() && !comment->is_string()) {
      problems_.add(path == "launch plan" ? "comment" : path + ".comment",
                    "expected a string, got " + std::string(comment->type_name()));
    }
  }

  std::optional<expression> parse_expr(const json& value, const std::string& path) {
    std::optional<expression> parsed;
    if (value.is_string()) {
      auto text = expression::parse(value.get_ref<const std::string&>());
      if (!text) {
        problems_.add(path, text.error().problem, text.error().fix);
        return std::nullopt;
      }
      parsed = std::move(*text);
    } else if (value.is_number_unsigned()) {
      const auto number = value.get<std::uint64_t>();
      if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        problems_.add(path, std::to_string(number) + " does not fit int64");
        return std::nullopt;
      }
      parsed = expression::constant(plan_value::of_int(static_cast<std::int64_t>(number)));
    } else if (value.is_number_integer()) {
      parsed = expression::constant(plan_value::of_int(value.get<std::int64_t>()));
    } else if (value.is_number_float()) {
      const auto number = value.get<double>();
      if (!std::isfinite(number)) {
        problems_.add(path, "number is not finite");
        return std::nullopt;
      }
      parsed = expression::constant(plan_value::of_float(number));
    } else if (value.is_boolean()) {
      parsed = expression::constant(plan_value::of_int(value.get<bool>() ? 1 : 0));
    } else {
      problems_.add(path, "expected an expression (a string such as \"ceil_div(n, 256)\" or a number), got " +
                              std::string(value.type_name()));
      return std::nullopt;
    }
    bool names_known = true;
    for (const std::string& name : parsed->referenced_names()) {
      if (is_symbol(name)) continue;
      names_known = false;
      const auto owner = owner_of(name);
      if (owner && (*owner == "tensor input" || *owner == "output" || *owner == "workspace")) {
        problems_.add(path, "'" + name + "' is " + article(*owner) + *owner + ", not a value",
                      "expressions read axes, scalar inputs, device facts and lets; tensors are passed as arguments");
      } else if (name == current_let_) {
        problems_.add(path, "'" + name + "' refers to itself", "a let can use only the lets before it");
      } else if (std::find(all_let_names_.begin(), all_let_names_.end(), name) != all_let_names_.end()) {
        problems_.add(path, "'" + name + "' is a let defined later",
                      "a let can use only the lets before it; reorder them");
      } else {
        problems_.add(unknown_name_error(path, name, symbols_));
      }
    }
    if (!names_known) return std::nullopt;
    return parsed;
  }

  // 1..max_count expressions: an array, or a single value as shorthand for a one-entry array.
  std::optional<std::vector<expression>> parse_dims(const json& value, const std::string& path, std::size_t max_count) {
    std::vector<expression> out;
    if (!value.is_array()) {
      auto single = parse_expr(value, path);
      if (!single) return std::nullopt;
      out.push_back(std::move(*single));
      return out;
    }
    if (value.empty() || value.size() > max_count) {
      problems_.add(path, "needs 1 to " + std::to_string(max_count) + " entries, got " + std::to_string(value.size()));
      return std::nullopt;
    }
    bool ok = true;
    for (std::size_t d = 0; d < value.size(); ++d) {
      auto dim = parse_expr(value[d], indexed(path, d));
      if (dim) {
        out.push_back(std::move(*dim));
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  std::optional<std::uint8_t> parse_byte(const json& value, const std::string& path) {
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0 && value.get<std::int64_t>() <= 255) {
      return static_cast<std::uint8_t>(value.get<std::int64_t>());
    }
    problems_.add(path, "expected a byte value 0-255, got " + json_excerpt(value));
    return std::nullopt;
  }

  bool check_array(const json& value, const std::string& path, std::size_t max_count, std::string_view example) {
    if (!value.is_array()) {
      problems_.add(path, "expected an array, got " + std::string(value.type_name()),
                    "write it as " + std::string(example));
      return false;
    }
    if (value.size() > max_count) {
      problems_.add(path, std::to_string(value.size()) + " entries, over the limit of " + std::to_string(max_count));
      return false;
    }
    return true;
  }

  // --- let -----------------------------------------------------------------------------------
  void parse_lets(const json& lets) {
    if (!check_array(lets, "let", max_plan_lets,
                     "[{\"splits\": \"...\"}, {\"tiles\": \"...\"}] (an array keeps the order)"))
      return;
    for (std::size_t i = 0; i < lets.size(); ++i) {
      const json& entry = lets[i];
      const std::string path = indexed("let", i);
      if (!entry.is_object() || entry.size() != 1) {
        problems_.add(path,
                      "each let is an object with one entry, {\"name\": \"expression\"}, got " + json_excerpt(entry));
        continue;
      }
      const std::string name = entry.begin().key();  // a copy: g++ 13 flags the iterator temporary
      const bool name_ok = check_new_name(name, path);
      current_let_ = name;
      auto value = parse_expr(entry.begin().value(), path + "." + name);
      current_let_.clear();
      if (!name_ok) continue;
      // The name is defined even when its expression is broken, so later uses do not cascade.
      taken_.emplace_back(name, "let");
      symbols_.push_back(name);
      if (value) plan_.lets.push_back({name, std::move(*value)});
    }
  }

  // --- workspaces ----------------------------------------------------------------------------
  void parse_workspaces(const json& workspaces) {
    if (!check_array(workspaces, "workspaces", max_plan_workspaces, "[{\"name\": \"partial\", \"bytes\": \"...\"}]"))
      return;
    for (std::size_t i = 0; i < workspaces.size(); ++i) parse_workspace(workspaces[i], indexed("workspaces", i));
  }

  void parse_workspace(const json& entry, const std::string& path) {
    if (!entry.is_object()) {
      problems_.add(path, "expected an object {\"name\", \"bytes\" or \"dtype\" + \"shape\", \"init\"}, got " +
                              std::string(entry.type_name()));
      return;
    }
    check_keys(entry, path, {"name", "bytes", "dtype", "shape", "init", "comment"});
    plan_workspace workspace;
    const auto name_field = entry.find("name");
    if (name_field == entry.end() || !name_field->is_string()) {
      problems_.add(path + ".name", "a workspace needs a \"name\" (string)");
      return;
    }
    workspace.name = name_field->get<std::string>();
    const bool name_ok = check_new_name(workspace.name, path + ".name");
    if (name_ok) taken_.emplace_back(workspace.name, "workspace");

    const bool has_bytes = entry.contains("bytes");
    const bool has_dtype = entry.contains("dtype");
    const bool has_shape = entry.contains("shape");
    bool ok = name_ok;
    if (has_bytes == (has_dtype || has_shape)) {
      problems_.add(path, "give either \"bytes\" or \"dtype\" and \"shape\"",
                    "e.g. \"bytes\": \"batch_size * 4\" or \"dtype\": \"float32\", \"shape\": [\"batch_size\"]");
      ok = false;
    } else if (has_bytes) {
      workspace.bytes = parse_expr(entry.at("bytes"), path + ".bytes");
      ok = ok && workspace.bytes.has_value();
    } else if (!has_dtype || !has_shape) {
      problems_.add(path, std::string("\"") + (has_dtype ? "dtype" : "shape") + "\" needs \"" +
                              (has_dtype ? "shape" : "dtype") + "\" too");
      ok = false;
    } else {
      const json& dtype_value = entry.at("dtype");
      const std::string dtype_path = path + ".dtype";
      auto element = dtype_value.is_string()
                         ? dtype_from_name(dtype_value.get<std::string>(), dtype_path)
                         : fail(dtype_path, "expected a dtype name, got " + json_excerpt(dtype_value));
      if (!element) {
        problems_.add(std::move(element.error()));
        ok = false;
      } else {
        workspace.dtype = std::string(eval::name(*element));
        workspace.element_bytes = size_bytes(*element);
      }
      auto shape = parse_dims(entry.at("shape"), path + ".shape", max_workspace_rank);
      if (shape) {
        workspace.shape = std::move(*shape);
      } else {
        ok = false;
      }
    }
    if (const auto init = entry.find("init"); init != entry.end()) {
      if (init->is_string() && *init == "none") {
        workspace.init.reset();
      } else if (init->is_string() && *init == "zero") {
        workspace.init = 0;
      } else if (init->is_number_integer()) {
        workspace.init = parse_byte(*init, path + ".init");
        ok = ok && workspace.init.has_value();
      } else {
        problems_.add(path + ".init", "expected \"none\", \"zero\" or a byte value 0-255, got " + json_excerpt(*init));
        ok = false;
      }
    }
    if (ok) {
      plan_.workspaces.push_back(std::move(workspace));
    } else if (name_ok) {
      broken_workspaces_.push_back(workspace.name);  // later uses of it are not reported again
    }
  }

  // --- steps ---------------------------------------------------------------------------------
  void parse_steps(const json& steps) {
    if (!check_array(steps, "steps", max_plan_steps,
                     "[{\"kernel\": ..., \"grid\": ..., \"block\": ..., \"args\": [...]}]"))
      return;
    if (steps.empty()) {
      problems_.add("steps", "no steps", "add at least one kernel launch");
      return;
    }
    for (std::size_t i = 0; i < steps.size(); ++i) parse_step(steps[i], indexed("steps", i));
  }

  void parse_step(const json& entry, const std::string& path) {
    if (!entry.is_object()) {
      problems_.add(
          path, "expected an object (a launch with \"kernel\" or a \"memset\"), got " + std::string(entry.type_name()));
      return;
    }
    const bool is_launch = entry.contains("kernel");
    const bool is_memset = entry.contains("memset");
    if (is_launch == is_memset) {
      problems_.add(path, is_launch ? "a step has either \"kernel\" or \"memset\", not both"
                                    : "a step needs \"kernel\" (a launch) or \"memset\"");
      return;
    }
    plan_step step;
    bool ok = true;
    if (const auto when = entry.find("when"); when != entry.end()) {
      step.when = parse_expr(*when, path + ".when");
      ok = step.when.has_value();
    }
    ok = (is_launch ? parse_launch(entry, path, step) : parse_memset(entry, path, step)) && ok;
    if (ok) plan_.steps.push_back(std::move(step));
  }

  bool parse_launch(const json& entry, const std::string& path, plan_step& step) {
    check_keys(entry, path,
               {"kernel", "grid", "block", "dyn_smem", "cluster", "cooperative", "when", "args", "comment"});
    step.kind = step_kind::launch;
    bool ok = true;
    const json& kernel = entry.at("kernel");
    if (!kernel.is_string() || !is_identifier(kernel.get<std::string>())) {
      problems_.add(path + ".kernel",
                    "expected the name of an extern \"C\" __global__ function, got " + json_excerpt(kernel));
      ok = false;
    } else {
      step.kernel = kernel.get<std::string>();
    }
    const auto required_dims = [&](const char* key, std::vector<expression>& out) {
      const auto found = entry.find(key);
      if (found == entry.end()) {
        problems_.add(path, std::string("a launch needs \"") + key + "\"",
                      std::string("e.g. \"") + key + "\": [\"ceil_div(n, 256)\", 1, 1]");
        return false;
      }
      auto dims = parse_dims(*found, path + "." + key, 3);
      if (!dims) return false;
      out = std::move(*dims);
      return true;
    };
    ok = required_dims("grid", step.grid) && ok;
    ok = required_dims("block", step.block) && ok;
    if (const auto cluster = entry.find("cluster"); cluster != entry.end()) {
      auto dims = parse_dims(*cluster, path + ".cluster", 3);
      if (dims) {
        step.cluster = std::move(*dims);
      } else {
        ok = false;
      }
    }
    if (const auto smem = entry.find("dyn_smem"); smem != entry.end()) {
      step.dyn_smem = parse_expr(*smem, path + ".dyn_smem");
      ok = ok && step.dyn_smem.has_value();
    }
    if (const auto cooperative = entry.find("cooperative"); cooperative != entry.end()) {
      if (cooperative->is_boolean()) {
        step.cooperative = cooperative->get<bool>();
      } else {
        problems_.add(path + ".cooperative", "expected true or false, got " + json_excerpt(*cooperative));
        ok = false;
      }
    }
    const auto args = entry.find("args");
    if (args == entry.end()) {
      problems_.add(path, "a launch needs \"args\" (the kernel's parameters in order; [] for none)");
      return false;
    }
    if (!check_array(*args, path + ".args", max_step_args, "[\"q\", \"output\", {\"i32\": \"batch_size\"}]"))
      return false;
    for (std::size_t k = 0; k < args->size(); ++k) {
      auto arg = parse_arg((*args)[k], indexed(path + ".args", k));
      if (arg) {
        step.args.push_back(std::move(*arg));
      } else {
        ok = false;
      }
    }
    return ok;
  }

  std::vector<std::string> argument_names() const {
    std::vector<std::string> names = plan_.iface.tensor_inputs;
    names.insert(names.end(), plan_.iface.tensor_outputs.begin(), plan_.iface.tensor_outputs.end());
    for (const plan_workspace& workspace : plan_.workspaces) names.push_back(workspace.name);
    for (const auto& [name, type] : plan_.iface.scalar_inputs) names.push_back(name);
    return names;
  }

  static std::optional<int> position(const std::vector<std::string>& list, std::string_view name) {
    const auto found = std::find(list.begin(), list.end(), name);
    if (found == list.end()) return std::nullopt;
    return static_cast<int>(found - list.begin());
  }

  bool is_broken_workspace(std::string_view name) const {
    return std::find(broken_workspaces_.begin(), broken_workspaces_.end(), name) != broken_workspaces_.end();
  }

  std::optional<int> workspace_position(std::string_view name) const {
    for (std::size_t w = 0; w < plan_.workspaces.size(); ++w) {
      if (plan_.workspaces[w].name == name) return static_cast<int>(w);
    }
    return std::nullopt;
  }

  std::optional<plan_arg> parse_arg(const json& value, const std::string& path) {
    plan_arg arg;
    if (value.is_string()) {
      const std::string& name = value.get_ref<const std::string&>();
      if (auto index = position(plan_.iface.tensor_inputs, name)) {
        arg.kind = arg_kind::input;
        arg.index = *index;
        return arg;
      }
      if (auto index = position(plan_.iface.tensor_outputs, name)) {
        arg.kind = arg_kind::output;
        arg.index = *index;
        return arg;
      }
      if (auto index = workspace_position(name)) {
        arg.kind = arg_kind::workspace;
        arg.index = *index;
        return arg;
      }
      for (const auto& [scalar, type] : plan_.iface.scalar_inputs) {
        if (scalar != name) continue;
        arg.kind = arg_kind::scalar;
        arg.type = type;
        arg.by_name = true;
        arg.value = parse_expr(value, path);
        if (!arg.value) return std::nullopt;
        return arg;
      }
      if (is_broken_workspace(name)) return std::nullopt;
      if (auto owner = owner_of(name); owner && is_symbol(name)) {
        problems_.add(path, "'" + name + "' is " + article(*owner) + *owner + "; a value needs its C type",
                      "pass it as {\"i32\": \"" + name + "\"} (or i64, u32, u64, f32, f64)");
        return std::nullopt;
      }
      problems_.add(unknown_name_error(path, name, argument_names()));
      return std::nullopt;
    }
    if (value.is_object()) {
      if (value.size() != 1) {
        problems_.add(path, "a typed value is an object with one entry, e.g. {\"i32\": \"batch_size\"}, got " +
                                json_excerpt(value));
        return std::nullopt;
      }
      const std::string key = value.begin().key();  // a copy: g++ 13 flags the iterator temporary
      const auto type = scalar_type_from_key(key);
      if (!type) {
        error problem =
            unknown_name_error(path, key, std::vector<std::string>{"i32", "i64", "u32", "u64", "f32", "f64"});
        problem.problem = "unknown scalar type '" + key + "' (allowed: i32, i64, u32, u64, f32, f64)";
        problems_.add(std::move(problem));
        return std::nullopt;
      }
      arg.kind = arg_kind::scalar;
      arg.type = *type;
      arg.value = parse_expr(value.begin().value(), path + "." + key);
      if (!arg.value) return std::nullopt;
      return arg;
    }
    if (value.is_number()) {
      problems_.add(path, "a number needs its C type",
                    "write {\"i32\": " + value.dump() + "} (or i64, u32, u64, f32, f64)");
      return std::nullopt;
    }
    problems_.add(path,
                  "expected the name of a tensor, workspace or scalar input, or a typed value such as "
                  "{\"i32\": \"batch_size\"}, got " +
                      json_excerpt(value));
    return std::nullopt;
  }

  bool parse_memset(const json& entry, const std::string& path, plan_step& step) {
    check_keys(entry, path, {"memset", "value", "when", "comment"});
    step.kind = step_kind::memset;
    bool ok = true;
    const json& target = entry.at("memset");
    const std::string target_path = path + ".memset";
    if (!target.is_string()) {
      problems_.add(target_path, "expected the name of an output or workspace, got " + json_excerpt(target));
      ok = false;
    } else if (auto output = position(plan_.iface.tensor_outputs, target.get<std::string>())) {
      step.target_kind = arg_kind::output;
      step.target_index = *output;
    } else if (auto workspace = workspace_position(target.get<std::string>())) {
      step.target_kind = arg_kind::workspace;
      step.target_index = *workspace;
    } else if (is_broken_workspace(target.get<std::string>())) {
      ok = false;
    } else if (position(plan_.iface.tensor_inputs, target.get<std::string>())) {
      problems_.add(target_path, "'" + target.get<std::string>() + "' is a tensor input; inputs are read-only",
                    "memset an output or a workspace");
      ok = false;
    } else {
      std::vector<std::string> known = plan_.iface.tensor_outputs;
      for (const plan_workspace& declared : plan_.workspaces) known.push_back(declared.name);
      problems_.add(unknown_name_error(target_path, target.get<std::string>(), known));
      ok = false;
    }
    if (const auto value = entry.find("value"); value != entry.end()) {
      const auto byte = parse_byte(*value, path + ".value");
      if (byte) {
        step.value = *byte;
      } else {
        ok = false;
      }
    }
    return ok;
  }

  launch_plan plan_;
  problem_list problems_;
  std::vector<std::string> symbols_;                        // readable by expressions, in order
  std::vector<std::pair<std::string, std::string>> taken_;  // name -> what owns it
  std::vector<std::string> all_let_names_;                  // for "defined later" messages
  std::string current_let_;                                 // the let being parsed, if any
  std::vector<std::string> broken_workspaces_;              // declared, but with a problem reported
};

}  // namespace

result<launch_plan> parse_launch_plan(const json& plan, const plan_interface& iface) {
  return plan_parser(iface).run(plan);
}

result<launch_plan> parse_launch_plan_text(std::string_view json_text, const plan_interface& iface) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    return fail("launch plan", std::string("invalid JSON: ") + e.what());
  }
  return parse_launch_plan(doc, iface);
}

}  // namespace ksearch::eval
