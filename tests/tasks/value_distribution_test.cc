#include "ksearch/tasks/value_distribution.h"

#include <gtest/gtest.h>

#include "ksearch/common/json.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::tasks {
namespace {

using kind = value_distribution::kind;

result<value_distribution> parse(const char* text) { return parse_value_distribution(ordered_json::parse(text), "w.inputs.x"); }

TEST(ValueDistribution, EachFormWithItsParametersAndDefaults) {
  EXPECT_TRUE(parse(R"({"type": "random"})")->is_standard());
  EXPECT_EQ(*parse(R"({"type": "random", "distribution": "normal", "std": 0.5})"), (value_distribution{kind::normal, 0, 0.5}));
  EXPECT_EQ(*parse(R"({"type": "random", "distribution": "cauchy", "scale": 2})"), (value_distribution{kind::cauchy, 0, 2}));
  EXPECT_EQ(*parse(R"({"type": "random", "distribution": "uniform", "low": -0.25, "high": 0.25})"),
            (value_distribution{kind::uniform, -0.25, 0.25}));
  EXPECT_EQ(*parse(R"({"type": "random", "distribution": "randint"})"), (value_distribution{kind::randint, 0, 2}));
  EXPECT_EQ(*parse(R"({"type": "constant", "value": 1})"), (value_distribution{kind::constant, 1, 1}));
  EXPECT_EQ(parse(R"({"type": "random", "distribution": "cauchy", "loc": 1, "scale": 2})")->describe(), "cauchy(loc=1, scale=2)");
  EXPECT_EQ(parse(R"({"type": "constant", "value": 1})")->describe(), "constant(1)");
}

TEST(ValueDistribution, RoundTripsThroughJson) {
  for (const char* text : {R"({"type": "random"})", R"({"type": "random", "distribution": "normal", "mean": 1, "std": 3})",
                           R"({"type": "random", "distribution": "randint", "low": -4, "high": 4})",
                           R"({"type": "constant", "value": -2.5})"}) {
    const value_distribution d = *parse(text);
    auto back = parse_value_distribution(to_json(d), "x");
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, d) << text;
  }
}

TEST(ValueDistribution, BadParametersAreNamed) {
  auto unknown = parse(R"({"type": "random", "distribution": "gamma"})");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().subject, "w.inputs.x.distribution");
  EXPECT_NE(unknown.error().problem.find("gamma"), std::string::npos);
  EXPECT_EQ(parse(R"({"type": "random", "distribution": "normal", "std": "1"})").error().subject, "w.inputs.x.std");
  EXPECT_EQ(parse(R"({"type": "random", "distribution": "normal", "std": 0})").error().subject, "w.inputs.x.std");
  EXPECT_NE(parse(R"({"type": "random", "distribution": "uniform", "low": 1, "high": 1})").error().problem.find("below"),
            std::string::npos);
  EXPECT_EQ(parse(R"({"type": "constant"})").error().subject, "w.inputs.x.value");
  EXPECT_EQ(parse(R"({"type": "random", "distribution": 3})").error().subject, "w.inputs.x.distribution");
}

TEST(ValueDistribution, WorkloadsCarryThemAndRefuseThemForScalars) {
  const ordered_json def_doc = ordered_json::parse(R"({
    "name": "d", "op_type": "t", "axes": {"n": {"type": "var"}},
    "inputs": {"x": {"shape": ["n"], "dtype": "float32"}, "s": {"shape": null, "dtype": "float32"}},
    "outputs": {"y": {"shape": ["n"], "dtype": "float32"}}, "reference": ""})");
  auto def = parse_definition(def_doc, "d.json");
  ASSERT_TRUE(def.has_value()) << def.error().to_string();
  auto w = parse_workload(ordered_json::parse(R"({"workload": {"uuid": "u", "axes": {"n": 4},
    "inputs": {"x": {"type": "random", "distribution": "cauchy", "scale": 2}, "s": {"type": "scalar", "value": 1}}}})"),
                          *def, "w.jsonl:1");
  ASSERT_TRUE(w.has_value()) << w.error().to_string();
  EXPECT_EQ(w->inputs.at("x").distribution, (value_distribution{kind::cauchy, 0, 2}));
  EXPECT_EQ(to_json(*w)["inputs"]["x"]["distribution"], "cauchy");

  auto scalar = parse_workload(ordered_json::parse(R"({"workload": {"uuid": "u", "axes": {"n": 4},
    "inputs": {"s": {"type": "constant", "value": 1}}}})"), *def, "w.jsonl:2");
  ASSERT_FALSE(scalar.has_value());
  EXPECT_EQ(scalar.error().subject, "w.jsonl:2: workload.inputs.s");
  auto bad = parse_workload(ordered_json::parse(R"({"workload": {"uuid": "u", "axes": {"n": 4},
    "inputs": {"x": {"type": "random", "distribution": "nope"}, "s": {"type": "scalar", "value": 1}}}})"), *def, "w.jsonl:3");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().subject, "w.jsonl:3: workload.inputs.x.distribution");
}

}  // namespace
}  // namespace ksearch::tasks
