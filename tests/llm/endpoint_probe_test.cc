#include "ksearch/llm/endpoint_probe.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "ksearch/common/json.h"

#include "support/loopback_http_server.h"

namespace ksearch::llm {
namespace {

using test_support::always;
using test_support::loopback_http_server;
using test_support::received_request;
using test_support::scripted_response;
using namespace std::chrono_literals;

constexpr const char* test_key = "sk-test-0123456789abcdef";

[[nodiscard]] bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

/// An endpoint at the loopback server's /v1, with a trailing slash to check it is tolerated.
[[nodiscard]] endpoint endpoint_at(const loopback_http_server& server, std::string key = test_key) {
  return endpoint{.base_url = server.url("/v1/"), .api_key = std::move(key), .timeout = 5s};
}

[[nodiscard]] scripted_response json_reply(int status, const std::string& body) {
  return {.status = status, .headers = {{"Content-Type", "application/json"}}, .body = body};
}

// ---- list_models ----

TEST(EndpointProbe, ListModelsReturnsEveryId) {
  loopback_http_server server(always(json_reply(
      200, R"({"object":"list","data":[{"id":"gpt-a","object":"model"},{"id":"local/llama"}]})")));
  http_client client;
  auto listing = list_models(client, endpoint_at(server));

  ASSERT_TRUE(listing.has_value()) << listing.error().to_string();
  EXPECT_EQ(listing->ids, (std::vector<std::string>{"gpt-a", "local/llama"}));
  EXPECT_GT(listing->latency_s, 0.0);
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].path, "/v1/models");
  EXPECT_EQ(seen[0].header("authorization"), std::string("Bearer ") + test_key);
}

TEST(EndpointProbe, NoAuthorizationHeaderWithoutAKey) {
  loopback_http_server server(always(json_reply(200, R"({"data":[]})")));
  http_client client;
  auto listing = list_models(client, endpoint_at(server, ""));
  ASSERT_TRUE(listing.has_value()) << listing.error().to_string();
  EXPECT_TRUE(listing->ids.empty());
  EXPECT_FALSE(server.requests().at(0).has_header("authorization"));
}

TEST(EndpointProbe, RejectedKeyPointsAtTheKeySettings) {
  for (int status : {401, 403}) {
    loopback_http_server server(always(json_reply(status, R"({"error":{"message":"Incorrect API key provided"}})")));
    http_client client;
    auto listing = list_models(client, endpoint_at(server));
    ASSERT_FALSE(listing.has_value());
    const error& e = listing.error();
    EXPECT_EQ(e.subject, server.url("/v1/models"));
    EXPECT_TRUE(e.problem.starts_with("HTTP " + std::to_string(status) + ": the endpoint rejected the API key"))
        << e.problem;
    EXPECT_TRUE(contains(e.problem, "Incorrect API key provided")) << e.problem;
    EXPECT_EQ(e.fix, "check --api-key / LLM_API_KEY / OPENAI_API_KEY");
  }
}

TEST(EndpointProbe, MissingKeyIsNamedAsMissing) {
  loopback_http_server server(always(json_reply(401, "{}")));
  http_client client;
  auto listing = list_models(client, endpoint_at(server, ""));
  ASSERT_FALSE(listing.has_value());
  EXPECT_TRUE(contains(listing.error().problem, "none was given")) << listing.error().problem;
  EXPECT_EQ(listing.error().fix, "check --api-key / LLM_API_KEY / OPENAI_API_KEY");
}

TEST(EndpointProbe, NotFoundPointsAtTheBaseUrl) {
  loopback_http_server server(always({.status = 404, .body = "Not Found"}));
  http_client client;
  auto listing = list_models(client, endpoint_at(server));
  ASSERT_FALSE(listing.has_value());
  EXPECT_TRUE(listing.error().problem.starts_with("HTTP 404")) << listing.error().problem;
  EXPECT_EQ(listing.error().fix, "check --base-url (it usually ends in /v1)");
}

TEST(EndpointProbe, OtherStatusQuotesAShortExcerptOfTheBody) {
  loopback_http_server server(always({.status = 502, .body = "upstream\n\n   exploded " + std::string(1000, 'z')}));
  http_client client;
  auto listing = list_models(client, endpoint_at(server));
  ASSERT_FALSE(listing.has_value());
  const std::string& problem = listing.error().problem;
  EXPECT_TRUE(problem.starts_with("HTTP 502: upstream exploded zzz")) << problem;
  EXPECT_TRUE(problem.ends_with("...")) << problem;
  EXPECT_LE(problem.size(), std::string("HTTP 502: ").size() + 300);
}

