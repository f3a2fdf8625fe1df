#include "ksearch/llm/openai_provider.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ksearch/common/json.h"

#include "llm/overlap_meter.h"
#include "support/event_stream.h"
#include "support/loopback_http_server.h"
#include "support/virtual_retry_clock.h"

namespace ksearch::llm {
namespace {

using test_support::always;
using test_support::event_stream;
using test_support::loopback_http_server;
using test_support::overlap_meter;
using test_support::received_request;
using test_support::scripted_response;
using test_support::sse_event;
using test_support::stream_end;
using test_support::stream_piece;
using test_support::virtual_retry_clock;
using namespace std::chrono_literals;

constexpr const char* test_key = "sk-test-abcdef0123456789";

[[nodiscard]] bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

[[nodiscard]] scripted_response json_reply(int status, const std::string& body) {
  return {.status = status, .headers = {{"Content-Type", "application/json"}}, .body = body};
}

[[nodiscard]] std::string chat_body(const std::string& content, const std::string& usage =
                                                                     R"(,"usage":{"prompt_tokens":12,"completion_tokens":5})") {
  return R"({"id":"c1","object":"chat.completion","model":"served-model","choices":[{"index":0,"message":{"role":"assistant","content":)" +
         json(content).dump() + R"(},"finish_reason":"stop"}])" + usage + "}";
}

/// Answers with `responses` in order (the last one repeats), from any connection thread.
class script {
 public:
  explicit script(std::vector<scripted_response> responses) : responses_(std::move(responses)) {}
  [[nodiscard]] loopback_http_server::handler handler() {
    return [this](const received_request&) {
      std::lock_guard lock(mutex_);
      const std::size_t i = std::min(next_++, responses_.size() - 1);
      return responses_[i];
    };
  }

 private:
  std::mutex mutex_;
  std::vector<scripted_response> responses_;
  std::size_t next_ = 0;
};

/// Settings for the loopback server: short timeouts, deterministic backoff, virtual sleeps.
[[nodiscard]] openai_settings settings_for(const loopback_http_server& server, const std::shared_ptr<virtual_retry_clock>& clock,
                                           std::string key = test_key) {
  openai_settings s;
  s.base_url = server.url("/v1");
  s.api_key = std::move(key);
  s.request_timeout = 5s;
  s.connect_timeout = 2s;
  s.stall_timeout = 2s;
  s.retry.max_retries = 3;
  s.retry.initial_backoff = 1s;
  s.retry.max_backoff = 8s;
  s.retry.jitter = 0;
  s.clock = clock;
  s.jitter_seed = 1;
  return s;
}

[[nodiscard]] llm_request ask(std::string model = "local-model", std::string prompt = "Write a kernel.") {
  llm_request r;
  r.model = std::move(model);
  r.messages = {{"system", "You write CUDA."}, {"user", std::move(prompt)}};
  r.purpose = "test";
  return r;
}

// ---- Chat Completions ----

TEST(OpenaiProvider, ChatSuccessSendsModelMessagesAndKey) {
  loopback_http_server server(always(json_reply(200, chat_body("__global__ void k() {}"))));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));

  auto reply = provider.complete(ask());

  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "__global__ void k() {}");
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->model, "served-model");
  EXPECT_EQ(reply->usage.prompt_tokens, 12);
  EXPECT_EQ(reply->usage.completion_tokens, 5);
  EXPECT_FALSE(reply->usage.reasoning_tokens.has_value());
  EXPECT_EQ(reply->attempts, 1);
  EXPECT_GT(reply->latency_s, 0.0);
  EXPECT_FALSE(reply->cost_usd.has_value());  // pricing is metered_provider's job

  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/v1/chat/completions");
  EXPECT_EQ(seen[0].header("authorization"), std::string("Bearer ") + test_key);
  EXPECT_EQ(seen[0].header("content-type"), "application/json");
  const json body = json::parse(seen[0].body);
  EXPECT_EQ(body, json::parse(R"({"model":"local-model","messages":[{"role":"system","content":"You write CUDA."},
                                   {"role":"user","content":"Write a kernel."}]})"));
  EXPECT_TRUE(clock->sleeps().empty());
}

