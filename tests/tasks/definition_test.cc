#include "ksearch/tasks/definition.h"

#include <gtest/gtest.h>

#include "ksearch/common/json.h"

namespace ksearch::tasks {
namespace {

const std::filesystem::path mini = std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "flashinfer-mini";
const std::filesystem::path def_file = mini / "definitions/elementwise/scale_add_d256.json";
const std::filesystem::path workload_file = mini / "workloads/elementwise/scale_add_d256.jsonl";

ordered_json small_definition() {
  return ordered_json::parse(R"({"name":"d","op_type":"t",
    "axes":{"n":{"type":"var"},"k":{"type":"const","value":4}},
    "inputs":{"x":{"shape":["n","k"],"dtype":"bfloat16"},"s":{"shape":null,"dtype":"float32"}},
    "outputs":{"y":{"shape":["n"],"dtype":"float32"}},"reference":"def run(x, s): ..."})");
}

std::string definition_error(const std::function<void(ordered_json&)>& edit) {
  ordered_json doc = small_definition();
  edit(doc);
  auto def = parse_definition(doc, "d.json");
  return def ? "parsed" : def.error().to_string();
}

TEST(Definition, LoadsTheTestDefinitionInCallOrder) {
  auto def = load_definition(def_file);
  ASSERT_TRUE(def.has_value()) << def.error().to_string();
  EXPECT_EQ(def->name, "scale_add_d256");
  ASSERT_EQ(def->inputs.size(), 3u);
  EXPECT_EQ(def->inputs[0].name, "x");
  EXPECT_EQ(def->inputs[2].name, "alpha");
  EXPECT_TRUE(def->inputs[2].is_scalar());
  EXPECT_EQ(def->find_axis("dim")->value, 256);
  EXPECT_FALSE(def->find_axis("rows")->is_const);
  EXPECT_EQ(def->find_axis("nope"), nullptr);
}

TEST(Definition, RoundTripsThroughJson) {
  auto def = parse_definition(small_definition(), "d.json");
  ASSERT_TRUE(def.has_value());
  auto again = parse_definition(to_json(*def), "again");
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ(to_json(*again).dump(), to_json(*def).dump());
}

TEST(Definition, ErrorsNameTheJsonPath) {
  EXPECT_EQ(definition_error([](ordered_json& d) { d["inputs"]["x"]["shape"][1] = "m"; }),
            "d.json: inputs.x.shape[1]: '\"m\"' is not an axis (axes: n, k)");
  EXPECT_EQ(definition_error([](ordered_json& d) { d["inputs"]["x"]["dtype"] = "float128"; }),
            "d.json: inputs.x.dtype: unknown dtype 'float128'");
  EXPECT_EQ(definition_error([](ordered_json& d) { d["outputs"]["x"] = {{"shape", {"n"}}, {"dtype", "float32"}}; }),
            "d.json: outputs.x: also names an input");
  EXPECT_EQ(definition_error([](ordered_json& d) { d["axes"]["m"] = {{"type", "var"}}; }),
            "d.json: axes.m: var axis used by no input shape, so no workload could bind it");
  EXPECT_EQ(definition_error([](ordered_json& d) { d["axes"]["k"] = {{"type", "const"}}; }),
            "d.json: axes.k.value: a const axis needs an integer value >= 0");
  EXPECT_EQ(definition_error([](ordered_json& d) { d.erase("name"); }), "d.json: name: missing or not a non-empty string");
  EXPECT_EQ(definition_error([](ordered_json& d) { d["outputs"] = ordered_json::object(); }),
            "d.json: outputs: a definition needs at least one output");
}

TEST(Definition, WorkloadsBindAxesAndInputs) {
  auto def = load_definition(def_file);
  ASSERT_TRUE(def.has_value());
  auto workloads = load_workloads(workload_file, *def);
  ASSERT_TRUE(workloads.has_value()) << workloads.error().to_string();
  ASSERT_EQ(workloads->size(), 2u);
  const workload& w = (*workloads)[1];
  EXPECT_EQ(w.uuid, "test-0002");
  EXPECT_EQ(w.axes.at("rows"), 4096);
  EXPECT_EQ(w.axes.at("dim"), 256);  // const axes are filled in
  EXPECT_EQ(w.inputs.at("alpha").type, input_source::kind::scalar);
  EXPECT_DOUBLE_EQ(w.inputs.at("alpha").scalar_value, -2.0);
  EXPECT_EQ(w.inputs.at("x").type, input_source::kind::random);
  EXPECT_EQ(tensor_shape(def->inputs[0], w), (std::vector<std::int64_t>{4096, 256}));
  EXPECT_EQ(element_count(def->inputs[0], w), 4096 * 256);
  EXPECT_EQ(element_count(def->inputs[2], w), 1);
}

TEST(Definition, BadWorkloadsAreNamedByField) {
  auto def = parse_definition(small_definition(), "d.json");
  ASSERT_TRUE(def.has_value());
  auto error_of = [&](const char* text) {
    auto w = parse_workload(ordered_json::parse(text), *def, "w.jsonl:3");
    return w ? std::string("parsed") : w.error().to_string();
  };
  EXPECT_EQ(error_of(R"({"workload":{"uuid":"u","axes":{},"inputs":{"s":{"type":"scalar","value":1}}}})"),
            "w.jsonl:3: workload.axes.n: var axis not bound");
  EXPECT_EQ(error_of(R"({"workload":{"uuid":"u","axes":{"n":2,"q":1},"inputs":{}}})"),
            "w.jsonl:3: workload.axes.q: not an axis of d");
  EXPECT_EQ(error_of(R"({"workload":{"uuid":"u","axes":{"n":2,"k":5},"inputs":{}}})"),
            "w.jsonl:3: workload.axes.k: const axis is 4, workload says 5");
  EXPECT_EQ(error_of(R"({"workload":{"uuid":"u","axes":{"n":2},"inputs":{"x":{"type":"scalar","value":1}}}})"),
            "w.jsonl:3: workload.inputs.x: a scalar value for a tensor input");
  EXPECT_EQ(error_of(R"({"workload":{"uuid":"u","axes":{"n":2},"inputs":{}}})"),
            "w.jsonl:3: workload.inputs.s: scalar input has no value");
  EXPECT_EQ(error_of(R"({"definition":"other","workload":{"uuid":"u","axes":{"n":2},"inputs":{}}})"),
            "w.jsonl:3: definition: names '\"other\"', expected 'd'");
  EXPECT_EQ(error_of(R"({"workload":{"uuid":"u","axes":{"n":2},"inputs":{"s":{"type":"scalar","value":true}}}})"),
            "parsed");
}

TEST(Definition, AGeneratedBlobInputIsMarkedAndKeptOnTheWayOut) {
  auto def = parse_definition(small_definition(), "d.json");
  ASSERT_TRUE(def.has_value());
  const ordered_json record = ordered_json::parse(R"({"workload":{"uuid":"u","axes":{"n":2},"inputs":{
      "s":{"type":"scalar","value":1},
      "x":{"type":"safetensors","path":"blob/x.safetensors","tensor_key":"x","generated":true}}}})");
  auto w = parse_workload(record, *def, "w.jsonl:1");
  ASSERT_TRUE(w.has_value()) << w.error().to_string();
  EXPECT_TRUE(w->inputs.at("x").generated);
  EXPECT_EQ(to_json(*w)["inputs"]["x"]["generated"], true);

  ordered_json bad = record;
  bad["workload"]["inputs"]["x"]["generated"] = "yes";
  auto refused = parse_workload(bad, *def, "w.jsonl:1");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().subject, "w.jsonl:1: workload.inputs.x.generated");
}

}  // namespace
}  // namespace ksearch::tasks