TEST(EndpointProbe, NonJsonBodyIsAnError) {
  loopback_http_server server(always({.status = 200, .body = "<html>hello</html>"}));
  http_client client;
  auto listing = list_models(client, endpoint_at(server));
  ASSERT_FALSE(listing.has_value());
  EXPECT_TRUE(contains(listing.error().problem, "not JSON")) << listing.error().problem;
  EXPECT_TRUE(contains(listing.error().problem, "<html>hello</html>")) << listing.error().problem;
}

TEST(EndpointProbe, MissingIdIsNamedByItsPath) {
  loopback_http_server server(
      always(json_reply(200, R"({"data":[{"id":"a"},{"id":"b"},{"id":"c"},{"name":"no id here"}]})")));
  http_client client;
  auto listing = list_models(client, endpoint_at(server));
  ASSERT_FALSE(listing.has_value());
  EXPECT_TRUE(contains(listing.error().problem, "data[3].id missing")) << listing.error().problem;
}

TEST(EndpointProbe, WrongShapesAreNamedByTheirPath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([1,2])", "the response is array, expected an object"},
      {R"({"models":[]})", "data missing"},
      {R"({"data":{"id":"x"}})", "data is object, expected an array"},
      {R"({"data":["x"]})", "data[0] is string, expected an object"},
      {R"({"data":[{"id":7}]})", "data[0].id is number, expected a string"},
  };
  for (const auto& [body, expected] : cases) {
    loopback_http_server server(always(json_reply(200, body)));
    http_client client;
    auto listing = list_models(client, endpoint_at(server));
    ASSERT_FALSE(listing.has_value()) << body;
    EXPECT_TRUE(contains(listing.error().problem, expected)) << body << " -> " << listing.error().problem;
  }
}

TEST(EndpointProbe, UnreachableServerIsAnErrorWithAFix) {
  const std::string base = "http://127.0.0.1:" + std::to_string(test_support::unused_loopback_port()) + "/v1";
  http_client client;
  auto listing = list_models(client, endpoint{.base_url = base, .api_key = test_key, .timeout = 2s});
  ASSERT_FALSE(listing.has_value());
  EXPECT_EQ(listing.error().subject, "GET " + base + "/models");
  EXPECT_TRUE(contains(listing.error().fix, "--base-url")) << listing.error().fix;
}

TEST(EndpointProbe, SlowEndpointTimesOut) {
  loopback_http_server server(always({.body = R"({"data":[]})", .delay = 2s}));
  http_client client;
  endpoint ep = endpoint_at(server);
  ep.timeout = 300ms;
  auto listing = list_models(client, ep);
  ASSERT_FALSE(listing.has_value());
  EXPECT_TRUE(contains(listing.error().fix, "300 ms")) << listing.error().fix;
}

// ---- probe_chat_completion ----

constexpr const char* ok_completion = R"({
  "id": "chatcmpl-1", "object": "chat.completion",
  "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 14, "completion_tokens": 1, "total_tokens": 15}
})";

TEST(EndpointProbe, ChatProbeSendsOnePromptAndReadsReplyAndUsage) {
  loopback_http_server server(always(json_reply(200, ok_completion)));
  http_client client;
  auto probe = probe_chat_completion(client, endpoint_at(server), "my-model");

  ASSERT_TRUE(probe.has_value()) << probe.error().to_string();
  EXPECT_EQ(probe->reply, "ok");
  EXPECT_EQ(probe->prompt_tokens, 14);
  EXPECT_EQ(probe->completion_tokens, 1);
  EXPECT_GT(probe->latency_s, 0.0);

  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/v1/chat/completions");
  EXPECT_EQ(seen[0].header("authorization"), std::string("Bearer ") + test_key);
  EXPECT_EQ(seen[0].header("content-type"), "application/json");
  const json sent = json::parse(seen[0].body);
  EXPECT_EQ(sent.at("model"), "my-model");
  ASSERT_EQ(sent.at("messages").size(), 1U);
  EXPECT_EQ(sent.at("messages")[0].at("role"), "user");
  EXPECT_EQ(sent.at("messages")[0].at("content"), "Reply with the single word: ok");
  // 127.0.0.1 is not api.openai.com: the field every OpenAI-compatible server knows.
  EXPECT_EQ(sent.at("max_tokens"), 16);
  EXPECT_FALSE(sent.contains("max_completion_tokens"));
}

TEST(EndpointProbe, NullContentIsAnEmptyReplyAndMissingUsageIsMinusOne) {
  loopback_http_server server(
      always(json_reply(200, R"({"choices":[{"message":{"role":"assistant","content":null}}]})")));
  http_client client;
  auto probe = probe_chat_completion(client, endpoint_at(server), "m");
  ASSERT_TRUE(probe.has_value()) << probe.error().to_string();
  EXPECT_EQ(probe->reply, "");
  EXPECT_EQ(probe->prompt_tokens, -1);
  EXPECT_EQ(probe->completion_tokens, -1);
}

