#include "ksearch/tasks/definition.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <set>

#include "ksearch/common/json.h"

namespace ksearch::tasks {


namespace {

constexpr std::array<std::string_view, 12> known_dtypes = {
    "float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2", "float4_e2m1",
    "int64",   "int32",   "int16",    "int8",          "uint8",       "bool"};

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

result<std::string> required_string(const ordered_json& doc, const char* field, const std::string& where) {
  if (!doc.contains(field) || !doc[field].is_string() || doc[field].get<std::string>().empty()) {
    return fail(where + ": " + field, "missing or not a non-empty string");
  }
  return doc[field].get<std::string>();
}

result<std::vector<tensor_spec>> parse_tensors(const ordered_json& group, const std::string& path, const definition& def) {
  if (!group.is_object()) return fail(path, "must be an object of name -> {shape, dtype}");
  std::vector<tensor_spec> tensors;
  for (const auto& [name, spec] : group.items()) {
    const std::string at = path + "." + name;
    if (!spec.is_object()) return fail(at, "must be an object with shape and dtype");
    tensor_spec t{.name = name};
    if (!spec.contains("dtype") || !spec["dtype"].is_string()) return fail(at + ".dtype", "missing or not a string");
    t.dtype = spec["dtype"].get<std::string>();
    if (!is_known_dtype(t.dtype)) return fail(at + ".dtype", "unknown dtype '" + t.dtype + "'");
    if (!spec.contains("shape")) return fail(at + ".shape", "missing (use null for a scalar)");
    if (!spec["shape"].is_null()) {
      if (!spec["shape"].is_array()) return fail(at + ".shape", "must be a list of axis names or null");
      std::vector<std::string> dims;
      for (std::size_t i = 0; i < spec["shape"].size(); ++i) {
        const ordered_json& dim = spec["shape"][i];
        if (!dim.is_string() || def.find_axis(dim.get<std::string>()) == nullptr) {
          std::vector<std::string> axis_names;
          for (const axis& a : def.axes) axis_names.push_back(a.name);
          return fail(at + ".shape[" + std::to_string(i) + "]",
                      "'" + dim.dump() + "' is not an axis (axes: " + join(axis_names) + ")");
        }
        dims.push_back(dim.get<std::string>());
      }
      t.shape = std::move(dims);
    }
    if (auto d = spec.find("description"); d != spec.end() && d->is_string()) t.description = *d;
    tensors.push_back(std::move(t));
  }
  return tensors;
}

}  // namespace

const axis* definition::find_axis(std::string_view axis_name) const {
  auto it = std::find_if(axes.begin(), axes.end(), [&](const axis& a) { return a.name == axis_name; });
  return it == axes.end() ? nullptr : &*it;
}

bool is_known_dtype(std::string_view dtype) {
  return std::find(known_dtypes.begin(), known_dtypes.end(), dtype) != known_dtypes.end();
}

result<definition> parse_definition(const ordered_json& doc, const std::string& where) {
  if (!doc.is_object()) return fail(where, "a Definition must be a JSON object");
  definition def;
  auto name = required_string(doc, "name", where);
  if (!name) return std::unexpected(name.error());
  def.name = *name;
  auto op_type = required_string(doc, "op_type", where);
  if (!op_type) return std::unexpected(op_type.error());
  def.op_type = *op_type;
  if (auto d = doc.find("description"); d != doc.end() && d->is_string()) def.description = *d;
  if (auto t = doc.find("tags"); t != doc.end() && t->is_array()) {
    for (const ordered_json& tag : *t) {
      if (tag.is_string()) def.tags.push_back(tag.get<std::string>());
    }
  }
  if (auto c = doc.find("constraints"); c != doc.end() && c->is_array()) {
    for (const ordered_json& constraint : *c) {
      if (constraint.is_string()) def.constraints.push_back(constraint.get<std::string>());
    }
  }

  if (!doc.contains("axes") || !doc["axes"].is_object()) return fail(where + ": axes", "missing or not an object");
  for (const auto& [axis_name, spec] : doc["axes"].items()) {
    const std::string at = where + ": axes." + axis_name;
    const std::string type = spec.is_object() ? spec.value("type", "") : "";
    axis a{.name = axis_name};
    if (type == "const") {
      if (!spec.contains("value") || !spec["value"].is_number_integer() || spec["value"].get<std::int64_t>() < 0) {
        return fail(at + ".value", "a const axis needs an integer value >= 0");
      }
      a.is_const = true;
      a.value = spec["value"].get<std::int64_t>();
    } else if (type != "var") {
      return fail(at + ".type", "must be \"var\" or \"const\"");
    }
    if (auto d = spec.find("description"); d != spec.end() && d->is_string()) a.description = *d;
    def.axes.push_back(std::move(a));
  }

  for (const char* group : {"inputs", "outputs"}) {
    if (!doc.contains(group)) return fail(where + ": " + group, "missing");
    auto tensors = parse_tensors(doc[group], where + ": " + group, def);
    if (!tensors) return std::unexpected(tensors.error());
    (std::string_view(group) == "inputs" ? def.inputs : def.outputs) = std::move(*tensors);
  }
  std::set<std::string> input_names;
  for (const tensor_spec& t : def.inputs) input_names.insert(t.name);
  for (const tensor_spec& t : def.outputs) {
    if (input_names.contains(t.name)) return fail(where + ": outputs." + t.name, "also names an input");
    if (t.is_scalar()) return fail(where + ": outputs." + t.name + ".shape", "outputs must be tensors, not scalars");
  }
  if (def.outputs.empty()) return fail(where + ": outputs", "a definition needs at least one output");
  // Every var axis must be recoverable from an input's shape, as FlashInfer requires.
  for (const axis& a : def.axes) {
    if (a.is_const) continue;
    const bool bound = std::any_of(def.inputs.begin(), def.inputs.end(), [&](const tensor_spec& t) {
      return t.shape && std::find(t.shape->begin(), t.shape->end(), a.name) != t.shape->end();
    });
    if (!bound) return fail(where + ": axes." + a.name, "var axis used by no input shape, so no workload could bind it");
  }
  auto ref = doc.find("reference");
  if (ref != doc.end() && ref->is_string()) def.reference = ref->get<std::string>();
  return def;
}

result<definition> load_definition(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return fail(file.string(), "cannot open");
  ordered_json doc;
  try {
    doc = ordered_json::parse(in);
  } catch (const ordered_json::parse_error& e) {
    return fail(file.string(), std::string("not valid JSON: ") + e.what());
  }
  return parse_definition(doc, file.string());
}

ordered_json to_json(const definition& def) {
  ordered_json axes = ordered_json::object();
  for (const axis& a : def.axes) {
    ordered_json spec = {{"type", a.is_const ? "const" : "var"}};
    if (a.is_const) spec["value"] = a.value;
    if (!a.description.empty()) spec["description"] = a.description;
    axes[a.name] = spec;
  }
  auto tensors = [](const std::vector<tensor_spec>& list) {
    ordered_json out = ordered_json::object();
    for (const tensor_spec& t : list) {
      ordered_json spec = {{"shape", t.shape ? ordered_json(*t.shape) : ordered_json(nullptr)}, {"dtype", t.dtype}};
      if (!t.description.empty()) spec["description"] = t.description;
      out[t.name] = spec;
    }
    return out;
  };
  ordered_json doc = {{"name", def.name}, {"description", def.description}, {"op_type", def.op_type}, {"tags", def.tags},
              {"axes", axes}};
  if (!def.constraints.empty()) doc["constraints"] = def.constraints;
  doc["inputs"] = tensors(def.inputs);
  doc["outputs"] = tensors(def.outputs);
  doc["reference"] = def.reference;
  return doc;
}

result<workload> parse_workload(const ordered_json& record, const definition& def, const std::string& where) {
  if (!record.is_object()) return fail(where, "a workload record must be a JSON object");
  if (record.contains("definition") && record["definition"] != def.name) {
    return fail(where + ": definition", "names '" + record["definition"].dump() + "', expected '" + def.name + "'");
  }
  const ordered_json& body = record.contains("workload") ? record["workload"] : record;
  if (!body.is_object()) return fail(where + ": workload", "must be an object");
  workload w;
  auto uuid = required_string(body, "uuid", where + ": workload");
  if (!uuid) return std::unexpected(uuid.error());
  w.uuid = *uuid;

  const ordered_json axes = body.value("axes", ordered_json::object());
  if (!axes.is_object()) return fail(where + ": workload.axes", "must be an object");
  for (const auto& [name, value] : axes.items()) {
    const axis* a = def.find_axis(name);
    if (a == nullptr) return fail(where + ": workload.axes." + name, "not an axis of " + def.name);
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
      return fail(where + ": workload.axes." + name, "must be an integer >= 0");
    }
    if (a->is_const && value.get<std::int64_t>() != a->value) {
      return fail(where + ": workload.axes." + name, "const axis is " + std::to_string(a->value) + ", workload says " + value.dump());
    }
    w.axes[name] = value.get<std::int64_t>();
  }
  for (const axis& a : def.axes) {
    if (a.is_const) {
      w.axes[a.name] = a.value;
    } else if (!w.axes.contains(a.name)) {
      return fail(where + ": workload.axes." + a.name, "var axis not bound");
    }
  }

