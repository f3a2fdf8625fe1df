#include "ksearch/llm/http_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>

#include "support/loopback_http_server.h"

namespace ksearch::llm {
namespace {

using test_support::always;
using test_support::loopback_http_server;
using test_support::received_request;
using test_support::scripted_response;
using namespace std::chrono_literals;

[[nodiscard]] bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

/// A request with short timeouts: a broken test should fail in seconds, not hang for minutes.
[[nodiscard]] http_request get(std::string url) {
  http_request request;
  request.url = std::move(url);
  request.connect_timeout = 2s;
  request.total_timeout = 5s;
  return request;
}

TEST(HttpClient, GetRoundTripCarriesHeadersBothWays) {
  loopback_http_server server(always({.status = 200,
                                      .headers = {{"Content-Type", "text/plain"}, {"X-Reply", "  padded value  "}},
                                      .body = "hello"}));
  http_client client;
  http_request request = get(server.url("/v1/models?limit=2"));
  request.headers = {{"X-Custom", "custom value"}, {"Authorization", "Bearer k-1234"}};

  transport_failure failure = transport_failure::other;
  auto response = client.perform(request, &failure);

  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(failure, transport_failure::none);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->header("x-reply"), "padded value");
  EXPECT_EQ(response->header("content-type"), "text/plain");
  EXPECT_EQ(response->header("content-length"), "5");
  EXPECT_EQ(response->header("absent"), "");
  EXPECT_GT(response->elapsed_s, 0.0);

  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].path, "/v1/models?limit=2");
  EXPECT_EQ(seen[0].header("x-custom"), "custom value");
  EXPECT_EQ(seen[0].header("authorization"), "Bearer k-1234");
  EXPECT_TRUE(seen[0].body.empty());
}

TEST(HttpClient, PostSendsTheExactBodyWithoutExpectContinue) {
  loopback_http_server server(always({.status = 201, .body = "created"}));
  http_client client;
  http_request request = get(server.url("/v1/chat/completions"));
  request.method = "POST";
  request.headers = {{"Content-Type", "application/json"}};
  // Large enough that curl would otherwise send "Expect: 100-continue"; includes NUL bytes.
  request.body = std::string(200'000, 'x') + std::string("\0tail", 5);

  auto response = client.perform(request);

  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "created");
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, request.body);
  EXPECT_EQ(seen[0].header("content-length"), std::to_string(request.body.size()));
  EXPECT_EQ(seen[0].header("content-type"), "application/json");
  EXPECT_FALSE(seen[0].has_header("expect"));
}

TEST(HttpClient, ServerErrorStatusIsAResponseNotAnError) {
  loopback_http_server server(always({.status = 500, .body = R"({"error":"boom"})"}));
  http_client client;
  auto response = client.perform(get(server.url("/")));
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, R"({"error":"boom"})");
}

TEST(HttpClient, RedirectIsReturnedNotFollowed) {
  loopback_http_server server([](const received_request& r) {
    if (r.path == "/old") return scripted_response{.status = 302, .headers = {{"Location", "/new"}}};
    return scripted_response{.status = 200, .body = "followed"};
  });
  http_client client;
  auto response = client.perform(get(server.url("/old")));
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(response->header("location"), "/new");
  EXPECT_EQ(server.request_count(), 1U);
}

TEST(HttpClient, OnlyTheFinalResponsesHeadersAreKept) {
  loopback_http_server server(always({.raw = "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
                                             "HTTP/1.1 200 OK\r\nX-Final: 2\r\nContent-Length: 2\r\n\r\nok"}));
  http_client client;
  auto response = client.perform(get(server.url("/")));
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok");
  EXPECT_EQ(response->header("x-final"), "2");
  EXPECT_EQ(response->header("x-interim"), "");
}

TEST(HttpClient, GzipBodyIsDecoded) {
  static constexpr char gzip_hello[] =
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\xd7\x51\x48\xaf\xca\x2c\x00\x00\x4a\x9b"
      "\xb1\x5c\x0b\x00\x00\x00";
  loopback_http_server server(
      always({.headers = {{"Content-Encoding", "gzip"}}, .body = std::string(gzip_hello, sizeof gzip_hello - 1)}));
  http_client client;
  auto response = client.perform(get(server.url("/")));
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->body, "hello, gzip");
  EXPECT_TRUE(contains(server.requests().at(0).header("accept-encoding"), "gzip"));
}

