#include "ksearch/llm/provider_factory.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ksearch/common/json.h"

#include "support/event_stream.h"
#include "support/loopback_http_server.h"
#include "support/temp_dir.h"

namespace ksearch::llm {
namespace {

using test_support::always;
using test_support::event_stream;
using test_support::loopback_http_server;
using test_support::scripted_response;
using test_support::sse_event;
using test_support::temp_dir;
using namespace std::chrono_literals;

[[nodiscard]] scripted_response chat(const std::string& content) {
  return {.status = 200,
          .headers = {{"Content-Type", "application/json"}},
          .body = json{{"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}},
                       {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 1}}}}
                      .dump()};
}

[[nodiscard]] llm_request ask(const std::string& model = "gpt-4o") {
  llm_request r;
  r.model = model;
  r.messages = {{"user", "hello"}};
  return r;
}

TEST(ProviderFactory, OpenaiStackRecordsATranscriptAndPricesCalls) {
  loopback_http_server server(always(chat("hi")));
  temp_dir dir;
  llm_options options;
  options.max_llm_calls = 1;
  const auto transcript = dir.path() / "run" / "transcript.jsonl";
  auto provider = make_llm_provider(options, server.url("/v1"), "", transcript);
  ASSERT_TRUE(provider.has_value()) << provider.error().to_string();
  EXPECT_EQ((*provider)->name(), "openai");
  EXPECT_EQ((*provider)->transcript_path(), transcript);

  auto reply = (*provider)->complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "hi");
  ASSERT_TRUE(reply->cost_usd.has_value());  // gpt-4o has a built-in price
  EXPECT_EQ((*provider)->complete(ask()).error().kind, llm_failure::budget);
  EXPECT_TRUE(std::filesystem::exists(transcript));
}

TEST(ProviderFactory, ReplayStackAnswersFromTheTranscript) {
  temp_dir dir;
  const auto transcript = dir.path() / "transcript.jsonl";
  {
    loopback_http_server server(always(chat("recorded answer")));
    auto live = make_llm_provider(llm_options{}, server.url("/v1"), "", transcript);
    ASSERT_TRUE(live.has_value());
    ASSERT_TRUE((*live)->complete(ask()).has_value());
  }
  llm_options options;
  options.replay_file = transcript.string();
  auto replay = make_llm_provider(options, "http://127.0.0.1:1/v1", "", {});
  ASSERT_TRUE(replay.has_value()) << replay.error().to_string();
  EXPECT_EQ((*replay)->name(), "replay");
  auto reply = (*replay)->complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "recorded answer");
  EXPECT_EQ((*replay)->complete(ask()).error().kind, llm_failure::replay_divergence);
}

TEST(ProviderFactory, ExchangeStackAndErrorsNameTheirFlag) {
  temp_dir dir;
  llm_options exchange;
  exchange.provider = "exchange";
  exchange.exchange_dir = (dir.path() / "ex").string();
  auto provider = make_llm_provider(exchange, "", "", {});
  ASSERT_TRUE(provider.has_value()) << provider.error().to_string();
  EXPECT_EQ((*provider)->name(), "exchange");

  llm_options bad_replay;
  bad_replay.replay_file = (dir.path() / "absent.jsonl").string();
  auto missing = make_llm_provider(bad_replay, "", "", {});
  ASSERT_FALSE(missing.has_value());
  EXPECT_TRUE(missing.error().subject.starts_with("--llm-replay ")) << missing.error().to_string();

  llm_options bad_prices;
  bad_prices.pricing_file = dir.write("p.json", "{}").string();
  auto unpriced = make_llm_provider(bad_prices, "", "", {});
  ASSERT_FALSE(unpriced.has_value());
  EXPECT_TRUE(unpriced.error().subject.starts_with("--pricing-file ")) << unpriced.error().to_string();
}

TEST(ProviderFactory, ProbeUsesTheConfiguredPathWithoutRetries) {
  loopback_http_server server(always(event_stream({
      {0ms, sse_event(R"({"type":"response.output_text.delta","delta":"ok"})")},
      {0ms, sse_event(R"({"type":"response.completed","response":{"status":"completed","output":[],"usage":{"input_tokens":5,"output_tokens":16}}})")},
  })));
  llm_options options;
  options.stream = true;
  auto reply = probe_completion(options, server.url("/v1"), "", "gpt-5-nano");
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "ok");
  const json body = json::parse(server.requests().at(0).body);
  EXPECT_EQ(server.requests().at(0).path, "/v1/responses");
  EXPECT_EQ(body["max_output_tokens"], 16);

  loopback_http_server failing(always({.status = 503}));
  auto failed = probe_completion(llm_options{}, failing.url("/v1"), "", "m");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().attempts, 1);
  EXPECT_EQ(failing.request_count(), 1U);
}

}  // namespace
}  // namespace ksearch::llm