  const ordered_json inputs = body.value("inputs", ordered_json::object());
  if (!inputs.is_object()) return fail(where + ": workload.inputs", "must be an object");
  for (const auto& [name, spec] : inputs.items()) {
    const std::string at = where + ": workload.inputs." + name;
    auto t = std::find_if(def.inputs.begin(), def.inputs.end(), [&](const tensor_spec& s) { return s.name == name; });
    if (t == def.inputs.end()) return fail(at, "not an input of " + def.name);
    const std::string type = spec.is_object() ? spec.value("type", "") : "";
    input_source source;
    if (type == "random" || type == "constant") {
      if (t->is_scalar()) return fail(at, "a scalar input takes {\"type\": \"scalar\", \"value\": ...}");
      auto distribution = parse_value_distribution(spec, at);
      if (!distribution) return std::unexpected(distribution.error());
      source.type = input_source::kind::random;
      source.distribution = *distribution;
    } else if (type == "scalar") {
      if (!t->is_scalar()) return fail(at, "a scalar value for a tensor input");
      const ordered_json& v = spec.contains("value") ? spec["value"] : ordered_json();
      if (!v.is_number() && !v.is_boolean()) return fail(at + ".value", "must be a number or a boolean");
      source.type = input_source::kind::scalar;
      source.scalar_value = v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : v.get<double>();
    } else if (type == "safetensors") {
      source.type = input_source::kind::safetensors;
      source.path = spec.value("path", "");
      source.tensor_key = spec.value("tensor_key", "");
      if (source.path.empty() || source.tensor_key.empty()) return fail(at, "safetensors input needs path and tensor_key");
      if (const auto generated = spec.find("generated"); generated != spec.end()) {
        if (!generated->is_boolean()) return fail(at + ".generated", "must be true or false");
        source.generated = generated->get<bool>();
      }
    } else {
      return fail(at + ".type", "must be random, constant, scalar or safetensors");
    }
    w.inputs[name] = std::move(source);
  }
  for (const tensor_spec& t : def.inputs) {
    if (!w.inputs.contains(t.name)) {
      if (t.is_scalar()) return fail(where + ": workload.inputs." + t.name, "scalar input has no value");
      w.inputs[t.name] = input_source{};
    }
  }
  return w;
}

