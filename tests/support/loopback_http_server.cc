#include "support/loopback_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <exception>
#include <system_error>

// Implementation details
//
// Requests are parsed from a per-connection buffer that may hold more than one request (a client
// may pipeline); whatever follows the current request stays in the buffer for the next one.
// Bodies are read by Content-Length or, for "Transfer-Encoding: chunked", by decoding the chunks.
// An "Expect: 100-continue" is answered before the body is read, as a real server would.
//
// Stopping: the destructor sets stopping_ (waking delay waits), writes to the wake pipe (waking
// the accept loop's poll), then shuts down every open connection socket (waking a recv). A
// connection thread closes its own socket under mutex_ and marks it -1, so the destructor never
// touches a descriptor number that the process may already have reused.

namespace ksearch::test_support {

namespace {

constexpr std::size_t max_head_bytes = 64 * 1024;  // larger request heads are treated as garbage

[[noreturn]] void throw_errno(const char* call) {
  throw std::system_error(errno, std::generic_category(), std::string("loopback_http_server: ") + call);
}

[[nodiscard]] std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(),
                         [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return out;
}

[[nodiscard]] std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// Appends whatever recv returns to `buffer`. False on EOF (the peer closed, or the server shut
/// the socket down to stop) and on errors.
[[nodiscard]] bool receive_more(int fd, std::string& buffer) {
  char chunk[16 * 1024];
  while (true) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

/// Sends all of `data`. MSG_NOSIGNAL: a client that already hung up (e.g. after its own timeout)
/// must produce EPIPE here, not a SIGPIPE that kills the test binary.
[[nodiscard]] bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Receives until `buffer` holds `delimiter`; returns the offset just past it, or npos on EOF or
/// when more than `limit` bytes arrive without it.
[[nodiscard]] std::size_t receive_until(int fd, std::string& buffer, std::string_view delimiter,
                                        std::size_t limit) {
  std::size_t searched = 0;
  while (true) {
    const std::size_t at = buffer.find(delimiter, searched);
    if (at != std::string::npos) return at + delimiter.size();
    if (buffer.size() > limit) return std::string::npos;
    searched = buffer.size() >= delimiter.size() ? buffer.size() - delimiter.size() + 1 : 0;
    if (!receive_more(fd, buffer)) return std::string::npos;
  }
}

[[nodiscard]] bool receive_at_least(int fd, std::string& buffer, std::size_t bytes) {
  while (buffer.size() < bytes) {
    if (!receive_more(fd, buffer)) return false;
  }
  return true;
}

[[nodiscard]] std::optional<std::size_t> parse_size(std::string_view text, int base) {
  text = trim(text);
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

/// Parses the request line and headers in `head` (without the final blank line).
[[nodiscard]] std::optional<received_request> parse_head(std::string_view head) {
  received_request request;
  const std::size_t line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  const std::size_t sp1 = request_line.find(' ');
  const std::size_t sp2 = request_line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return std::nullopt;
  request.method = request_line.substr(0, sp1);
  request.path = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  request.version = request_line.substr(sp2 + 1);

  std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!rest.empty()) {
    const std::size_t end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    request.headers.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
  return request;
}

/// Decodes a chunked body from the front of `buffer` into `body`, consuming it. False on EOF or
/// malformed framing.
[[nodiscard]] bool receive_chunked(int fd, std::string& buffer, std::string& body) {
  while (true) {
    const std::size_t line_end = receive_until(fd, buffer, "\r\n", max_head_bytes);
    if (line_end == std::string::npos) return false;
    const std::string_view size_line = std::string_view(buffer).substr(0, line_end - 2);
    const auto size = parse_size(size_line.substr(0, size_line.find(';')), 16);
    if (!size) return false;
    buffer.erase(0, line_end);
    if (*size == 0) break;
    if (!receive_at_least(fd, buffer, *size + 2)) return false;
    body.append(buffer, 0, *size);
    buffer.erase(0, *size + 2);  // the data and its CRLF
  }
  // Trailer fields (ignored) up to the blank line.
  while (true) {
    const std::size_t line_end = receive_until(fd, buffer, "\r\n", max_head_bytes);
    if (line_end == std::string::npos) return false;
    buffer.erase(0, line_end);
    if (line_end == 2) return true;
  }
}

/// Reads one request from `fd`, consuming it from `buffer`. nullopt on EOF or a malformed request.
[[nodiscard]] std::optional<received_request> receive_request(int fd, std::string& buffer) {
  const std::size_t head_end = receive_until(fd, buffer, "\r\n\r\n", max_head_bytes);
  if (head_end == std::string::npos) return std::nullopt;
  auto request = parse_head(std::string_view(buffer).substr(0, head_end - 4));
  buffer.erase(0, head_end);
  if (!request) return std::nullopt;

  if (lower(request->header("expect")) == "100-continue") {
    if (!send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n")) return std::nullopt;
  }
  if (lower(request->header("transfer-encoding")).find("chunked") != std::string::npos) {
    if (!receive_chunked(fd, buffer, request->body)) return std::nullopt;
    return request;
  }
  if (request->has_header("content-length")) {
    const auto length = parse_size(request->header("content-length"), 10);
    if (!length || !receive_at_least(fd, buffer, *length)) return std::nullopt;
    request->body = buffer.substr(0, *length);
    buffer.erase(0, *length);
  }
  return request;
}

[[nodiscard]] std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

[[nodiscard]] std::string format_head(const scripted_response& response, bool closing) {
  std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " +
                     std::string(reason_phrase(response.status)) + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : response.headers) {
    head += name + ": " + value + "\r\n";
    has_length = has_length || lower(name) == "content-length";
  }
  if (!has_length) head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  if (closing) head += "Connection: close\r\n";
  head += "\r\n";
  return head;
}

[[nodiscard]] bool wants_close(const received_request& request) {
  return request.version == "HTTP/1.0" || lower(request.header("connection")) == "close";
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::string received_request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

bool received_request::has_header(std::string_view lower_name) const {
  return std::ranges::any_of(headers, [&](const header_field& h) { return h.first == lower_name; });
}

std::function<scripted_response(const received_request&)> always(scripted_response response) {
  return [response = std::move(response)](const received_request&) { return response; };
}

loopback_http_server::loopback_http_server(handler on_request) : on_request_(std::move(on_request)) {
  try {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw_errno("socket");
    const int one = 1;
    if (::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) throw_errno("setsockopt");

    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(0x7F000001U);  // 127.0.0.1
    addr.sin_port = 0;                          // the kernel picks a free port
    if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) throw_errno("bind 127.0.0.1:0");
    if (::listen(listen_fd_, 64) != 0) throw_errno("listen");
    socklen_t len = sizeof addr;
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) throw_errno("getsockname");
    port_ = ntohs(addr.sin_port);

    if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) throw_errno("pipe2");
    accept_thread_ = std::thread([this] { accept_loop(); });
  } catch (...) {
    close_fd(listen_fd_);
    close_fd(wake_pipe_[0]);
    close_fd(wake_pipe_[1]);
    throw;
  }
}

loopback_http_server::~loopback_http_server() {
  // Step 1: stop accepting and cut short every delay.
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stopping_cv_.notify_all();
  const char wake = 'x';
  while (::write(wake_pipe_[1], &wake, 1) < 0 && errno == EINTR) {
  }
  accept_thread_.join();  // after this, connections_ no longer grows

  // Step 2: wake connection threads blocked in recv, then join them (without the lock, which they
  // need to record requests and close their sockets).
  {
    std::lock_guard lock(mutex_);
    for (connection& conn : connections_) {
      if (conn.fd >= 0) ::shutdown(conn.fd, SHUT_RDWR);
    }
  }
  for (connection& conn : connections_) conn.thread.join();

  close_fd(listen_fd_);
  close_fd(wake_pipe_[0]);
  close_fd(wake_pipe_[1]);
}

std::string loopback_http_server::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::vector<received_request> loopback_http_server::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t loopback_http_server::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

std::size_t loopback_http_server::connection_count() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

void loopback_http_server::accept_loop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;

    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      // The client may have given up between poll and accept; keep serving.
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      return;
    }
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    connection& conn = connections_.emplace_back(connection{fd, connections_.size(), std::thread()});
    conn.thread = std::thread([this, &conn] { serve(conn); });
  }
}

