// ksearch/tasks/definition.h — FlashInfer Trace Definitions and Workloads as typed values.
//
// A Definition names an operation: its axes (const with a value, or var bound per workload), its
// inputs and outputs in call order (tensors with shapes written as axis names, or scalars with
// shape null) and a reference implementation. A Workload binds the var axes and says how each
// input is produced (random, a scalar value, or a safetensors blob; a random input may name its
// distribution, tasks/value_distribution.h). Field names and semantics
// follow FlashInfer-Bench (docs/task-formats.md, "FlashInfer Trace: definition" and "FlashInfer
// Trace: workload"); parse errors name the file and JSON path.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/tasks/value_distribution.h"

namespace ksearch::tasks {

struct axis {
  std::string name;
  bool is_const = false;
  std::int64_t value = 0;  // for const axes
  std::string description;
};

struct tensor_spec {
  std::string name;
  std::optional<std::vector<std::string>> shape;  // axis names; nullopt for a scalar
  std::string dtype;                              // FlashInfer dtype name, e.g. "bfloat16"
  std::string description;
  [[nodiscard]] bool is_scalar() const { return !shape.has_value(); }
};

struct definition {
  std::string name;
  std::string op_type;
  std::string description;
  std::vector<std::string> tags;
  std::vector<axis> axes;
  std::vector<tensor_spec> inputs;   // call order
  std::vector<tensor_spec> outputs;  // destination-passing order
  std::vector<std::string> constraints;
  std::string reference;

  [[nodiscard]] const axis* find_axis(std::string_view axis_name) const;
};

/// The dtype names FlashInfer Trace uses.
[[nodiscard]] bool is_known_dtype(std::string_view dtype);

/// Parses one Definition object; `where` prefixes error subjects (a file name).
[[nodiscard]] result<definition> parse_definition(const ordered_json& doc, const std::string& where);
[[nodiscard]] result<definition> load_definition(const std::filesystem::path& file);
/// The definition back as FlashInfer Trace JSON (field order as written by FlashInfer).
[[nodiscard]] ordered_json to_json(const definition& def);

struct input_source {
  enum class kind { random, scalar, safetensors } type = kind::random;
  value_distribution distribution;  // kind::random: how it is drawn ("constant" inputs are random ones too)
  double scalar_value = 0;  // kind::scalar (booleans and integers are exact in a double up to 2^53)
  std::string path;         // kind::safetensors, relative to the dataset root
  std::string tensor_key;
  bool generated = false;   // kind::safetensors whose blob is not shipped: ksearch generates the tensor
                            // deterministically instead (tasks/flashinfer/README.md)
};

struct workload {
  std::string uuid;
  std::map<std::string, std::int64_t> axes;     // every axis, const ones included
  std::map<std::string, input_source> inputs;   // every input; unlisted ones are random
};

/// Parses one workload record ({"definition", "workload": {uuid, axes, inputs}}) against `def`:
/// every var axis must be bound (>= 0), no unknown axes or inputs, scalars only for scalar inputs.
[[nodiscard]] result<workload> parse_workload(const ordered_json& record, const definition& def,
                                              const std::string& where);
/// Reads every record of a workloads .jsonl file that names `def` (file:line in errors).
[[nodiscard]] result<std::vector<workload>> load_workloads(const std::filesystem::path& file, const definition& def);
[[nodiscard]] ordered_json to_json(const workload& w);

/// The shape of `spec` under `w` (empty for a scalar).
[[nodiscard]] std::vector<std::int64_t> tensor_shape(const tensor_spec& spec, const workload& w);
/// Product of the shape (1 for a scalar).
[[nodiscard]] std::int64_t element_count(const tensor_spec& spec, const workload& w);

}  // namespace ksearch::tasks
