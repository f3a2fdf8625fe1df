#include "ksearch/tasks/definition_text.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "ksearch/common/json.h"

namespace ksearch::tasks {
namespace {

const std::filesystem::path mini = std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "flashinfer-mini";

TEST(DefinitionText, TestDatasetDefinitionInFlashInferLayout) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(mini / "definitions")) {
    if (entry.path().extension() != ".json") continue;
    auto def = load_definition(entry.path());
    ASSERT_TRUE(def.has_value()) << def.error().to_string();
    const std::string text = definition_text(*def);
    EXPECT_TRUE(text.starts_with("Name: " + def->name + "\nType: " + def->op_type + "\n")) << text;
    EXPECT_NE(text.find("\nReference Implementation:\n" + def->reference), std::string::npos) << text;
    for (const axis& a : def->axes) EXPECT_NE(text.find("\n  " + a.name + ": "), std::string::npos) << a.name;
    for (const tensor_spec& t : def->inputs) EXPECT_NE(text.find("\n  " + t.name + ": "), std::string::npos) << t.name;
    for (const tensor_spec& t : def->outputs) EXPECT_NE(text.find("\n  " + t.name + ": "), std::string::npos) << t.name;
  }
  auto def = load_definition(mini / "definitions/elementwise/scale_add_d256.json");
  ASSERT_TRUE(def.has_value()) << def.error().to_string();
  EXPECT_EQ(definition_text(*def),
            "Name: scale_add_d256\n"
            "Type: elementwise\n"
            "Description: A tiny test definition written for ksearch's tests: out = alpha * x + y over rows of 256.\n"
            "\n"
            "Axes:\n"
            "  rows: variable (Number of rows.)\n"
            "  dim: constant = 256\n"
            "\n"
            "Inputs:\n"
            "  x: [rows, dim] float32\n"
            "  y: [rows, dim] float32\n"
            "  alpha: scalar float32\n"
            "\n"
            "Outputs:\n"
            "  out: [rows, dim] float32\n"
            "\n"
            "Reference Implementation:\n"
            "import torch\n\ndef run(x, y, alpha):\n    return alpha * x + y\n");
}

TEST(DefinitionText, ConstraintsDescriptionsAndMultiLineText) {
  auto def = parse_definition(ordered_json::parse(R"({
    "name": "gather_rows", "op_type": "gather",
    "description": "Gathers rows\nby index.",
    "axes": {"n": {"type": "var", "description": "Rows out."}, "d": {"type": "const", "value": 64},
             "m": {"type": "var"}},
    "constraints": ["n <= m", "idx values\n are < m"],
    "inputs": {"table": {"shape": ["m", "d"], "dtype": "bfloat16", "description": "Source rows."},
               "idx": {"shape": ["n"], "dtype": "int32"},
               "scale": {"shape": null, "dtype": "float32", "description": "Multiplier."}},
    "outputs": {"out": {"shape": ["n", "d"], "dtype": "bfloat16"}},
    "reference": "def run(table, idx, scale):\n    return table[idx] * scale"})"),
                              "g.json");
  ASSERT_TRUE(def.has_value()) << def.error().to_string();
  EXPECT_EQ(definition_text(*def),
            "Name: gather_rows\n"
            "Type: gather\n"
            "Description: Gathers rows by index.\n"
            "\n"
            "Axes:\n"
            "  n: variable (Rows out.)\n"
            "  d: constant = 64\n"
            "  m: variable\n"
            "\n"
            "Inputs:\n"
            "  table: [m, d] bfloat16 (Source rows.)\n"
            "  idx: [n] int32\n"
            "  scale: scalar float32 (Multiplier.)\n"
            "\n"
            "Outputs:\n"
            "  out: [n, d] bfloat16\n"
            "\n"
            "Constraints:\n"
            "  - n <= m\n"
            "  - idx values are < m\n"
            "\n"
            "Reference Implementation:\n"
            "def run(table, idx, scale):\n    return table[idx] * scale\n");
}

}  // namespace
}  // namespace ksearch::tasks
