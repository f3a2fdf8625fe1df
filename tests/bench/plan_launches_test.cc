#include "ksearch/bench/plan_launches.h"

#include <gtest/gtest.h>

#include "ksearch/common/json.h"
#include "ksearch/eval/plan/definition_plan.h"
#include "support/hopper_limits.h"

namespace ksearch::bench {
namespace {

// A definition with an axis, a float scalar and an int scalar, parsed as the dataset loader would.
tasks::definition small_definition() {
  const auto doc = ordered_json::parse(R"({
    "name": "scaled", "op_type": "elementwise",
    "axes": {"n": {"type": "var"}, "d": {"type": "const", "value": 64}},
    "inputs": {"x": {"shape": ["n", "d"], "dtype": "float32"}, "alpha": {"shape": null, "dtype": "float32"},
               "steps": {"shape": null, "dtype": "int32"}},
    "outputs": {"y": {"shape": ["n", "d"], "dtype": "float32"}},
    "reference": "def run(x, alpha, steps):\n    return x * alpha\n"})");
  auto def = tasks::parse_definition(doc, "test");
  if (!def) throw std::runtime_error(def.error().to_string());
  return *def;
}

tasks::workload workload(std::int64_t n, double alpha, double steps) {
  tasks::workload w;
  w.uuid = "w";
  w.axes = {{"n", n}, {"d", 64}};
  w.inputs["x"] = {};
  w.inputs["alpha"] = {.type = tasks::input_source::kind::scalar, .scalar_value = alpha, .path = {}, .tensor_key = {}};
  w.inputs["steps"] = {.type = tasks::input_source::kind::scalar, .scalar_value = steps, .path = {}, .tensor_key = {}};
  return w;
}

TEST(PlanLaunches, SymbolsAreAxesAndScalarsTyped) {
  auto symbols = eval::plan_symbols(small_definition(), workload(1000, 0.5, 3));
  ASSERT_TRUE(symbols.has_value()) << symbols.error().to_string();
  EXPECT_EQ(symbols->lookup("n"), eval::plan_value::of_int(1000));
  EXPECT_EQ(symbols->lookup("d"), eval::plan_value::of_int(64));
  EXPECT_EQ(symbols->lookup("alpha"), eval::plan_value::of_float(0.5));
  EXPECT_EQ(symbols->lookup("steps"), eval::plan_value::of_int(3));
  EXPECT_FALSE(symbols->contains("x"));  // tensors are not values
}

TEST(PlanLaunches, AScalarWithoutAValueIsNamed) {
  tasks::workload w = workload(1, 1, 1);
  w.inputs.erase("steps");
  auto symbols = eval::plan_symbols(small_definition(), w);
  ASSERT_FALSE(symbols.has_value());
  EXPECT_EQ(symbols.error().subject, "workload w: inputs.steps");
}

TEST(PlanLaunches, OnlyTheStepsThatRunAndOnlyLaunches) {
  const std::string plan = R"json({
    "let": [{"big": "n * d > 100000"}],
    "workspaces": [{"name": "tmp", "bytes": "n * 4", "init": "none"}],
    "steps": [
      {"memset": "tmp", "value": 0},
      {"kernel": "first", "grid": ["ceil_div(n * d, 256)"], "block": [256], "args": ["x", "y", "alpha"]},
      {"kernel": "second", "when": "big", "grid": [1], "block": [32], "args": ["y", {"i32": "steps"}]},
      {"kernel": "first", "grid": [1], "block": [32], "args": ["x", "y", "alpha"]}
    ]})json";
  auto small = launched_kernels(small_definition(), plan, workload(10, 1, 1), test_support::hopper_limits());
  ASSERT_TRUE(small.has_value()) << small.error().to_string();
  EXPECT_EQ(*small, (std::vector<std::string>{"first", "first"}));
  auto large = launched_kernels(small_definition(), plan, workload(10000, 1, 1), test_support::hopper_limits());
  ASSERT_TRUE(large.has_value()) << large.error().to_string();
  EXPECT_EQ(*large, (std::vector<std::string>{"first", "second", "first"}));
}

TEST(PlanLaunches, PlanErrorsComeBackAsThePlanSaysThem) {
  auto unknown = launched_kernels(small_definition(),
                                  R"({"steps": [{"kernel": "k", "grid": ["m"], "block": [32], "args": ["x", "y"]}]})",
                                  workload(10, 1, 1), test_support::hopper_limits());
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().to_string().find("steps[0].grid[0]"), std::string::npos) << unknown.error().to_string();
  auto too_big = launched_kernels(small_definition(),
                                  R"({"steps": [{"kernel": "k", "grid": [1], "block": [2048], "args": ["x", "y"]}]})",
                                  workload(10, 1, 1), test_support::hopper_limits());
  ASSERT_FALSE(too_big.has_value());
  EXPECT_NE(too_big.error().to_string().find("2048"), std::string::npos) << too_big.error().to_string();
}

}  // namespace
}  // namespace ksearch::bench
