// tests/support/loopback_http_server.h — a real HTTP/1.1 server on 127.0.0.1 for client tests.
//
// The server listens on an ephemeral port (bound to port 0) and accepts connections on a
// background thread; each connection gets its own thread, which reads requests (keep-alive, so a
// client that reuses its connection is served in order) and answers each with whatever the
// test's handler returns. A response can also misbehave on purpose: reply late, hang up without
// replying, or promise more body than it sends.
//
// Thread-safety: the handler runs on connection threads, possibly several at once, so it must be
// thread-safe if it touches shared state. requests() and the other accessors may be called from
// any thread at any time.
//
// Lifetime: the destructor stops accepting, wakes every connection thread (including one waiting
// out a `delay`), and joins them all, so a test that times out on a slow reply still ends quickly.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace ksearch::test_support {

using header_field = std::pair<std::string, std::string>;

/// One request as the server read it off the wire.
struct received_request {
  std::string method;                // "GET", "POST", ...
  std::string path;                  // the request target, query included: "/v1/models?x=1"
  std::string version;               // "HTTP/1.1"
  std::vector<header_field> headers; // names lower-cased, values trimmed, in arrival order
  std::string body;                  // exactly Content-Length bytes
  std::size_t connection = 0;        // 0 for the first connection accepted, 1 for the next, ...

  /// The first header with this lower-case name, or "" when absent.
  [[nodiscard]] std::string header(std::string_view lower_name) const;
  [[nodiscard]] bool has_header(std::string_view lower_name) const;
};

/// What the server does with one request. By default: 200, empty body, keep the connection open.
/// Every member has a default so that designated initializers may name only what they change.
struct scripted_response {
  int status = 200;
  std::vector<header_field> headers{};  // sent as given; Content-Length is added unless present
  std::string body{};

  /// Wait this long before replying (a slow server). The wait ends early when the server stops.
  std::chrono::milliseconds delay{0};
  /// Close the connection without sending anything (curl: "Empty reply from server").
  bool close_without_reply = false;
  /// Send Content-Length: body.size() but only the first *truncate_body_at bytes, then close.
  std::optional<std::size_t> truncate_body_at{};
  /// Close the connection after this reply even if the client asked to keep it alive.
  bool close_after_reply = false;
  /// Send these bytes verbatim instead of a formatted response (status/headers/body ignored);
  /// for interim responses, malformed status lines and the like.
  std::optional<std::string> raw{};
  /// Send these pieces verbatim, one after another, each after its own pause, then close (a
  /// streamed reply: SSE events that trickle in, or stop coming). Used when `raw` is not set;
  /// status/headers/body are ignored. A pause ends early when the server stops.
  std::vector<std::pair<std::chrono::milliseconds, std::string>> raw_parts{};
};

/// Always answers `response`.
[[nodiscard]] std::function<scripted_response(const received_request&)> always(scripted_response response);

class loopback_http_server {
 public:
  using handler = std::function<scripted_response(const received_request&)>;

  /// Binds 127.0.0.1:0 and starts accepting. Throws std::system_error (naming the call) when the
  /// socket cannot be set up.
  explicit loopback_http_server(handler on_request);
  ~loopback_http_server();
  loopback_http_server(const loopback_http_server&) = delete;
  loopback_http_server& operator=(const loopback_http_server&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  /// "http://127.0.0.1:<port>" followed by `path`.
  [[nodiscard]] std::string url(std::string_view path = "") const;

  /// Every request received so far, in the order the handler was called.
  [[nodiscard]] std::vector<received_request> requests() const;
  [[nodiscard]] std::size_t request_count() const;
  /// Connections accepted so far.
  [[nodiscard]] std::size_t connection_count() const;

 private:
  struct connection {
    int fd;  // owned; -1 once the connection thread has closed it (guarded by mutex_)
    std::size_t index;
    std::thread thread;
  };

  void accept_loop();
  void serve(connection& conn);
  void record(const received_request& request);
  void close_connection(connection& conn);
  /// Sleeps up to `delay`; false when the server is stopping.
  [[nodiscard]] bool wait(std::chrono::milliseconds delay);

  handler on_request_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};  // writing to [1] wakes the accept loop's poll()
  std::uint16_t port_ = 0;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable stopping_cv_;
  bool stopping_ = false;
  std::list<connection> connections_;  // a list: serve() holds references across insertions
  std::vector<received_request> requests_;

  std::thread accept_thread_;  // last: started after everything above is initialised
};

/// A loopback port that nothing listens on (bound, read, then closed). Connecting to it is
/// refused, unless another process grabs the port in between, which is unlikely.
[[nodiscard]] std::uint16_t unused_loopback_port();

}  // namespace ksearch::test_support
