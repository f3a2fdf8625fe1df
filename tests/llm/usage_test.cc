#include "ksearch/llm/usage.h"

#include <gtest/gtest.h>

#include "ksearch/common/json.h"

namespace ksearch::llm {
namespace {

TEST(Usage, UnknownCountsStayUnknownThroughJson) {
  const token_usage usage{100, 20, std::nullopt, 64};
  const json doc = to_json(usage);
  EXPECT_EQ(doc, json::parse(R"({"prompt_tokens":100,"completion_tokens":20,"reasoning_tokens":null,"cached_prompt_tokens":64})"));
  const token_usage back = token_usage_from_json(doc);
  EXPECT_EQ(back.prompt_tokens, 100);
  EXPECT_EQ(back.completion_tokens, 20);
  EXPECT_FALSE(back.reasoning_tokens.has_value());
  EXPECT_EQ(back.cached_prompt_tokens, 64);
  EXPECT_TRUE(back.reported());

  const token_usage odd = token_usage_from_json(json::parse(R"({"prompt_tokens":-3,"completion_tokens":"7"})"));
  EXPECT_FALSE(odd.prompt_tokens.has_value());
  EXPECT_FALSE(odd.completion_tokens.has_value());
  EXPECT_FALSE(odd.reported());
}

TEST(Usage, LedgerSumsWhatIsKnownAndCountsWhatIsNot) {
  usage_ledger ledger;
  EXPECT_EQ(ledger.total_cost_usd(), 0.0);
  ledger.add_success({100, 50, 30, std::nullopt}, 0.25, 2.0);
  ledger.add_success({10, 5, std::nullopt, 8}, 0.5, 1.0);
  EXPECT_EQ(ledger.total_cost_usd(), 0.75);
  ledger.add_success({}, std::nullopt, 0.5);
  ledger.add_failure(4.0);

  const auto& t = ledger.current();
  EXPECT_EQ(t.calls, 4);
  EXPECT_EQ(t.failed_calls, 1);
  EXPECT_EQ(t.calls_without_usage, 1);
  EXPECT_EQ(t.calls_without_cost, 1);
  EXPECT_EQ(t.prompt_tokens, 110);
  EXPECT_EQ(t.completion_tokens, 55);
  EXPECT_EQ(t.reasoning_tokens, 30);
  EXPECT_EQ(t.cached_prompt_tokens, 8);
  EXPECT_DOUBLE_EQ(t.known_cost_usd, 0.75);
  EXPECT_DOUBLE_EQ(t.latency_s, 7.5);
  EXPECT_FALSE(ledger.total_cost_usd().has_value());  // one call could not be priced

  const json doc = ledger.to_json();
  EXPECT_TRUE(doc["total_cost_usd"].is_null());
  EXPECT_EQ(doc["known_cost_usd"], 0.75);
  EXPECT_EQ(doc["calls"], 4);
}

}  // namespace
}  // namespace ksearch::llm
