#include "ksearch/llm/metered_provider.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ksearch/common/json.h"
#include "ksearch/llm/openai_provider.h"
#include "llm/overlap_meter.h"
#include "support/loopback_http_server.h"
#include "support/temp_dir.h"

namespace ksearch::llm {
namespace {

using test_support::always;
using test_support::loopback_http_server;
using test_support::overlap_meter;
using test_support::received_request;
using test_support::scripted_response;
using test_support::temp_dir;
using namespace std::chrono_literals;

constexpr const char* test_key = "sk-live-0123456789abcdefXYZ";

[[nodiscard]] std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

[[nodiscard]] scripted_response chat(const std::string& content, long prompt_tokens = 1000, long completion_tokens = 500) {
  return {.status = 200,
          .headers = {{"Content-Type", "application/json"}},
          .body = json{{"model", "priced-model"},
                       {"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}},
                       {"usage", {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens}}}}
                      .dump()};
}

[[nodiscard]] std::unique_ptr<openai_provider> http_provider(const loopback_http_server& server, std::string key = test_key) {
  openai_settings s;
  s.base_url = server.url("/v1");
  s.api_key = std::move(key);
  s.retry.max_retries = 0;
  return std::make_unique<openai_provider>(s);
}

[[nodiscard]] pricing_table prices() {
  pricing_table table;
  table.set("priced-model", {2.0, 10.0, std::nullopt});  // USD per million tokens
  return table;
}

[[nodiscard]] llm_request ask(const std::string& model = "priced-model", const std::string& prompt = "go") {
  llm_request r;
  r.model = model;
  r.messages = {{"user", prompt}};
  r.purpose = "codegen";
  return r;
}

TEST(MeteredProvider, PricesKnownModelsAndAccountsEveryCall) {
  loopback_http_server server(always(chat("ok")));
  metered_provider provider(http_provider(server), prices(), llm_budget{}, nullptr);

  auto priced = provider.complete(ask());
  ASSERT_TRUE(priced.has_value()) << priced.error().to_string();
  ASSERT_TRUE(priced->cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*priced->cost_usd, (1000 * 2.0 + 500 * 10.0) / 1e6);

  auto unpriced = provider.complete(ask("mystery-model"));
  ASSERT_TRUE(unpriced.has_value());
  EXPECT_FALSE(unpriced->cost_usd.has_value());  // unknown, not 0

  const usage_ledger ledger = provider.ledger();  // a copy: current() refers into it
  const auto& totals = ledger.current();
  EXPECT_EQ(totals.calls, 2);
  EXPECT_EQ(totals.failed_calls, 0);
  EXPECT_EQ(totals.prompt_tokens, 2000);
  EXPECT_EQ(totals.completion_tokens, 1000);
  EXPECT_EQ(totals.calls_without_cost, 1);
  EXPECT_DOUBLE_EQ(totals.known_cost_usd, 0.007);
  EXPECT_FALSE(ledger.total_cost_usd().has_value());
  EXPECT_GT(totals.latency_s, 0.0);
  EXPECT_EQ(provider.name(), "openai");
}

TEST(MeteredProvider, CallBudgetRefusesWithoutCalling) {
  loopback_http_server server(always(chat("ok")));
  temp_dir dir;
  auto writer = transcript_writer::open(dir.path() / "transcript.jsonl", test_key, "openai");
  ASSERT_TRUE(writer.has_value());
  metered_provider provider(http_provider(server), prices(), llm_budget{std::nullopt, 2}, std::move(*writer));

  ASSERT_TRUE(provider.complete(ask()).has_value());
  ASSERT_TRUE(provider.complete(ask()).has_value());
  EXPECT_TRUE(provider.budget_exhausted().has_value());
  auto refused = provider.complete(ask());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, llm_failure::budget);
  EXPECT_EQ(refused.error().detail.problem, "budget reached: 2 LLM calls made, --max-llm-calls is 2");
  EXPECT_EQ(refused.error().attempts, 0);
  ASSERT_FALSE(provider.complete(ask()).has_value());
  EXPECT_EQ(server.request_count(), 2U);
  EXPECT_EQ(provider.ledger().current().calls, 2);

