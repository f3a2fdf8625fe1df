#include "ksearch/eval/launch_plan.h"

// Implementation details
// ----------------------
// Parsing walks the JSON once, in plan order (lets, workspaces, steps), keeping the list of names
// an expression may read at that point (axes, scalar inputs, device facts, earlier lets) and the
// owner of every name taken (for "already the name of an axis" messages). Problems are collected
// rather than returned at the first one, so one round of LLM feedback can fix them all; a let
// whose expression is broken still defines its name, so later uses do not cascade into
// "unknown name" noise.
//
// Resolving evaluates in the same order on a copy of the workload's symbols and stops at the
// first problem: later values depend on earlier ones.

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "ksearch/eval/cuda_driver.h"
#include "ksearch/eval/dtype.h"

namespace ksearch::eval {

namespace {

using json = nlohmann::json;

constexpr std::size_t max_reported_problems = 20;
constexpr std::size_t max_workspace_rank = 8;
constexpr std::string_view make_int_fix = "use floor(), ceil() or round() to turn a float into an int";
constexpr std::array<std::string_view, 3> dim_names{"x", "y", "z"};

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string indexed(const std::string& path, std::size_t index) { return path + "[" + std::to_string(index) + "]"; }

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

// ---------------------------------------------------------------------------------------------
// Parsing

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

// ---------------------------------------------------------------------------------------------
// Resolving

result<plan_value> evaluate_at(const expression& expr, const std::string& path, const symbol_table& symbols) {
  auto value = expr.evaluate(symbols);
  if (!value) return fail(path, value.error().problem, value.error().fix);
  return value;
}

result<std::int64_t> evaluate_int(const expression& expr, const std::string& path, const symbol_table& symbols) {
  auto value = evaluate_at(expr, path, symbols);
  if (!value) return std::unexpected(value.error());
  if (value->is_float) {
    return fail(path, "a float (" + value->to_string() + ") where an int is needed", std::string(make_int_fix));
  }
  return value->i;
}

std::string times(const std::array<std::int64_t, 3>& dims) {
  return std::to_string(dims[0]) + " x " + std::to_string(dims[1]) + " x " + std::to_string(dims[2]);
}

std::string times(const std::array<std::uint32_t, 3>& dims) {
  return std::to_string(dims[0]) + " x " + std::to_string(dims[1]) + " x " + std::to_string(dims[2]);
}

// Grid, block or cluster sizes: 1..3 ints, each >= 1 and <= its limit; missing ones are 1.
result<std::array<std::int64_t, 3>> resolve_dims(const std::vector<expression>& exprs, const std::string& path,
                                                 std::string_view what, const std::array<std::int64_t, 3>& limit,
                                                 const symbol_table& symbols) {
  std::array<std::int64_t, 3> dims{1, 1, 1};
  for (std::size_t d = 0; d < exprs.size(); ++d) {
    const std::string dim_path = indexed(path, d);
    auto value = evaluate_int(exprs[d], dim_path, symbols);
    if (!value) return std::unexpected(value.error());
    const std::string label = std::string(what) + " " + std::string(dim_names[d]);
    if (*value < 1) return fail(dim_path, label + " is " + std::to_string(*value) + "; dimensions must be at least 1");
    if (*value > limit[d]) {
      return fail(dim_path,
                  label + " is " + std::to_string(*value) + ", over the device limit " + std::to_string(limit[d]));
    }
    dims[d] = *value;
  }
  return dims;
}

std::array<std::uint32_t, 3> narrow(const std::array<std::int64_t, 3>& dims) {
  return {static_cast<std::uint32_t>(dims[0]), static_cast<std::uint32_t>(dims[1]),
          static_cast<std::uint32_t>(dims[2])};
}

template <class T>
void store_bytes(resolved_arg& arg, T value) {
  static_assert(sizeof(T) <= 8);
  std::memcpy(arg.bytes.data(), &value, sizeof(T));
}

result<resolved_arg> resolve_scalar(const plan_arg& arg, const std::string& path, const symbol_table& symbols) {
  auto value = evaluate_at(*arg.value, path, symbols);
  if (!value) return std::unexpected(value.error());
  resolved_arg out;
  out.kind = arg_kind::scalar;
  out.type = arg.type;
  const std::string type_name(to_string(arg.type));
  const bool wants_int = arg.type != scalar_type::f32 && arg.type != scalar_type::f64;
  if (wants_int && value->is_float) {
    return fail(path, "a float (" + value->to_string() + ") where " + type_name + " is needed",
                std::string(make_int_fix));
  }
  const auto out_of_range = [&]() { return fail(path, value->to_string() + " does not fit " + type_name); };
  switch (arg.type) {
    case scalar_type::i32:
      if (value->i < std::numeric_limits<std::int32_t>::min() || value->i > std::numeric_limits<std::int32_t>::max())
        return out_of_range();
      store_bytes(out, static_cast<std::int32_t>(value->i));
      out.value = *value;
      break;
    case scalar_type::i64:
      store_bytes(out, value->i);
      out.value = *value;
      break;
    case scalar_type::u32:
      if (value->i < 0 || value->i > std::int64_t{std::numeric_limits<std::uint32_t>::max()}) return out_of_range();
      store_bytes(out, static_cast<std::uint32_t>(value->i));
      out.value = *value;
      break;
    case scalar_type::u64:
      if (value->i < 0) return out_of_range();
      store_bytes(out, static_cast<std::uint64_t>(value->i));
      out.value = *value;
      break;
    case scalar_type::f32: {
      const double x = value->as_double();
      if (std::fabs(x) > static_cast<double>(FLT_MAX)) return out_of_range();
      const auto narrowed = static_cast<float>(x);
      store_bytes(out, narrowed);
      out.value = plan_value::of_float(static_cast<double>(narrowed));
      break;
    }
    case scalar_type::f64: {
      const double x = value->as_double();
      store_bytes(out, x);
      out.value = plan_value::of_float(x);
      break;
    }
  }
  return out;
}

result<resolved_workspace> resolve_workspace(const plan_workspace& workspace, const std::string& path,
                                             const symbol_table& symbols, const device_limits& limits) {
  resolved_workspace out{workspace.name, 0, workspace.init};
  std::string field;
  if (workspace.bytes) {
    field = path + ".bytes";
    auto bytes = evaluate_int(*workspace.bytes, field, symbols);
    if (!bytes) return std::unexpected(bytes.error());
    out.bytes = *bytes;
  } else {
    field = path + ".shape";
    std::int64_t total = static_cast<std::int64_t>(workspace.element_bytes);
    std::string shown;
    for (std::size_t d = 0; d < workspace.shape.size(); ++d) {
      auto extent = evaluate_int(workspace.shape[d], indexed(field, d), symbols);
      if (!extent) return std::unexpected(extent.error());
      if (*extent < 0)
        return fail(indexed(field, d), "dimension is " + std::to_string(*extent) + "; it must not be negative");
      shown += (d > 0 ? " x " : "") + std::to_string(*extent);
      if (__builtin_mul_overflow(total, *extent, &total)) {
        return fail(field, "int64 overflow: " + shown + " elements of " + workspace.dtype);
      }
    }
    out.bytes = total;
  }
  if (out.bytes < 1) {
    return fail(field, std::to_string(out.bytes) + " bytes; a workspace needs at least 1 byte",
                "size it with max(1, ...) or drop the workspace");
  }
  if (out.bytes > limits.max_workspace_bytes) {
    return fail(field, std::to_string(out.bytes) + " bytes, over the limit of " +
                           std::to_string(limits.max_workspace_bytes) + " bytes per workspace");
  }
  return out;
}

result<resolved_step> resolve_launch(const plan_step& step, std::size_t index, const symbol_table& symbols,
                                     const device_limits& limits) {
  const std::string path = indexed("steps", index);
  resolved_step out;
  out.kind = step_kind::launch;
  out.plan_step = index;
  out.kernel = step.kernel;
  out.cooperative = step.cooperative;

  auto grid = resolve_dims(step.grid, path + ".grid", "grid", limits.max_grid, symbols);
  if (!grid) return std::unexpected(grid.error());
  auto block = resolve_dims(step.block, path + ".block", "block", limits.max_block, symbols);
  if (!block) return std::unexpected(block.error());
  const std::int64_t threads = (*block)[0] * (*block)[1] * (*block)[2];
  if (threads > limits.max_threads_per_block) {
    return fail(path + ".block", times(*block) + " = " + std::to_string(threads) + " threads, over the device limit " +
                                     std::to_string(limits.max_threads_per_block));
  }
  out.grid = narrow(*grid);
  out.block = narrow(*block);

  if (!step.cluster.empty()) {
    // Before Hopper any cluster dimension above 1 is the problem, whatever max_cluster_size says.
    const bool clusters_supported = limits.cc >= 90;
    const std::int64_t most = clusters_supported ? std::max<std::int64_t>(limits.max_cluster_size, 1)
                                                 : std::numeric_limits<std::int64_t>::max();
    auto cluster = resolve_dims(step.cluster, path + ".cluster", "cluster", {most, most, most}, symbols);
    if (!cluster) return std::unexpected(cluster.error());
    if (!clusters_supported && std::any_of(cluster->begin(), cluster->end(), [](std::int64_t d) { return d > 1; })) {
      return fail(path + ".cluster", "thread block clusters need compute capability 9.0 or newer; this device is " +
                                         std::to_string(limits.cc / 10) + "." + std::to_string(limits.cc % 10));
    }
    const std::int64_t blocks = (*cluster)[0] * (*cluster)[1] * (*cluster)[2];
    if (blocks > limits.max_cluster_size) {
      return fail(path + ".cluster", times(*cluster) + " = " + std::to_string(blocks) +
                                         " blocks, over the device limit " + std::to_string(limits.max_cluster_size));
    }
    for (std::size_t d = 0; d < 3; ++d) {
      if ((*grid)[d] % (*cluster)[d] != 0) {
        return fail(
            path + ".cluster", "grid " + times(*grid) + " is not divisible by cluster " + times(*cluster),
            "round the grid up to a multiple of the cluster, e.g. round_up(n, " + std::to_string((*cluster)[d]) + ")");
      }
    }
    out.cluster = narrow(*cluster);
  }

  if (step.dyn_smem) {
    auto smem = evaluate_int(*step.dyn_smem, path + ".dyn_smem", symbols);
    if (!smem) return std::unexpected(smem.error());
    if (*smem < 0) return fail(path + ".dyn_smem", std::to_string(*smem) + " bytes; it must not be negative");
    const std::int64_t limit = std::min<std::int64_t>(limits.max_smem_optin, std::numeric_limits<std::uint32_t>::max());
    if (*smem > limit) {
      return fail(path + ".dyn_smem", std::to_string(*smem) + " bytes, over the device's opt-in limit of " +
                                          std::to_string(limit) + " bytes (max_smem_optin)");
    }
    out.dyn_smem = static_cast<std::uint32_t>(*smem);
  }

  for (std::size_t k = 0; k < step.args.size(); ++k) {
    const plan_arg& arg = step.args[k];
    if (arg.kind != arg_kind::scalar) {
      out.args.push_back(resolved_arg{arg.kind, arg.index, scalar_type::i32, {}, {}});
      continue;
    }
    const std::string arg_path =
        indexed(path + ".args", k) + (arg.by_name ? "" : "." + std::string(to_string(arg.type)));
    auto scalar = resolve_scalar(arg, arg_path, symbols);
    if (!scalar) return std::unexpected(scalar.error());
    out.args.push_back(*scalar);
  }
  return out;
}

std::string arg_text(const resolved_arg& arg, const launch_plan& source) {
  const auto name = [](const std::vector<std::string>& list, int index) {
    return index >= 0 && static_cast<std::size_t>(index) < list.size() ? list[static_cast<std::size_t>(index)] : "?";
  };
  switch (arg.kind) {
    case arg_kind::input:
      return name(source.iface.tensor_inputs, arg.index);
    case arg_kind::output:
      return name(source.iface.tensor_outputs, arg.index);
    case arg_kind::workspace:
      return arg.index >= 0 && static_cast<std::size_t>(arg.index) < source.workspaces.size()
                 ? source.workspaces[static_cast<std::size_t>(arg.index)].name
                 : "?";
    case arg_kind::scalar:
      return std::string(to_string(arg.type)) + " " + arg.value.to_string();
  }
  return "?";
}

std::string byte_text(std::uint8_t value) {
  static constexpr std::string_view hex = "0123456789abcdef";
  return std::string("0x") + hex[value >> 4] + hex[value & 0xf];
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public functions

std::string_view to_string(scalar_type type) {
  switch (type) {
    case scalar_type::i32:
      return "i32";
    case scalar_type::i64:
      return "i64";
    case scalar_type::u32:
      return "u32";
    case scalar_type::u64:
      return "u64";
    case scalar_type::f32:
      return "f32";
    case scalar_type::f64:
      return "f64";
  }
  return "?";
}

std::size_t byte_size(scalar_type type) {
  return (type == scalar_type::i32 || type == scalar_type::u32 || type == scalar_type::f32) ? 4 : 8;
}

result<scalar_type> scalar_type_from_dtype(std::string_view dtype) {
  static constexpr std::array<std::pair<std::string_view, scalar_type>, 6> table{{
      {"int32", scalar_type::i32},
      {"int64", scalar_type::i64},
      {"uint32", scalar_type::u32},
      {"uint64", scalar_type::u64},
      {"float32", scalar_type::f32},
      {"float64", scalar_type::f64},
  }};
  for (const auto& [name, type] : table) {
    if (name == dtype) return type;
  }
  return fail(std::string(dtype), "no kernel parameter type for a scalar of dtype '" + std::string(dtype) + "'",
              "scalar inputs must be int32, int64, uint32, uint64, float32 or float64");
}

void add_device_facts(symbol_table& symbols, const device_limits& limits) {
  symbols.set_int("num_sms", limits.num_sms);
  symbols.set_int("cc", limits.cc);
  symbols.set_int("max_smem_optin", limits.max_smem_optin);
  symbols.set_int("l2_bytes", limits.l2_bytes);
}

device_limits device_limits_from(const device_info& device) {
  device_limits limits;
  limits.num_sms = device.sm_count;
  limits.cc = device.cc_major * 10 + device.cc_minor;
  limits.max_smem_optin = static_cast<std::int64_t>(device.max_smem_optin_bytes);
  limits.l2_bytes = static_cast<std::int64_t>(device.l2_bytes);
  limits.max_cluster_size = limits.cc >= 90 ? 8 : 1;
  return limits;
}

result<launch_plan> parse_launch_plan(const nlohmann::json& plan, const plan_interface& iface) {
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

std::vector<std::string> kernel_names(const launch_plan& plan) {
  std::vector<std::string> names;
  for (const plan_step& step : plan.steps) {
    if (step.kind == step_kind::launch && std::find(names.begin(), names.end(), step.kernel) == names.end()) {
      names.push_back(step.kernel);
    }
  }
  return names;
}

result<resolved_plan> resolve_launch_plan(const launch_plan& plan, const symbol_table& workload_symbols,
                                          const device_limits& limits) {
  // 1. Symbols: the workload's axes and scalars (all must be there), then the device facts.
  symbol_table symbols = workload_symbols;
  add_device_facts(symbols, limits);
  const std::string fix = "the harness must set every axis and scalar input of the definition";
  for (const std::string& axis : plan.iface.axes) {
    if (!symbols.contains(axis)) return fail("workload symbols", "no value for axis '" + axis + "'", fix);
  }
  for (const auto& [name, type] : plan.iface.scalar_inputs) {
    if (!symbols.contains(name)) return fail("workload symbols", "no value for scalar input '" + name + "'", fix);
  }

  // 2. Lets, in order; each may read the ones before it.
  resolved_plan out;
  for (std::size_t i = 0; i < plan.lets.size(); ++i) {
    const plan_let& let = plan.lets[i];
    auto value = evaluate_at(let.value, indexed("let", i) + "." + let.name, symbols);
    if (!value) return std::unexpected(value.error());
    symbols.set(let.name, *value);
    out.lets.emplace_back(let.name, *value);
  }

  // 3. Workspaces.
  for (std::size_t w = 0; w < plan.workspaces.size(); ++w) {
    auto workspace = resolve_workspace(plan.workspaces[w], indexed("workspaces", w), symbols, limits);
    if (!workspace) return std::unexpected(workspace.error());
    out.workspaces.push_back(std::move(*workspace));
  }

  // 4. Steps whose `when` holds.
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const plan_step& step = plan.steps[i];
    if (step.when) {
      auto when = evaluate_at(*step.when, indexed("steps", i) + ".when", symbols);
      if (!when) return std::unexpected(when.error());
      if (!when->truthy()) continue;
    }
    if (step.kind == step_kind::memset) {
      resolved_step memset;
      memset.kind = step_kind::memset;
      memset.plan_step = i;
      memset.target_kind = step.target_kind;
      memset.target_index = step.target_index;
      memset.value = step.value;
      out.steps.push_back(std::move(memset));
      continue;
    }
    auto launch = resolve_launch(step, i, symbols, limits);
    if (!launch) return std::unexpected(launch.error());
    out.steps.push_back(std::move(*launch));
  }
  if (out.steps.empty()) {
    return fail("steps", "every step is skipped by its 'when' on this workload, so nothing would write the outputs",
                "make sure at least one launch runs for every workload");
  }
  return out;
}

std::vector<kernel_smem> max_dyn_smem_per_kernel(const resolved_plan& plan) {
  std::vector<kernel_smem> out;
  for (const resolved_step& step : plan.steps) {
    if (step.kind != step_kind::launch) continue;
    const auto found =
        std::find_if(out.begin(), out.end(), [&](const kernel_smem& k) { return k.kernel == step.kernel; });
    if (found == out.end()) {
      out.push_back({step.kernel, step.dyn_smem});
    } else {
      found->max_dyn_smem = std::max(found->max_dyn_smem, step.dyn_smem);
    }
  }
  return out;
}

std::string describe_resolved_plan(const resolved_plan& plan, const launch_plan& source) {
  std::string text;
  for (const auto& [name, value] : plan.lets) text += "let " + name + " = " + value.to_string() + "\n";
  for (const resolved_workspace& workspace : plan.workspaces) {
    text += "workspace " + workspace.name + ": " + std::to_string(workspace.bytes) + " bytes, init " +
            (workspace.init ? byte_text(*workspace.init) : std::string("none")) + "\n";
  }
  for (const resolved_step& step : plan.steps) {
    text += "steps[" + std::to_string(step.plan_step) + "] ";
    if (step.kind == step_kind::memset) {
      resolved_arg target{step.target_kind, step.target_index, scalar_type::i32, {}, {}};
      text += "memset " + arg_text(target, source) + " to " + byte_text(step.value) + "\n";
      continue;
    }
    text += step.kernel + ": grid " + times(step.grid) + ", block " + times(step.block);
    if (step.cluster != std::array<std::uint32_t, 3>{1, 1, 1}) text += ", cluster " + times(step.cluster);
    text += ", dyn_smem " + std::to_string(step.dyn_smem);
    if (step.cooperative) text += ", cooperative";
    std::vector<std::string> args;
    for (const resolved_arg& arg : step.args) args.push_back(arg_text(arg, source));
    text += ", args (" + join(args) + ")\n";
  }
  return text;
}

}  // namespace ksearch::eval
