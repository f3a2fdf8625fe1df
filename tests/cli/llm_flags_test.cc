#include "ksearch/cli/llm_flags.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "ksearch/common/json.h"

#include "support/temp_dir.h"

namespace ksearch::llm {
namespace {

using cli::add_llm_flags;
using cli::llm_flag_set;

using test_support::temp_dir;

/// Parses `args` (without the program name) into fresh options; the CLI11 error, if any.
struct parsed {
  llm_options options;
  std::string error;
};

[[nodiscard]] parsed parse(std::vector<std::string> args, llm_flag_set set = llm_flag_set::run) {
  parsed out;
  CLI::App app("test");
  add_llm_flags(app, out.options, set);
  std::vector<const char*> argv{"ksearch"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    out.error = e.what();
  }
  return out;
}

[[nodiscard]] std::vector<std::string> subjects(const std::vector<error>& problems) {
  std::vector<std::string> out;
  for (const error& e : problems) out.push_back(e.subject);
  return out;
}

TEST(LlmFlags, DefaultsAreDocumentedOnes) {
  const parsed p = parse({});
  ASSERT_EQ(p.error, "");
  const llm_options& o = p.options;
  EXPECT_EQ(resolved_provider(o), "openai");
  EXPECT_EQ(o.api_style, "auto");
  EXPECT_EQ(o.reasoning_effort, "");
  EXPECT_FALSE(o.temperature.has_value());
  EXPECT_FALSE(o.max_output_tokens.has_value());
  EXPECT_EQ(o.request_timeout_s, 600);
  EXPECT_EQ(o.connect_timeout_s, 10);
  EXPECT_EQ(o.stall_timeout_s, 180);
  EXPECT_FALSE(o.stream);
  EXPECT_EQ(o.max_retries, 8);
  EXPECT_EQ(o.max_retry_time_s, 900);
  EXPECT_FALSE(o.max_cost_usd.has_value());
  EXPECT_FALSE(o.max_llm_calls.has_value());
  EXPECT_EQ(o.exchange_timeout_s, 3600);
  EXPECT_EQ(o.exchange_poll_s, 0.5);
  EXPECT_TRUE(validate_llm_options(o, "gpt-5").empty());
}

TEST(LlmFlags, EveryFlagReachesItsField) {
  temp_dir dir;
  const auto prices = dir.write("prices.json", R"({"models":{"mine":{"input":1,"output":2}}})");
  const auto transcript = dir.write("t.jsonl", "");
  const parsed p = parse({"--api-style", "responses", "--reasoning-effort", "high", "--temperature", "0.7",
                          "--max-output-tokens", "32000", "--request-timeout", "120", "--connect-timeout", "5",
                          "--stall-timeout", "30", "--stream", "--max-retries", "3", "--max-retry-time", "60",
                          "--max-cost-usd", "12.5", "--max-llm-calls", "40", "--pricing-file", prices.string(),
                          "--llm-replay", transcript.string(), "--exchange-timeout", "99", "--exchange-poll", "2"});
  ASSERT_EQ(p.error, "");
  const llm_options& o = p.options;
  EXPECT_EQ(o.api_style, "responses");
  EXPECT_EQ(o.reasoning_effort, "high");
  EXPECT_EQ(o.temperature, 0.7);
  EXPECT_EQ(o.max_output_tokens, 32000);
  EXPECT_EQ(o.request_timeout_s, 120);
  EXPECT_EQ(o.connect_timeout_s, 5);
  EXPECT_EQ(o.stall_timeout_s, 30);
  EXPECT_TRUE(o.stream);
  EXPECT_EQ(o.max_retries, 3);
  EXPECT_EQ(o.max_retry_time_s, 60);
  EXPECT_EQ(o.max_cost_usd, 12.5);
  EXPECT_EQ(o.max_llm_calls, 40);
  EXPECT_EQ(o.pricing_file, prices.string());
  EXPECT_EQ(resolved_provider(o), "replay");  // implied by --llm-replay
  EXPECT_EQ(o.exchange_timeout_s, 99);
  EXPECT_EQ(o.exchange_poll_s, 2);
  EXPECT_TRUE(validate_llm_options(o, "mine").empty());

  const json doc = to_json(o);
  EXPECT_EQ(doc["llm_provider"], "replay");
  EXPECT_EQ(doc["max_cost_usd"], 12.5);
  EXPECT_EQ(doc["temperature"], 0.7);
  EXPECT_TRUE(doc["exchange_dir"].is_null());

  const openai_settings s = to_openai_settings(o, "http://x/v1", "k");
  EXPECT_EQ(s.request_timeout, std::chrono::milliseconds(120'000));
  EXPECT_EQ(s.stall_timeout, std::chrono::milliseconds(30'000));
  EXPECT_EQ(s.retry.max_retries, 3);
  EXPECT_EQ(s.retry.max_retry_time, std::chrono::milliseconds(60'000));
  EXPECT_EQ(s.reasoning_effort, "high");
  EXPECT_EQ(s.api_key, "k");
}

TEST(LlmFlags, BadValuesAreRejectedByTheFlagItself) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--api-style", "completions"},
           {"--reasoning-effort", "extreme"},
           {"--temperature", "3"},
           {"--max-output-tokens", "0"},
           {"--request-timeout", "0"},
           {"--max-retries", "-1"},
           {"--llm-provider", "anthropic"},
           {"--pricing-file", "/no/such/prices.json"},
           {"--llm-replay", "/no/such/transcript.jsonl"},
           {"--max-llm-calls", "0"},
       }) {
    EXPECT_NE(parse(args).error, "") << args[0] << " " << args[1];
  }
}

TEST(LlmFlags, ProbeSetRegistersOnlyRequestShapingFlags) {
  EXPECT_EQ(parse({"--api-style", "chat", "--stream", "--stall-timeout", "5"}, llm_flag_set::probe).error, "");
  EXPECT_NE(parse({"--max-llm-calls", "3"}, llm_flag_set::probe).error, "");
  EXPECT_NE(parse({"--llm-provider", "openai"}, llm_flag_set::probe).error, "");
}

TEST(LlmFlags, CombinationsAreCheckedNamingTheFlag) {
  llm_options replay_without_file;
  replay_without_file.provider = "replay";
  EXPECT_EQ(subjects(validate_llm_options(replay_without_file, "m")), (std::vector<std::string>{"--llm-replay"}));

  llm_options exchange_without_dir;
  exchange_without_dir.provider = "exchange";
  EXPECT_EQ(subjects(validate_llm_options(exchange_without_dir, "m")), (std::vector<std::string>{"--exchange-dir"}));

  temp_dir dir;
  llm_options mixed;
  mixed.provider = "exchange";
  mixed.exchange_dir = dir.path().string();
  mixed.replay_file = dir.write("t.jsonl", "").string();
  EXPECT_EQ(subjects(validate_llm_options(mixed, "m")), (std::vector<std::string>{"--llm-replay"}));

  llm_options stray_dir;
  stray_dir.exchange_dir = dir.path().string();
  EXPECT_EQ(subjects(validate_llm_options(stray_dir, "m")), (std::vector<std::string>{"--exchange-dir"}));
}

TEST(LlmFlags, CostBudgetNeedsAPriceForTheModel) {
  llm_options o;
  o.max_cost_usd = 5;
  EXPECT_TRUE(validate_llm_options(o, "gpt-5").empty());
  const auto problems = validate_llm_options(o, "my-finetune");
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].subject, "--max-cost-usd");
  EXPECT_NE(problems[0].problem.find("no price known for model 'my-finetune'"), std::string::npos);
  EXPECT_NE(problems[0].fix.find("--pricing-file"), std::string::npos);

  temp_dir dir;
  o.pricing_file = dir.write("p.json", R"({"models":{"my-finetune":{"input":3,"output":6}}})").string();
  EXPECT_TRUE(validate_llm_options(o, "my-finetune").empty());

  o.pricing_file = dir.write("bad.json", R"({"models":{"x":{"input":"cheap","output":1}}})").string();
  const auto bad = validate_llm_options(o, "gpt-5");
  ASSERT_EQ(bad.size(), 1U);
  EXPECT_EQ(bad[0].subject, "--pricing-file " + o.pricing_file);

  llm_options by_hand;
  by_hand.provider = "exchange";
  by_hand.exchange_dir = dir.path().string();
  by_hand.max_cost_usd = 1;
  EXPECT_EQ(subjects(validate_llm_options(by_hand, "gpt-5")), (std::vector<std::string>{"--max-cost-usd"}));
}

}  // namespace
}  // namespace ksearch::llm
