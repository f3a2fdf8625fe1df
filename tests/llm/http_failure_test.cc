#include "ksearch/llm/http_failure.h"

#include <gtest/gtest.h>

#include <string>

namespace ksearch::llm {
namespace {

constexpr const char* key = "sk-failure-test-123456";

[[nodiscard]] call_context context(bool responses = false) {
  return {"http://host/v1", "http://host/v1/chat/completions", "model-x", key, responses};
}

[[nodiscard]] http_response status(long code, std::string body = {}, std::vector<http_header> headers = {}) {
  http_response r;
  r.status = code;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(HttpFailure, StatusesMapToKindsAndRetryability) {
  struct expectation {
    long code;
    llm_failure kind;
    bool retryable;
  };
  for (const expectation& e : {expectation{400, llm_failure::bad_request, false}, {401, llm_failure::auth, false},
                               {402, llm_failure::quota, false}, {403, llm_failure::auth, false},
                               {404, llm_failure::not_found, false}, {408, llm_failure::unavailable, true},
                               {409, llm_failure::unavailable, true}, {413, llm_failure::bad_request, false},
                               {418, llm_failure::bad_request, false}, {422, llm_failure::bad_request, false},
                               {429, llm_failure::unavailable, true}, {500, llm_failure::unavailable, true},
                               {504, llm_failure::unavailable, true}, {302, llm_failure::bad_request, false},
                               {101, llm_failure::malformed_reply, false}}) {
    const classified_failure f = classify_status(status(e.code), context());
    EXPECT_EQ(f.error.kind, e.kind) << e.code;
    EXPECT_EQ(f.retryable, e.retryable) << e.code;
    EXPECT_EQ(f.error.detail.subject, "POST http://host/v1/chat/completions");
  }
}

TEST(HttpFailure, MessagesQuoteTheServerWithoutTheKey) {
  const classified_failure f = classify_status(
      status(500, std::string(R"({"error":{"message":"upstream said Bearer )") + key + R"(\n  twice"}})"), context());
  EXPECT_EQ(f.error.detail.problem, "HTTP 500: upstream said Bearer [REDACTED] twice");

  const classified_failure redirect = classify_status(status(301, "", {{"location", "https://host/v1/"}}), context());
  EXPECT_EQ(redirect.error.detail.problem, "HTTP 301: redirected to https://host/v1/");

  const classified_failure no_key = classify_status(status(401), call_context{"b", "u", "m", "", false});
  EXPECT_EQ(no_key.error.detail.problem, "HTTP 401: the endpoint requires an API key and none was given");
}

TEST(HttpFailure, NotFoundSaysWhichThingIsMissing) {
  EXPECT_EQ(classify_status(status(404, R"({"error":"model-x is not served here"})"), context()).error.detail.problem,
            "HTTP 404: model 'model-x' not found on http://host/v1 (server said: model-x is not served here)");
  EXPECT_EQ(classify_status(status(404, "{}"), context(true)).error.detail.fix,
            "pass --api-style chat (many OpenAI-compatible servers offer only /chat/completions)");
  EXPECT_EQ(classify_status(status(404, "Not Found"), context()).error.detail.fix,
            "check --base-url (it usually ends in /v1)");
}

TEST(HttpFailure, TransportFailuresNeedingAConfigChangeAreNotRetried) {
  const error e{"POST u", "curl said no", ""};
  EXPECT_FALSE(classify_transport(e, transport_failure::bad_url, context(), true).retryable);
  EXPECT_FALSE(classify_transport(e, transport_failure::tls, context(), true).retryable);
  EXPECT_TRUE(classify_transport(e, transport_failure::connect, context(), false).retryable);
  EXPECT_TRUE(classify_transport(e, transport_failure::timeout, context(), false).retryable);
  EXPECT_TRUE(classify_transport(e, transport_failure::send_or_receive, context(), false).retryable);
  // An unknown host on first contact is a typo; after the endpoint has answered, a DNS hiccup.
  const classified_failure first = classify_transport(e, transport_failure::resolve, context(), false);
  EXPECT_FALSE(first.retryable);
  EXPECT_EQ(first.error.detail.fix, "check the host name in --base-url");
  EXPECT_TRUE(classify_transport(e, transport_failure::resolve, context(), true).retryable);
  EXPECT_EQ(first.error.kind, llm_failure::unavailable);
  EXPECT_EQ(classify_transport(e, transport_failure::bad_url, context(), true).error.kind, llm_failure::bad_request);
}

TEST(HttpFailure, ExcerptIsOneLineAndCutOnACharacterBoundary) {
  EXPECT_EQ(one_line_excerpt("  a\n\n b\tc  "), "a b c");
  EXPECT_EQ(one_line_excerpt("abcdefghij", 8), "abcde...");
  // "é" is two bytes; a cut in its middle moves back to its start.
  EXPECT_EQ(one_line_excerpt("abcd\xC3\xA9" "fghij", 8), "abcd...");
  EXPECT_EQ(server_message(R"({"detail":"FastAPI says"})"), "FastAPI says");
  EXPECT_EQ(server_message(R"({"message":"vLLM says"})"), "vLLM says");
  EXPECT_EQ(server_message("<html>plain</html>"), "<html>plain</html>");
}

}  // namespace
}  // namespace ksearch::llm
