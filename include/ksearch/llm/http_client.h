// ksearch/llm/http_client.h — a small HTTP client over libcurl.
//
// One http_client owns one CURL easy handle (connections are reused between calls). Transport
// failures (refused, DNS, timeout, TLS) are error values that keep curl's own message; an HTTP
// status of 4xx/5xx is NOT an error here, it is a response the caller interprets.
//
// curl_global_init must have run before the first client is made: `main` and the test main own a
// curl_global guard for the whole process.
//
// Thread-safety: one client per thread; clients are movable, not copyable.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch::llm {

/// Process-wide curl initialisation (curl_global_init / curl_global_cleanup). Create exactly one,
/// in main, before any thread starts.
class curl_global {
 public:
  curl_global();
  ~curl_global();
  curl_global(const curl_global&) = delete;
  curl_global& operator=(const curl_global&) = delete;
};

using http_header = std::pair<std::string, std::string>;

struct http_request {
  std::string method = "GET";  // "GET" or "POST"
  std::string url;
  std::vector<http_header> headers;  // e.g. {"Authorization", "Bearer ..."}
  std::string body;                  // sent for POST
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{120'000};
};

struct http_response {
  long status = 0;                    // HTTP status code
  std::string body;
  std::vector<http_header> headers;   // names lower-cased
  double elapsed_s = 0;               // total time of the transfer [seconds]

  /// The first header with this (lower-case) name, or "" when absent.
  [[nodiscard]] std::string header(std::string_view lower_name) const;
};

/// Why a request got no HTTP response at all.
enum class transport_failure { none, bad_url, resolve, connect, timeout, tls, send_or_receive, other };

class http_client {
 public:
  http_client();
  ~http_client();
  http_client(http_client&&) noexcept;
  http_client& operator=(http_client&&) noexcept;

  /// Performs the request. An error means no HTTP response arrived; its subject is
  /// "METHOD URL" and its problem curl's message. `failure`, when given, receives the kind
  /// (`none` on success). Redirects are returned, not followed; a compressed body is decoded;
  /// only the final response's headers are kept (not those of a "100 Continue"). A method other
  /// than GET or POST fails with `other` before anything is sent.
  [[nodiscard]] result<http_response> perform(const http_request& request,
                                              transport_failure* failure = nullptr);

 private:
  struct handle;  // owns the CURL* (defined in http_client.cc, where <curl/curl.h> lives)
  std::unique_ptr<handle> handle_;
};

}  // namespace ksearch::llm