TEST(HttpClient, RefusedConnectionIsConnectFailure) {
  const std::string url = "http://127.0.0.1:" + std::to_string(test_support::unused_loopback_port()) + "/v1/models";
  http_client client;
  transport_failure failure = transport_failure::none;
  auto response = client.perform(get(url), &failure);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(failure, transport_failure::connect);
  EXPECT_EQ(response.error().subject, "GET " + url);
  EXPECT_FALSE(response.error().problem.empty());
}

TEST(HttpClient, SlowServerTimesOutQuickly) {
  const auto start = std::chrono::steady_clock::now();
  {
    loopback_http_server server(always({.body = "late", .delay = 2s}));
    http_client client;
    http_request request = get(server.url("/slow"));
    request.total_timeout = 300ms;
    transport_failure failure = transport_failure::none;
    auto response = client.perform(request, &failure);
    ASSERT_FALSE(response.has_value());
    EXPECT_EQ(failure, transport_failure::timeout);
    EXPECT_TRUE(contains(response.error().problem, "imed out")) << response.error().problem;
  }  // the server's destructor must cut its 2 s delay short
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

TEST(HttpClient, TruncatedBodyIsSendOrReceiveFailure) {
  loopback_http_server server(always({.body = std::string(1000, 'b'), .truncate_body_at = 100}));
  http_client client;
  transport_failure failure = transport_failure::none;
  auto response = client.perform(get(server.url("/")), &failure);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(failure, transport_failure::send_or_receive);
}

TEST(HttpClient, HangUpWithoutReplyIsSendOrReceiveFailure) {
  loopback_http_server server(always({.close_without_reply = true}));
  http_client client;
  transport_failure failure = transport_failure::none;
  auto response = client.perform(get(server.url("/")), &failure);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(failure, transport_failure::send_or_receive);
  EXPECT_EQ(server.request_count(), 1U);
}

TEST(HttpClient, MalformedUrlIsBadUrl) {
  http_client client;
  for (const std::string url : {"http://", "ftp://127.0.0.1/file", "no-scheme with spaces"}) {
    transport_failure failure = transport_failure::none;
    auto response = client.perform(get(url), &failure);
    ASSERT_FALSE(response.has_value()) << url;
    EXPECT_EQ(failure, transport_failure::bad_url) << url << ": " << response.error().problem;
    EXPECT_EQ(response.error().subject, "GET " + url);
  }
}

TEST(HttpClient, UnsupportedMethodIsRefusedBeforeSending) {
  http_client client;
  http_request request = get("http://127.0.0.1:1/");
  request.method = "DELETE";
  transport_failure failure = transport_failure::none;
  auto response = client.perform(request, &failure);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(failure, transport_failure::other);
  EXPECT_EQ(response.error().subject, "DELETE http://127.0.0.1:1/");
}

TEST(HttpClient, OneClientServesManyRequestsOverOneConnection) {
  loopback_http_server server([](const received_request& r) { return scripted_response{.body = r.method + " " + r.path}; });
  http_client client;
  for (int i = 0; i < 3; ++i) {
    http_request request = get(server.url("/n/" + std::to_string(i)));
    if (i == 1) {
      request.method = "POST";
      request.body = "payload";
    }
    auto response = client.perform(request);
    ASSERT_TRUE(response.has_value()) << response.error().to_string();
    EXPECT_EQ(response->body, (i == 1 ? "POST /n/" : "GET /n/") + std::to_string(i));
  }
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[1].body, "payload");
  EXPECT_TRUE(seen[2].body.empty()) << "a GET after a POST must not resend the body";
  EXPECT_EQ(server.connection_count(), 1U) << "the easy handle should keep its connection alive";
}

TEST(HttpClient, ClientRecoversAfterATransportFailure) {
  loopback_http_server server([](const received_request& r) {
    if (r.path == "/drop") return scripted_response{.close_without_reply = true};
    return scripted_response{.body = "fine"};
  });
  http_client client;
  EXPECT_FALSE(client.perform(get(server.url("/drop"))).has_value());
  auto response = client.perform(get(server.url("/ok")));
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->body, "fine");
}

TEST(HttpClient, MovedClientKeepsWorking) {
  loopback_http_server server(always({.body = "moved"}));
  http_client first;
  http_client second(std::move(first));
  http_client third;
  third = std::move(second);
  auto response = third.perform(get(server.url("/")));
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->body, "moved");
  // A moved-from client is still usable (it makes a fresh handle).
  auto again = first.perform(get(server.url("/")));  // NOLINT(bugprone-use-after-move)
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
}

}  // namespace
}  // namespace ksearch::llm