result<std::vector<workload>> load_workloads(const std::filesystem::path& file, const definition& def) {
  std::ifstream in(file);
  if (!in) return fail(file.string(), "cannot open");
  std::vector<workload> out;
  std::string line;
  for (std::size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = file.string() + ":" + std::to_string(line_no);
    ordered_json record = ordered_json::parse(line, nullptr, false);
    if (record.is_discarded()) return fail(where, "not valid JSON");
    if (record.contains("definition") && record["definition"] != def.name) continue;
    auto w = parse_workload(record, def, where);
    if (!w) return std::unexpected(w.error());
    out.push_back(std::move(*w));
  }
  return out;
}

ordered_json to_json(const workload& w) {
  ordered_json axes = ordered_json::object();
  for (const auto& [name, value] : w.axes) axes[name] = value;
  ordered_json inputs = ordered_json::object();
  for (const auto& [name, source] : w.inputs) {
    switch (source.type) {
      case input_source::kind::random: inputs[name] = to_json(source.distribution); break;
      case input_source::kind::scalar: inputs[name] = {{"type", "scalar"}, {"value", source.scalar_value}}; break;
      case input_source::kind::safetensors:
        inputs[name] = {{"type", "safetensors"}, {"path", source.path}, {"tensor_key", source.tensor_key}};
        if (source.generated) inputs[name]["generated"] = true;
        break;
    }
  }
  return {{"uuid", w.uuid}, {"axes", axes}, {"inputs", inputs}};
}

std::vector<std::int64_t> tensor_shape(const tensor_spec& spec, const workload& w) {
  std::vector<std::int64_t> shape;
  if (spec.shape) {
    for (const std::string& dim : *spec.shape) shape.push_back(w.axes.at(dim));
  }
  return shape;
}

std::int64_t element_count(const tensor_spec& spec, const workload& w) {
  std::int64_t count = 1;
  for (std::int64_t dim : tensor_shape(spec, w)) count *= dim;
  return count;
}

}  // namespace ksearch::tasks