TEST(OpenaiProvider, GenerationSettingsUseTheFieldNamesTheApiWants) {
  loopback_http_server server(always(json_reply(200, chat_body("ok"))));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock, "");
  s.temperature = 0.25;
  s.max_output_tokens = 4096;
  s.reasoning_effort = "high";
  openai_provider local(s);
  ASSERT_TRUE(local.complete(ask()).has_value());

  s.token_limit_field = "max_completion_tokens";  // what api.openai.com gets by default
  openai_provider hosted(s);
  llm_request request = ask();
  request.options.temperature = 1.0;  // per-request override wins
  ASSERT_TRUE(hosted.complete(request).has_value());

  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_FALSE(seen[0].has_header("authorization"));  // no key: no header
  const json first = json::parse(seen[0].body);
  EXPECT_EQ(first["temperature"], 0.25);
  EXPECT_EQ(first["max_tokens"], 4096);
  EXPECT_EQ(first["reasoning_effort"], "high");
  EXPECT_FALSE(first.contains("max_completion_tokens"));
  EXPECT_FALSE(first.contains("stream"));
  const json second = json::parse(seen[1].body);
  EXPECT_EQ(second["temperature"], 1.0);
  EXPECT_EQ(second["max_completion_tokens"], 4096);
  EXPECT_FALSE(second.contains("max_tokens"));
}

TEST(OpenaiProvider, UsageMissingLeavesCountsUnknown) {
  loopback_http_server server(always(json_reply(200, chat_body("ok", ""))));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "ok");
  EXPECT_FALSE(reply->usage.prompt_tokens.has_value());
  EXPECT_FALSE(reply->usage.completion_tokens.has_value());
  EXPECT_FALSE(reply->usage.reported());
}

TEST(OpenaiProvider, ReasoningContentAndDetailedUsageAreRead) {
  loopback_http_server server(always(json_reply(
      200, R"({"model":"r1","choices":[{"message":{"role":"assistant","content":"answer","reasoning_content":"thinking..."},
              "finish_reason":"length"}],"usage":{"prompt_tokens":100,"completion_tokens":50,
              "completion_tokens_details":{"reasoning_tokens":40},"prompt_tokens_details":{"cached_tokens":64}}})")));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->reasoning, "thinking...");
  EXPECT_EQ(reply->finish_reason, "length");
  EXPECT_EQ(reply->usage.reasoning_tokens, 40);
  EXPECT_EQ(reply->usage.cached_prompt_tokens, 64);
}

// ---- Responses API ----

TEST(OpenaiProvider, ResponsesApiShapeForGpt5Models) {
  loopback_http_server server(always(json_reply(200, R"({
    "id":"resp_1","object":"response","status":"completed","model":"gpt-5-mini-2025-08-07",
    "output":[
      {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Plan: tile it."}]},
      {"type":"message","role":"assistant","content":[{"type":"output_text","text":"part one, "},
                                                      {"type":"output_text","text":"part two"}]}],
    "usage":{"input_tokens":30,"output_tokens":200,"output_tokens_details":{"reasoning_tokens":150},
             "input_tokens_details":{"cached_tokens":0}}})")));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.max_output_tokens = 9000;
  openai_provider provider(s);

  auto reply = provider.complete(ask("gpt-5-mini"));

  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "part one, part two");
  EXPECT_EQ(reply->reasoning, "Plan: tile it.");
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->model, "gpt-5-mini-2025-08-07");
  EXPECT_EQ(reply->usage.prompt_tokens, 30);
  EXPECT_EQ(reply->usage.completion_tokens, 200);
  EXPECT_EQ(reply->usage.reasoning_tokens, 150);

  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].path, "/v1/responses");
  const json body = json::parse(seen[0].body);
  EXPECT_EQ(body, json::parse(R"({"model":"gpt-5-mini",
      "input":[{"role":"system","content":"You write CUDA."},{"role":"user","content":"Write a kernel."}],
      "reasoning":{"effort":"medium"},"max_output_tokens":9000,"store":false})"));
}