  // The refusal is noted once in the transcript; no request record is written for it.
  const std::string text = read_all(provider.transcript_path());
  auto count = [&text](std::string_view what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(R"("type":"note")"), 1U);
  EXPECT_EQ(count(R"("type":"request")"), 2U);
  EXPECT_EQ(count("budget reached: 2 LLM calls made"), 1U);
}

TEST(MeteredProvider, CostBudgetStopsAfterTheCallThatCrossesIt) {
  loopback_http_server server(always(chat("ok", 1000, 1000)));  // $0.012 a call at these prices
  metered_provider provider(http_provider(server), prices(), llm_budget{0.02, std::nullopt}, nullptr);
  ASSERT_TRUE(provider.complete(ask()).has_value());  // $0.012 spent
  ASSERT_TRUE(provider.complete(ask()).has_value());  // $0.024: crosses the budget, completes
  auto refused = provider.complete(ask());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, llm_failure::budget);
  EXPECT_EQ(refused.error().detail.problem, "budget reached: $0.0240 spent on LLM calls, --max-cost-usd is $0.0200");
  EXPECT_EQ(server.request_count(), 2U);
}

TEST(MeteredProvider, FailedCallsCountAsCallsButAddNoTokens) {
  loopback_http_server server(always({.status = 500, .body = "boom"}));
  metered_provider provider(http_provider(server), prices(), llm_budget{std::nullopt, 1}, nullptr);
  auto failed = provider.complete(ask());
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().kind, llm_failure::unavailable);
  EXPECT_EQ(provider.ledger().current().calls, 1);
  EXPECT_EQ(provider.ledger().current().failed_calls, 1);
  EXPECT_EQ(provider.ledger().current().prompt_tokens, 0);
  EXPECT_EQ(provider.complete(ask()).error().kind, llm_failure::budget);
}

TEST(MeteredProvider, TranscriptRecordsEverythingButTheKey) {
  // A server that echoes the Authorization header back, in a reply and in an error.
  loopback_http_server server([](const received_request& r) {
    const json body = json::parse(r.body);
    if (body["messages"][0]["content"] == "fail") {
      return scripted_response{.status = 401,
                               .body = json{{"error", {{"message", "rejected " + r.header("authorization")}}}}.dump()};
    }
    return chat("You sent: " + r.header("authorization"), 42, 7);
  });
  temp_dir dir;
  const auto path = dir.path() / "run" / "transcript.jsonl";
  auto writer = transcript_writer::open(path, test_key, "openai");
  ASSERT_TRUE(writer.has_value());
  metered_provider provider(http_provider(server), prices(), llm_budget{}, std::move(*writer));

  auto reply = provider.complete(ask("priced-model", std::string("my key is ") + test_key));
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "You sent: Bearer [REDACTED]");
  ASSERT_FALSE(provider.complete(ask("priced-model", "fail")).has_value());

  const std::string text = read_all(path);
  if (std::getenv("KSEARCH_SHOW_TRANSCRIPT") != nullptr) std::cout << text;
  EXPECT_EQ(text.find(test_key), std::string::npos) << text;
  EXPECT_EQ(text.find("Authorization"), std::string::npos) << text;  // headers are never recorded
  std::istringstream lines(text);
  std::string line;
  std::vector<json> records;
  while (std::getline(lines, line)) records.push_back(json::parse(line));
  ASSERT_EQ(records.size(), 5U);
  EXPECT_EQ(records[1]["type"], "request");
  EXPECT_EQ(records[1]["messages"][0]["content"], "my key is [REDACTED]");
  EXPECT_EQ(records[2]["type"], "reply");
  EXPECT_EQ(records[2]["text"], "You sent: Bearer [REDACTED]");
  EXPECT_EQ(records[2]["usage"]["prompt_tokens"], 42);
  EXPECT_DOUBLE_EQ(records[2]["cost_usd"].get<double>(), (42 * 2.0 + 7 * 10.0) / 1e6);
  EXPECT_EQ(records[4]["type"], "error");
  EXPECT_EQ(records[4]["kind"], "auth");
  EXPECT_NE(records[4]["problem"].get<std::string>().find("rejected Bearer [REDACTED]"), std::string::npos);
}

// ---- Several callers at once ----

/// Six callers at once against a call budget of three: the budget's calls are held at the server
/// until all three are there (they overlap: the lock is not held during a call), and the other
/// callers arrive meanwhile, while nothing has been accounted yet.
struct budget_race {
  static constexpr int callers = 6;
  static constexpr long max_calls = 3;