void loopback_http_server::serve(connection& conn) {
  int fd = 0;
  {
    std::lock_guard lock(mutex_);
    fd = conn.fd;
  }
  std::string buffer;  // received bytes not yet consumed by a request
  while (true) {
    // Step 1: read and record the request.
    auto request = receive_request(fd, buffer);
    if (!request) break;
    request->connection = conn.index;
    record(*request);

    // Step 2: ask the script. A throwing handler becomes a 500 that names the exception, so the
    // test sees the failure instead of a std::terminate.
    scripted_response response;
    try {
      response = on_request_(*request);
    } catch (const std::exception& e) {
      response = scripted_response{.status = 500, .body = std::string("handler threw: ") + e.what()};
      response.close_after_reply = true;
    }

    // Step 3: misbehave as scripted, or reply.
    if (response.delay.count() > 0 && !wait(response.delay)) break;
    if (response.close_without_reply) break;
    if (response.raw) {
      static_cast<void>(send_all(fd, *response.raw));
      break;  // the framing of raw bytes is unknown, so the connection cannot be reused
    }
    if (!response.raw_parts.empty()) {
      for (const auto& [pause, bytes] : response.raw_parts) {
        if ((pause.count() > 0 && !wait(pause)) || !send_all(fd, bytes)) break;
      }
      break;  // as for raw: unknown framing
    }
    const bool closing = response.close_after_reply || response.truncate_body_at.has_value() || wants_close(*request);
    std::string_view body = response.body;
    if (response.truncate_body_at) body = body.substr(0, std::min(*response.truncate_body_at, body.size()));
    if (!send_all(fd, format_head(response, closing)) || !send_all(fd, body) || closing) break;
  }
  close_connection(conn);
}

void loopback_http_server::record(const received_request& request) {
  std::lock_guard lock(mutex_);
  requests_.push_back(request);
}

void loopback_http_server::close_connection(connection& conn) {
  std::lock_guard lock(mutex_);
  close_fd(conn.fd);
}

bool loopback_http_server::wait(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !stopping_cv_.wait_for(lock, delay, [this] { return stopping_; });
}

std::uint16_t unused_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(0x7F000001U);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    throw_errno("bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace ksearch::test_support