TEST(OpenaiProvider, ApiStyleFlagOverridesTheModelRule) {
  loopback_http_server server(always(json_reply(200, chat_body("ok"))));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.api_style = "chat";
  openai_provider provider(s);
  ASSERT_TRUE(provider.complete(ask("o3-mini")).has_value());
  EXPECT_EQ(server.requests().at(0).path, "/v1/chat/completions");
  EXPECT_FALSE(json::parse(server.requests().at(0).body).contains("reasoning_effort"));
}

TEST(OpenaiProvider, IncompleteResponseReportsLengthAsFinishReason) {
  loopback_http_server server(always(json_reply(200, R"({"status":"incomplete",
      "incomplete_details":{"reason":"max_output_tokens"},"output":[{"type":"reasoning","summary":[]}],
      "usage":{"input_tokens":5,"output_tokens":16}})")));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask("o3"));
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "");
  EXPECT_EQ(reply->finish_reason, "length");
}

TEST(OpenaiProvider, MissingResponsesApiPointsAtApiStyleChat) {
  loopback_http_server server(always(json_reply(404, R"({"detail":"Not Found"})")));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask("gpt-5"));
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::not_found);
  EXPECT_TRUE(contains(reply.error().detail.problem, "has no Responses API")) << reply.error().to_string();
  EXPECT_TRUE(contains(reply.error().detail.fix, "--api-style chat"));
  EXPECT_EQ(server.request_count(), 1U);
}

// ---- retries ----

TEST(OpenaiProvider, RetryAfterSecondsIsHonouredThenSuccess) {
  script replies({{.status = 429, .headers = {{"Retry-After", "7"}}, .body = R"({"error":{"message":"slow down"}})"},
                  json_reply(200, chat_body("after the wait"))});
  loopback_http_server server(replies.handler());
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));

  auto reply = provider.complete(ask());

  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "after the wait");
  EXPECT_EQ(reply->attempts, 2);
  EXPECT_EQ(clock->sleeps(), (std::vector<std::chrono::milliseconds>{7s}));
  EXPECT_GE(reply->latency_s, 7.0);  // the wait is part of the call's latency
  EXPECT_EQ(server.request_count(), 2U);
  EXPECT_EQ(server.requests()[0].body, server.requests()[1].body);
}

TEST(OpenaiProvider, RetryAfterHttpDateAndRetryAfterMsAreHonoured) {
  script replies({{.status = 503, .headers = {{"Retry-After", "Wed, 15 Jan 2025 12:00:30 GMT"}}},
                  {.status = 429, .headers = {{"retry-after-ms", "1500"}, {"Retry-After", "99"}}},
                  json_reply(200, chat_body("ok"))});
  loopback_http_server server(replies.handler());
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->attempts, 3);
  EXPECT_EQ(clock->sleeps(), (std::vector<std::chrono::milliseconds>{30s, 1500ms}));
}

TEST(OpenaiProvider, ServerErrorsTwiceThenSuccessBackOffExponentially) {
  script replies({json_reply(500, R"({"error":{"message":"internal"}})"), json_reply(502, "<html>bad gateway</html>"),
                  json_reply(200, chat_body("third time"))});
  loopback_http_server server(replies.handler());
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "third time");
  EXPECT_EQ(reply->attempts, 3);
  EXPECT_EQ(clock->sleeps(), (std::vector<std::chrono::milliseconds>{1s, 2s}));
}

