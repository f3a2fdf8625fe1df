#include "ksearch/llm/streaming_http.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/event_stream.h"
#include "support/loopback_http_server.h"

namespace ksearch::llm {
namespace {

using test_support::always;
using test_support::event_stream;
using test_support::loopback_http_server;
using test_support::stream_end;
using test_support::stream_piece;
using namespace std::chrono_literals;

[[nodiscard]] http_request post(std::string url) {
  http_request r;
  r.method = "POST";
  r.url = std::move(url);
  r.body = R"({"stream":true})";
  r.headers = {{"Content-Type", "application/json"}};
  r.connect_timeout = 2s;
  r.total_timeout = 10s;
  return r;
}

TEST(StreamingHttp, PiecesArriveInOrderAsTheyAreSent) {
  loopback_http_server server(always(event_stream({{0ms, "one "}, {50ms, "two "}, {50ms, "three"}})));
  std::vector<std::string> pieces;
  std::vector<std::chrono::steady_clock::time_point> when;
  const body_sink sink = [&](std::string_view piece) {
    pieces.emplace_back(piece);
    when.push_back(std::chrono::steady_clock::now());
    return true;
  };
  transport_failure failure = transport_failure::other;
  auto response = perform_streaming(post(server.url("/v1/chat/completions")), sink, 2s, &failure);
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(failure, transport_failure::none);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("content-type"), "text/event-stream");
  EXPECT_TRUE(response->body.empty());
  std::string joined;
  for (const std::string& p : pieces) joined += p;
  EXPECT_EQ(joined, "one two three");
  ASSERT_GE(pieces.size(), 3U);  // delivered as they came, not at the end
  EXPECT_GE(when.back() - when.front(), 80ms);
  EXPECT_EQ(server.requests().at(0).body, R"({"stream":true})");
  EXPECT_FALSE(server.requests().at(0).has_header("expect"));
}

TEST(StreamingHttp, ErrorStatusBodyIsCollectedNotStreamed) {
  loopback_http_server server(always({.status = 429, .headers = {{"Retry-After", "3"}}, .body = R"({"error":"slow"})"}));
  bool called = false;
  auto response = perform_streaming(post(server.url("/")), [&](std::string_view) { return called = true; }, 2s);
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_FALSE(called);
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(response->body, R"({"error":"slow"})");
  EXPECT_EQ(response->header("retry-after"), "3");
}

TEST(StreamingHttp, StallIsNoticedSoonAfterTheTimeout) {
  loopback_http_server server(always(event_stream({{0ms, "first"}}, stream_end::stall, 10s)));
  std::string got;
  transport_failure failure = transport_failure::none;
  const auto start = std::chrono::steady_clock::now();
  auto response = perform_streaming(
      post(server.url("/")), [&](std::string_view p) { got += p; return true; }, 250ms, &failure);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(failure, transport_failure::timeout);
  EXPECT_EQ(got, "first");
  EXPECT_TRUE(response.error().problem.starts_with("no data for 250 ms (stall timeout)")) << response.error().problem;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2500ms);
}

TEST(StreamingHttp, SlowFirstByteCountsAsAStall) {
  loopback_http_server server(always({.status = 200, .body = "late", .delay = 5s}));
  transport_failure failure = transport_failure::none;
  auto response = perform_streaming(post(server.url("/")), [](std::string_view) { return true; }, 200ms, &failure);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(failure, transport_failure::timeout);
}

TEST(StreamingHttp, SinkCanStopTheTransferEarly) {
  loopback_http_server server(always(event_stream({{0ms, "enough"}, {3s, "never read"}})));
  const auto start = std::chrono::steady_clock::now();
  auto response = perform_streaming(post(server.url("/")), [](std::string_view) { return false; }, 10s);
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(StreamingHttp, HangUpMidStreamIsAReceiveFailure) {
  loopback_http_server server(always(event_stream({{0ms, "half"}}, stream_end::hang_up)));
  transport_failure failure = transport_failure::none;
  auto response = perform_streaming(post(server.url("/")), [](std::string_view) { return true; }, 2s, &failure);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(failure, transport_failure::send_or_receive);
  EXPECT_EQ(response.error().subject, "POST " + server.url("/"));
}

TEST(StreamingHttp, RefusedConnectionAndBadMethodAreClassified) {
  transport_failure failure = transport_failure::none;
  const std::string url = "http://127.0.0.1:" + std::to_string(test_support::unused_loopback_port()) + "/";
  auto refused = perform_streaming(post(url), [](std::string_view) { return true; }, 1s, &failure);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(failure, transport_failure::connect);

  http_request put = post(url);
  put.method = "PUT";
  auto bad = perform_streaming(put, [](std::string_view) { return true; }, 1s, &failure);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(failure, transport_failure::other);
}

}  // namespace
}  // namespace ksearch::llm