TEST(EndpointProbe, ContentPartsAreConcatenated) {
  loopback_http_server server(always(json_reply(
      200, R"({"choices":[{"message":{"content":[{"type":"text","text":"o"},{"type":"text","text":"k"}]}}]})")));
  http_client client;
  auto probe = probe_chat_completion(client, endpoint_at(server), "m");
  ASSERT_TRUE(probe.has_value()) << probe.error().to_string();
  EXPECT_EQ(probe->reply, "ok");
}

TEST(EndpointProbe, ChatReplyWithoutChoicesIsNamed) {
  loopback_http_server server(always(json_reply(200, R"({"choices":[]})")));
  http_client client;
  auto probe = probe_chat_completion(client, endpoint_at(server), "m");
  ASSERT_FALSE(probe.has_value());
  EXPECT_TRUE(contains(probe.error().problem, "choices is empty")) << probe.error().problem;
}

TEST(EndpointProbe, EchoedKeyIsRedactedFromEveryErrorText) {
  for (int status : {400, 401}) {
    // A misconfigured proxy that quotes the request headers back, twice, in its error body.
    loopback_http_server server([status](const received_request& r) {
      const std::string auth = r.header("authorization");
      return json_reply(status, R"({"error":{"message":"bad request with )" + auth + " (" + auth + ")\"}}");
    });
    http_client client;
    auto probe = probe_chat_completion(client, endpoint_at(server), "m");
    ASSERT_FALSE(probe.has_value());
    const std::string text = probe.error().to_string();
    EXPECT_TRUE(contains(text, "HTTP " + std::to_string(status))) << text;
    EXPECT_TRUE(contains(text, "Bearer [REDACTED] (Bearer [REDACTED])")) << text;
    EXPECT_FALSE(contains(text, test_key)) << text;
  }
}

TEST(EndpointProbe, KeyIsRedactedBeforeTheBodyIsCut) {
  // The key straddles the 300-character cut: a cut before redaction would leak its first half.
  const std::string padding(290, 'p');
  loopback_http_server server(always({.status = 500, .body = padding + test_key + std::string(50, 'q')}));
  http_client client;
  auto probe = probe_chat_completion(client, endpoint_at(server), "m");
  ASSERT_FALSE(probe.has_value());
  const std::string text = probe.error().to_string();
  EXPECT_FALSE(contains(text, std::string(test_key).substr(0, 6))) << text;
}

TEST(EndpointProbe, UnknownModelPointsAtModelName) {
  loopback_http_server server(always(json_reply(
      404, R"({"object":"error","message":"The model `no-such-model` does not exist.","type":"NotFoundError"})")));
  http_client client;
  auto probe = probe_chat_completion(client, endpoint_at(server), "no-such-model");
  ASSERT_FALSE(probe.has_value());
  EXPECT_TRUE(probe.error().problem.starts_with("HTTP 404")) << probe.error().problem;
  EXPECT_TRUE(contains(probe.error().problem, "does not exist")) << probe.error().problem;
  EXPECT_EQ(probe.error().fix, "check --model-name");
}

TEST(EndpointProbe, ChatNotFoundWithoutTheModelPointsAtBaseUrl) {
  loopback_http_server server(always({.status = 404, .body = "404 page not found"}));
  http_client client;
  auto probe = probe_chat_completion(client, endpoint_at(server), "some-model");
  ASSERT_FALSE(probe.has_value());
  EXPECT_EQ(probe.error().fix, "check --base-url (it usually ends in /v1)");
}

TEST(EndpointProbe, TokenLimitFieldDependsOnTheHost) {
  using detail::token_limit_field;
  EXPECT_EQ(token_limit_field("https://api.openai.com/v1"), "max_completion_tokens");
  EXPECT_EQ(token_limit_field("https://API.OpenAI.com:443/v1/"), "max_completion_tokens");
  EXPECT_EQ(token_limit_field("https://api.openai.com"), "max_completion_tokens");
  EXPECT_EQ(token_limit_field("http://localhost:8000/v1"), "max_tokens");
  EXPECT_EQ(token_limit_field("https://api.openai.com.example.net/v1"), "max_tokens");
  EXPECT_EQ(token_limit_field("https://proxy.example/api.openai.com/v1"), "max_tokens");
  EXPECT_EQ(token_limit_field("https://openrouter.ai/api/v1"), "max_tokens");
}

TEST(EndpointProbe, EndpointUrlStripsTrailingSlashes) {
  EXPECT_EQ(detail::endpoint_url("http://h/v1", "/models"), "http://h/v1/models");
  EXPECT_EQ(detail::endpoint_url("http://h/v1//", "/models"), "http://h/v1/models");
}

}  // namespace
}  // namespace ksearch::llm