TEST(OpenaiProvider, GivesUpAfterMaxRetriesNamingTheLastFailure) {
  loopback_http_server server(always(json_reply(503, R"({"error":{"message":"overloaded"}})")));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.retry.max_retries = 2;
  openai_provider provider(s);
  auto reply = provider.complete(ask());
  ASSERT_FALSE(reply.has_value());
  const llm_error& e = reply.error();
  EXPECT_EQ(e.kind, llm_failure::unavailable);
  EXPECT_EQ(e.attempts, 3);
  EXPECT_EQ(e.detail.subject, "POST " + server.url("/v1/chat/completions"));
  EXPECT_TRUE(contains(e.detail.problem, "gave up after 3 attempts")) << e.detail.problem;
  EXPECT_TRUE(contains(e.detail.problem, "--max-retries 2")) << e.detail.problem;
  EXPECT_TRUE(contains(e.detail.problem, "HTTP 503: overloaded")) << e.detail.problem;
  EXPECT_EQ(server.request_count(), 3U);
}

TEST(OpenaiProvider, RetryAfterPastTheRetryTimeGivesUpAtOnce) {
  loopback_http_server server(always({.status = 429, .headers = {{"Retry-After", "3600"}}}));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.retry.max_retry_time = 60s;
  openai_provider provider(s);
  auto reply = provider.complete(ask());
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::unavailable);
  EXPECT_EQ(reply.error().attempts, 1);
  EXPECT_TRUE(contains(reply.error().detail.problem, "asked to wait 3600 s")) << reply.error().detail.problem;
  EXPECT_TRUE(clock->sleeps().empty());
}

TEST(OpenaiProvider, ExhaustedQuotaIsNotRetried) {
  loopback_http_server server(always(json_reply(
      429, R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}})")));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::quota);
  EXPECT_EQ(server.request_count(), 1U);
}

TEST(OpenaiProvider, ReplyStallingPastTheRequestTimeoutIsRetriedThenReported) {
  loopback_http_server server(always({.status = 200, .body = chat_body("late"), .delay = 5s}));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.request_timeout = 300ms;
  s.retry.max_retries = 1;
  openai_provider provider(s);
  const auto start = std::chrono::steady_clock::now();
  auto reply = provider.complete(ask());
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::unavailable);
  EXPECT_EQ(reply.error().attempts, 2);
  EXPECT_TRUE(contains(reply.error().detail.problem, "imed out")) << reply.error().detail.problem;
  EXPECT_TRUE(contains(reply.error().detail.fix, "--request-timeout")) << reply.error().detail.fix;
  EXPECT_LT(took, 3s);
}

TEST(OpenaiProvider, TruncatedBodyIsRetried) {
  const std::string body = chat_body("complete answer");
  script replies({{.status = 200, .body = body, .truncate_body_at = body.size() / 2}, json_reply(200, body)});
  loopback_http_server server(replies.handler());
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "complete answer");
  EXPECT_EQ(reply->attempts, 2);
}

TEST(OpenaiProvider, ConnectionClosedWithoutReplyIsRetried) {
  script replies({{.close_without_reply = true}, json_reply(200, chat_body("ok"))});
  loopback_http_server server(replies.handler());
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->attempts, 2);
}

TEST(OpenaiProvider, RefusedConnectionIsUnavailableAfterRetries) {
  openai_settings s;
  s.base_url = "http://127.0.0.1:" + std::to_string(test_support::unused_loopback_port()) + "/v1";
  auto clock = std::make_shared<virtual_retry_clock>();
  s.clock = clock;
  s.retry.max_retries = 1;
  s.retry.jitter = 0;
  s.connect_timeout = 2s;
  openai_provider provider(s);
  auto reply = provider.complete(ask());
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::unavailable);
  EXPECT_EQ(reply.error().attempts, 2);
  EXPECT_TRUE(contains(reply.error().detail.fix, "is the server running?")) << reply.error().to_string();
}

// ---- failures that are not retried ----

TEST(OpenaiProvider, MalformedJsonIsAMalformedReplyAndNotRetried) {
  loopback_http_server server(always(json_reply(200, R"({"choices": [ {"message": )")));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::malformed_reply);
  EXPECT_EQ(reply.error().attempts, 1);
  EXPECT_TRUE(contains(reply.error().detail.problem, "not JSON")) << reply.error().detail.problem;
  EXPECT_EQ(server.request_count(), 1U);
}