  temp_dir dir;
  overlap_meter meter{static_cast<int>(max_calls), 5s};
  loopback_http_server server{[this](const received_request&) {
    meter.hold();
    return chat("ok");
  }};
  std::unique_ptr<metered_provider> provider;
  std::vector<llm_result> outcomes{static_cast<std::size_t>(callers)};

  budget_race() {
    auto writer = transcript_writer::open(dir.path() / "transcript.jsonl", test_key, "openai");
    if (!writer) throw std::runtime_error(writer.error().to_string());
    openai_settings s;
    s.base_url = server.url("/v1");
    s.api_key = test_key;
    s.retry.max_retries = 0;
    s.request_timeout = 60s;
    provider = std::make_unique<metered_provider>(std::make_unique<openai_provider>(s), prices(),
                                                  llm_budget{std::nullopt, max_calls}, std::move(*writer));
  }

  void run() {
    std::vector<std::thread> threads;
    for (int i = 0; i < callers; ++i) {
      threads.emplace_back([this, i] { outcomes[i] = provider->complete(ask("priced-model", "go " + std::to_string(i))); });
    }
    for (std::thread& t : threads) t.join();
  }
};

TEST(MeteredProvider, CallBudgetHoldsExactlyWithConcurrentCallers) {
  budget_race race;
  race.run();

  int answered = 0;
  int refused = 0;
  for (const llm_result& outcome : race.outcomes) {
    if (outcome) {
      ++answered;
      EXPECT_EQ(outcome->text, "ok");
      continue;
    }
    ASSERT_EQ(outcome.error().kind, llm_failure::budget) << outcome.error().to_string();
    ++refused;
    // "budget reached: 1 LLM calls made and 2 in flight, --max-llm-calls is 3" (the split varies).
    EXPECT_TRUE(outcome.error().detail.problem.starts_with("budget reached: ")) << outcome.error().detail.problem;
    EXPECT_TRUE(outcome.error().detail.problem.ends_with(", --max-llm-calls is 3")) << outcome.error().detail.problem;
    EXPECT_EQ(outcome.error().attempts, 0);
  }
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(race.server.request_count(), 3U);
  EXPECT_GE(race.meter.most_in_flight(), 2) << "the budgeted calls never overlapped";
  const usage_ledger ledger = race.provider->ledger();
  EXPECT_EQ(ledger.current().calls, 3);
  EXPECT_EQ(ledger.current().failed_calls, 0);
  EXPECT_EQ(ledger.current().prompt_tokens, 3000);
  EXPECT_EQ(race.provider->budget_exhausted(), "budget reached: 3 LLM calls made, --max-llm-calls is 3");

  // The transcript: every call's request and reply, records interleaved but each naming its call;
  // one note for the refusals; no record for a refused call.
  std::istringstream lines(read_all(race.provider->transcript_path()));
  std::string line;
  std::multiset<long> requests;
  std::multiset<long> replies;
  int notes = 0;
  while (std::getline(lines, line)) {
    const json record = json::parse(line);
    if (record["type"] == "request") requests.insert(record["call"].get<long>());
    if (record["type"] == "reply") replies.insert(record["call"].get<long>());
    if (record["type"] == "note") ++notes;
    EXPECT_NE(record["type"], "error") << line;
  }
  EXPECT_EQ(requests, (std::multiset<long>{1, 2, 3}));
  EXPECT_EQ(replies, (std::multiset<long>{1, 2, 3}));
  EXPECT_EQ(notes, 1);
}

// Overlapping calls interleave their records; read_transcript pairs each outcome with its request
// by call number, so --llm-replay keeps every call.
TEST(MeteredProvider, TranscriptOfOverlappingCallsReadsBackEveryCall) {
  budget_race race;
  race.run();
  auto contents = read_transcript(race.provider->transcript_path());
  ASSERT_TRUE(contents.has_value()) << contents.error().to_string();
  EXPECT_EQ(contents->calls.size(), 3U);
  for (const std::string& warning : contents->warnings) ADD_FAILURE() << warning;
  std::set<long> calls;
  for (const transcript_call& call : contents->calls) {
    EXPECT_TRUE(call.reply.has_value()) << call.call;
    calls.insert(call.call);
  }
  EXPECT_EQ(calls, (std::set<long>{1, 2, 3}));
}

}  // namespace
}  // namespace ksearch::llm
