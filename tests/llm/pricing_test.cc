#include "ksearch/llm/pricing.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace ksearch::llm {
namespace {

using test_support::temp_dir;

[[nodiscard]] token_usage used(long prompt, long completion, std::optional<long> cached = std::nullopt) {
  return {prompt, completion, std::nullopt, cached};
}

TEST(Pricing, BuiltinTableKnowsCommonModels) {
  const pricing_table table = pricing_table::builtin();
  for (const char* model : {"gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4o", "o3", "o4-mini", "gemini-2.5-pro",
                            "gemini-3-pro-preview", "claude-sonnet-4-5"}) {
    EXPECT_TRUE(table.find(model).has_value()) << model;
  }
  const auto gpt5 = table.find("gpt-5");
  ASSERT_TRUE(gpt5.has_value());
  EXPECT_DOUBLE_EQ(gpt5->input_usd_per_mtok, 1.25);
  EXPECT_DOUBLE_EQ(gpt5->output_usd_per_mtok, 10.0);
}

TEST(Pricing, LookupIgnoresProviderPrefixCaseAndSnapshotDate) {
  const pricing_table table = pricing_table::builtin();
  EXPECT_EQ(table.find("openai/gpt-5"), table.find("gpt-5"));
  EXPECT_EQ(table.find("models/gemini-2.5-pro"), table.find("gemini-2.5-pro"));
  EXPECT_EQ(table.find("GPT-4o-2024-08-06"), table.find("gpt-4o"));
  EXPECT_EQ(table.find("claude-sonnet-4-20250514"), table.find("claude-sonnet-4"));
  // A different model that merely starts like a known one is not priced as that one.
  EXPECT_FALSE(table.find("gpt-5-pro").has_value());
  EXPECT_FALSE(table.find("o3-deep-research").has_value());
}

TEST(Pricing, UnknownModelOrMissingUsageMeansUnknownCost) {
  const pricing_table table = pricing_table::builtin();
  EXPECT_FALSE(table.cost_usd("my-local-llama", used(1000, 1000)).has_value());
  EXPECT_FALSE(table.cost_usd("gpt-5", token_usage{}).has_value());
  EXPECT_FALSE(table.cost_usd("gpt-5", token_usage{1000, std::nullopt, std::nullopt, std::nullopt}).has_value());
  EXPECT_FALSE(pricing_table{}.cost_usd("gpt-5", used(1, 1)).has_value());
}

TEST(Pricing, CostCountsCachedPromptTokensAtTheirPrice) {
  pricing_table table;
  table.set("m", {2.0, 8.0, 0.5});
  EXPECT_DOUBLE_EQ(*table.cost_usd("m", used(1'000'000, 500'000)), 2.0 + 4.0);
  EXPECT_DOUBLE_EQ(*table.cost_usd("m", used(1'000'000, 0, 400'000)), 0.6 * 2.0 + 0.4 * 0.5);
  table.set("no-cache-price", {2.0, 8.0, std::nullopt});
  EXPECT_DOUBLE_EQ(*table.cost_usd("no-cache-price", used(1'000'000, 0, 400'000)), 2.0);
}

TEST(Pricing, FileAddsAndOverridesEntries) {
  temp_dir dir;
  const auto file = dir.write("prices.json", R"({"comment":"ours","models":{
      "gpt-5":{"input":1.0,"output":2.0},
      "local/qwen":{"input":0,"output":0,"cached_input":0}}})");
  pricing_table table = pricing_table::builtin();
  auto merged = table.merge_file(file);
  ASSERT_TRUE(merged.has_value()) << merged.error().to_string();
  EXPECT_DOUBLE_EQ(table.find("gpt-5")->output_usd_per_mtok, 2.0);
  EXPECT_DOUBLE_EQ(*table.cost_usd("local/qwen", used(5000, 5000)), 0.0);  // known to be free
  EXPECT_TRUE(table.find("gpt-4o").has_value());                            // built-ins stay
}

TEST(Pricing, BadFileNamesThePathAndChangesNothing) {
  temp_dir dir;
  const struct {
    const char* text;
    const char* problem;
  } cases[] = {
      {R"({"models":{"a":{"input":1,"output":1},"b":{"input":-1,"output":1}}})",
       R"(models["b"].input must be a non-negative number (USD per million tokens), got -1)"},
      {R"({"models":{"a":{"input":1}}})", R"(models["a"].output missing)"},
      {R"({"models":{"a":{"input":1,"output":1,"currency":"EUR"}}})",
       R"(models["a"]: unknown field 'currency' (input, output, cached_input))"},
      {R"({"gpt-5":{"input":1,"output":1}})", "unknown field 'gpt-5'"},
      {R"([1,2])", "the document is not an object"},
  };
  for (const auto& c : cases) {
    const auto file = dir.write("bad.json", c.text);
    pricing_table table;
    auto merged = table.merge_file(file);
    ASSERT_FALSE(merged.has_value()) << c.text;
    EXPECT_EQ(merged.error().subject, file.string());
    EXPECT_TRUE(merged.error().problem.starts_with(c.problem)) << merged.error().problem;
    EXPECT_TRUE(table.entries().empty()) << c.text;
  }
  pricing_table table;
  auto not_json = table.merge_json("{oops", "inline");
  ASSERT_FALSE(not_json.has_value());
  EXPECT_TRUE(not_json.error().problem.starts_with("not valid JSON")) << not_json.error().problem;
  EXPECT_FALSE(table.merge_file(dir.path() / "absent.json").has_value());
}

}  // namespace
}  // namespace ksearch::llm