TEST(OpenaiProvider, EmptyChoicesIsAMalformedReply) {
  loopback_http_server server(always(json_reply(200, R"({"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":0}})")));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::malformed_reply);
  EXPECT_TRUE(contains(reply.error().detail.problem, "choices is empty")) << reply.error().detail.problem;
}

TEST(OpenaiProvider, UnauthorizedNamesTheKeySettingsAndNeverTheKey) {
  // A proxy that echoes the Authorization header into its error.
  loopback_http_server server([](const received_request& r) {
    return json_reply(401, json{{"error", {{"message", "Invalid key: " + r.header("authorization")}}}}.dump());
  });
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_FALSE(reply.has_value());
  const llm_error& e = reply.error();
  EXPECT_EQ(e.kind, llm_failure::auth);
  EXPECT_EQ(e.attempts, 1);
  EXPECT_TRUE(contains(e.detail.problem, "HTTP 401: the endpoint rejected the API key")) << e.detail.problem;
  EXPECT_TRUE(contains(e.detail.problem, "[REDACTED]")) << e.detail.problem;
  EXPECT_FALSE(contains(e.to_string(), test_key)) << e.to_string();
  EXPECT_TRUE(contains(e.detail.fix, "LLM_API_KEY"));
  EXPECT_EQ(server.request_count(), 1U);
}

TEST(OpenaiProvider, UnknownModelIsNotFoundOnTheBaseUrl) {
  loopback_http_server server(always(json_reply(
      404, R"({"error":{"message":"The model `gpt-nope` does not exist or you do not have access to it.","code":"model_not_found"}})")));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask("gpt-nope"));
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::not_found);
  EXPECT_TRUE(contains(reply.error().detail.problem, "model 'gpt-nope' not found on " + server.url("/v1")))
      << reply.error().detail.problem;
  EXPECT_TRUE(contains(reply.error().detail.fix, "--model-name"));
  EXPECT_EQ(server.request_count(), 1U);
}

TEST(OpenaiProvider, BadRequestNamesTheRefusedSetting) {
  loopback_http_server server(always(json_reply(
      400, R"({"error":{"message":"Unsupported value: 'temperature' does not support 0.2 with this model.","param":"temperature"}})")));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::bad_request);
  EXPECT_TRUE(contains(reply.error().detail.problem, "HTTP 400: Unsupported value")) << reply.error().detail.problem;
  EXPECT_TRUE(contains(reply.error().detail.fix, "--temperature")) << reply.error().detail.fix;
  EXPECT_EQ(server.request_count(), 1U);
}

TEST(OpenaiProvider, ReplyEchoingTheKeyComesBackRedacted) {
  loopback_http_server server(
      [](const received_request& r) { return json_reply(200, chat_body("I saw " + r.header("authorization"))); });
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  auto reply = provider.complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "I saw Bearer [REDACTED]");
  EXPECT_FALSE(contains(reply->raw, test_key));
}

TEST(OpenaiProvider, RequestWithoutModelOrMessagesIsRefusedBeforeSending) {
  loopback_http_server server(always(json_reply(200, chat_body("ok"))));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  llm_request no_model = ask("");
  EXPECT_EQ(provider.complete(no_model).error().kind, llm_failure::bad_request);
  llm_request no_messages = ask();
  no_messages.messages.clear();
  EXPECT_EQ(provider.complete(no_messages).error().kind, llm_failure::bad_request);
  EXPECT_EQ(server.request_count(), 0U);
}

// ---- streaming ----

[[nodiscard]] std::string chat_chunk(const std::string& delta_json, const std::string& finish = "null") {
  return R"({"id":"c","object":"chat.completion.chunk","model":"served","choices":[{"index":0,"delta":)" + delta_json +
         R"(,"finish_reason":)" + finish + "}]}";
}

