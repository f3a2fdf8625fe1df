#include "support/loopback_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ksearch::test_support {
namespace {

using namespace std::chrono_literals;

/// A raw TCP client, to send bytes that libcurl would never produce (pipelined or chunked requests,
/// an Expect handshake done by hand). Receives time out after 5 s so a broken server fails the
/// test instead of hanging it.
class raw_client {
 public:
  explicit raw_client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket");
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(0x7F000001U);
    addr.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect");
    }
  }
  ~raw_client() { ::close(fd_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void send(std::string_view data) const {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send");
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Receives until `marker` has arrived (or, for an empty marker, until the server closes).
  [[nodiscard]] std::string receive_until(std::string_view marker = {}) {
    while (marker.empty() || received_.find(marker) == std::string::npos) {
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      received_.append(chunk, static_cast<std::size_t>(n));
    }
    return received_;
  }

 private:
  int fd_;
  std::string received_;
};

[[nodiscard]] std::size_t count(const std::string& text, std::string_view part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

[[nodiscard]] loopback_http_server::handler echo_path() {
  return [](const received_request& r) { return scripted_response{.body = r.path + "|" + r.body}; };
}

TEST(LoopbackHttpServer, PipelinedRequestsOnOneConnectionAreAnsweredInOrder) {
  loopback_http_server server(echo_path());
  raw_client client(server.port());
  client.send("POST /a?q=1 HTTP/1.1\r\nHost: x\r\nX-Mixed-Case:  v1 \r\nContent-Length: 3\r\n\r\nabc"
              "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string reply = client.receive_until();

  EXPECT_EQ(count(reply, "HTTP/1.1 200 OK\r\n"), 2U) << reply;
  EXPECT_LT(reply.find("/a?q=1|abc"), reply.find("/b|")) << reply;
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/a?q=1");
  EXPECT_EQ(seen[0].version, "HTTP/1.1");
  EXPECT_EQ(seen[0].header("x-mixed-case"), "v1");
  EXPECT_EQ(seen[0].body, "abc");
  EXPECT_EQ(seen[1].path, "/b");
  EXPECT_EQ(seen[0].connection, seen[1].connection);
}

TEST(LoopbackHttpServer, ChunkedRequestBodyIsDecoded) {
  loopback_http_server server(echo_path());
  raw_client client(server.port());
  client.send("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
              "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n");
  EXPECT_NE(client.receive_until().find("/c|hello, world"), std::string::npos);
  EXPECT_EQ(server.requests().at(0).body, "hello, world");
}

TEST(LoopbackHttpServer, ExpectContinueIsAnsweredBeforeTheBody) {
  loopback_http_server server(echo_path());
  raw_client client(server.port());
  client.send("POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n");
  EXPECT_NE(client.receive_until("\r\n\r\n").find("HTTP/1.1 100 Continue"), std::string::npos);
  client.send("body");
  EXPECT_NE(client.receive_until().find("/e|body"), std::string::npos);
}

TEST(LoopbackHttpServer, Http10ConnectionIsClosedAfterTheReply) {
  loopback_http_server server(always({.body = "bye"}));
  raw_client client(server.port());
  client.send("GET / HTTP/1.0\r\n\r\n");
  const std::string reply = client.receive_until();  // returns only because the server closed
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
  EXPECT_TRUE(reply.ends_with("bye")) << reply;
}

TEST(LoopbackHttpServer, ThrowingHandlerBecomesA500NamingTheException) {
  loopback_http_server server([](const received_request&) -> scripted_response {
    throw std::runtime_error("script bug");
  });
  raw_client client(server.port());
  client.send("GET / HTTP/1.1\r\n\r\n");
  const std::string reply = client.receive_until();
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 500 ")) << reply;
  EXPECT_NE(reply.find("handler threw: script bug"), std::string::npos) << reply;
}

TEST(LoopbackHttpServer, TruncatedReplyPromisesMoreThanItSends) {
  loopback_http_server server(always({.body = "0123456789", .truncate_body_at = 4}));
  raw_client client(server.port());
  client.send("GET / HTTP/1.1\r\n\r\n");
  const std::string reply = client.receive_until();
  EXPECT_NE(reply.find("Content-Length: 10\r\n"), std::string::npos) << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\n0123")) << reply;
}

TEST(LoopbackHttpServer, ScriptedContentLengthIsNotDuplicated) {
  loopback_http_server server(always({.headers = {{"content-length", "2"}}, .body = "ok"}));
  raw_client client(server.port());
  client.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string reply = client.receive_until();
  EXPECT_EQ(count(reply, "ontent-"), 1U) << reply;
}

TEST(LoopbackHttpServer, ConcurrentClientsAreServedOnSeparateConnections) {
  std::atomic<int> in_handler = 0;
  std::atomic<int> max_in_handler = 0;
  loopback_http_server server([&](const received_request&) {
    const int now = ++in_handler;
    for (int seen = max_in_handler; now > seen && !max_in_handler.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(100ms);
    --in_handler;
    return scripted_response{.body = "x"};
  });
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&server] {
      raw_client client(server.port());
      client.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
      static_cast<void>(client.receive_until());
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(server.request_count(), 4U);
  EXPECT_EQ(server.connection_count(), 4U);
  EXPECT_GT(max_in_handler.load(), 1) << "one slow client must not hold up the others";
}

TEST(LoopbackHttpServer, DestructorIsPromptWithIdleAndDelayedConnections) {
  const auto start = std::chrono::steady_clock::now();
  {
    loopback_http_server server(always({.delay = 10s}));
    raw_client idle(server.port());      // connected, never sends anything
    raw_client delayed(server.port());   // its reply is 10 s away
    delayed.send("GET / HTTP/1.1\r\n\r\n");
    for (int i = 0; i < 1000 && server.request_count() == 0; ++i) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(server.request_count(), 1U);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(LoopbackHttpServer, UnusedPortRefusesConnections) {
  EXPECT_THROW(raw_client client(unused_loopback_port()), std::runtime_error);
}

}  // namespace
}  // namespace ksearch::test_support