TEST(OpenaiProvider, ChatStreamAssemblesChunksUntilDone) {
  loopback_http_server server(always(event_stream({
      {0ms, ": keep-alive\n\n"},
      {0ms, sse_event(chat_chunk(R"({"role":"assistant","content":""})"))},
      {20ms, sse_event(chat_chunk(R"({"reasoning_content":"Think. "})"))},
      {20ms, sse_event(chat_chunk(R"({"content":"__global__ "})"))},
      {0ms, sse_event(chat_chunk(R"({"content":"void k() {}"})")).substr(0, 17)},  // an event split across chunks
      {20ms, sse_event(chat_chunk(R"({"content":"void k() {}"})")).substr(17)},
      {0ms, sse_event(chat_chunk("{}", R"("stop")"))},
      {0ms, sse_event(R"({"id":"c","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4}})")},
      {0ms, sse_event("[DONE]")},
  })));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.stream = true;
  openai_provider provider(s);

  auto reply = provider.complete(ask());

  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "__global__ void k() {}");
  EXPECT_EQ(reply->reasoning, "Think. ");
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->model, "served");
  EXPECT_EQ(reply->usage.prompt_tokens, 9);
  EXPECT_EQ(reply->usage.completion_tokens, 4);
  EXPECT_TRUE(contains(reply->raw, "\"usage\""));
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].header("accept"), "text/event-stream");
  const json body = json::parse(seen[0].body);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"], json::parse(R"({"include_usage":true})"));
}

TEST(OpenaiProvider, StreamThatStallsFailsWithinTheStallTimeout) {
  loopback_http_server server(always(event_stream({{0ms, sse_event(chat_chunk(R"({"content":"partial"})"))}},
                                                  stream_end::stall, 10s)));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.stream = true;
  s.stall_timeout = 300ms;
  s.retry.max_retries = 0;
  openai_provider provider(s);
  const auto start = std::chrono::steady_clock::now();
  auto reply = provider.complete(ask());
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::unavailable);
  EXPECT_TRUE(contains(reply.error().detail.problem, "no data for 300 ms (stall timeout)")) << reply.error().detail.problem;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
}

TEST(OpenaiProvider, StreamCutBeforeDoneIsRetried) {
  script replies({event_stream({{0ms, sse_event(chat_chunk(R"({"content":"half"})"))}}, stream_end::hang_up),
                  event_stream({{0ms, sse_event(chat_chunk(R"({"content":"whole"})", R"("stop")"))},
                                {0ms, sse_event("[DONE]")}})});
  loopback_http_server server(replies.handler());
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.stream = true;
  openai_provider provider(s);
  auto reply = provider.complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "whole");
  EXPECT_EQ(reply->attempts, 2);
  EXPECT_FALSE(reply->usage.reported());  // this server sent no usage chunk
}

TEST(OpenaiProvider, StreamWithoutEndMarkerIsReportedWhenRetriesRunOut) {
  loopback_http_server server(always(event_stream({{0ms, sse_event(chat_chunk(R"({"content":"half"})"))}})));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.stream = true;
  s.retry.max_retries = 0;
  openai_provider provider(s);
  auto reply = provider.complete(ask());
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::unavailable);
  EXPECT_TRUE(contains(reply.error().detail.problem, "the stream ended before [DONE] after 1 events"))
      << reply.error().detail.problem;
}

TEST(OpenaiProvider, ErrorEventInAStreamIsRetryable) {
  script replies({event_stream({{0ms, sse_event(R"({"error":{"message":"model overloaded","type":"server_error"}})")}}),
                  event_stream({{0ms, sse_event(chat_chunk(R"({"content":"fine now"})", R"("stop")"))},
                                {0ms, sse_event("[DONE]")}})});
  loopback_http_server server(replies.handler());
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.stream = true;
  openai_provider provider(s);
  auto reply = provider.complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "fine now");
  EXPECT_EQ(reply->attempts, 2);
}

TEST(OpenaiProvider, ResponsesStreamEndsWithTheCompletedResponse) {
  loopback_http_server server(always(event_stream({
      {0ms, sse_event(R"({"type":"response.created","response":{"status":"in_progress"}})", "response.created")},
      {10ms, sse_event(R"({"type":"response.reasoning_summary_text.delta","delta":"Think"})",
                       "response.reasoning_summary_text.delta")},
      {10ms, sse_event(R"({"type":"response.output_text.delta","delta":"Hello, "})", "response.output_text.delta")},
      {10ms, sse_event(R"({"type":"response.output_text.delta","delta":"world"})", "response.output_text.delta")},
      {0ms, sse_event(json::parse(R"({"type":"response.completed","response":{"status":"completed","model":"gpt-5",
          "output":[{"type":"message","content":[{"type":"output_text","text":"Hello, world"}]}],
          "usage":{"input_tokens":7,"output_tokens":70,"output_tokens_details":{"reasoning_tokens":60}}}})")
                          .dump(),  // one line: a data field cannot hold a line break
                      "response.completed")},
  })));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.stream = true;
  openai_provider provider(s);
  auto reply = provider.complete(ask("gpt-5"));
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "Hello, world");
  EXPECT_EQ(reply->reasoning, "Think");
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->usage.reasoning_tokens, 60);
  EXPECT_EQ(json::parse(server.requests().at(0).body)["stream"], true);
}

TEST(OpenaiProvider, ServerIgnoringStreamIsReadAsAPlainReply) {
  loopback_http_server server(always(json_reply(200, chat_body("not streamed"))));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.stream = true;
  openai_provider provider(s);
  auto reply = provider.complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "not streamed");
  EXPECT_EQ(reply->usage.prompt_tokens, 12);
}

TEST(OpenaiProvider, StreamedRequestRejectedWithAStatusQuotesTheServer) {
  loopback_http_server server(always(json_reply(401, R"({"error":{"message":"Incorrect API key provided"}})")));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.stream = true;
  openai_provider provider(s);
  auto reply = provider.complete(ask());
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::auth);
  EXPECT_TRUE(contains(reply.error().detail.problem, "Incorrect API key provided")) << reply.error().detail.problem;
}

// ---- Several callers at once ----

TEST(OpenaiProvider, ConcurrentCallsOverlapAndEachGetsItsOwnReply) {
  // Each request is held until all four are at the server (or 5 s pass), then echoed back.
  constexpr int callers = 4;
  overlap_meter meter(callers, 5s);
  loopback_http_server server([&meter](const received_request& r) {
    const json body = json::parse(r.body);
    meter.hold();
    return json_reply(200, chat_body("echo: " + body["messages"][1]["content"].get<std::string>()));
  });
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_settings s = settings_for(server, clock);
  s.request_timeout = 60s;
  s.retry.max_retries = 0;
  openai_provider provider(s);

  std::vector<llm_result> replies(callers);
  std::vector<std::thread> threads;
  for (int i = 0; i < callers; ++i) {
    threads.emplace_back([&, i] { replies[i] = provider.complete(ask("local-model", "candidate " + std::to_string(i))); });
  }
  for (std::thread& t : threads) t.join();

  for (int i = 0; i < callers; ++i) {
    ASSERT_TRUE(replies[i].has_value()) << i << ": " << replies[i].error().to_string();
    EXPECT_EQ(replies[i]->text, "echo: candidate " + std::to_string(i));
    EXPECT_EQ(replies[i]->attempts, 1);
  }
  EXPECT_EQ(server.request_count(), static_cast<std::size_t>(callers));
  EXPECT_GE(meter.most_in_flight(), 2) << "the calls never overlapped";

  // The clients went back to the pool: later calls, one at a time, open no new connection.
  const std::size_t connections = server.connection_count();
  ASSERT_TRUE(provider.complete(ask()).has_value());
  ASSERT_TRUE(provider.complete(ask()).has_value());
  EXPECT_EQ(server.connection_count(), connections);
}

TEST(OpenaiProvider, SequentialCallsReuseOneConnection) {
  loopback_http_server server(always(json_reply(200, chat_body("ok"))));
  auto clock = std::make_shared<virtual_retry_clock>();
  openai_provider provider(settings_for(server, clock));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(provider.complete(ask()).has_value());
  EXPECT_EQ(server.request_count(), 3U);
  EXPECT_EQ(server.connection_count(), 1U);
}

}  // namespace
}  // namespace ksearch::llm
