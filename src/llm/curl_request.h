// src/llm/curl_request.h — private to src/llm: what http_client.cc and streaming_http.cc share
// about driving one libcurl easy transfer. Not a public header: it exposes <curl/curl.h>.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <exception>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/llm/http_client.h"

namespace ksearch::llm::detail {

/// Owns a curl_slist (request headers). curl only borrows the list during curl_easy_perform, so
/// the owner must outlive the perform call.
class header_list {
 public:
  header_list() = default;
  ~header_list() { curl_slist_free_all(list_); }
  header_list(const header_list&) = delete;
  header_list& operator=(const header_list&) = delete;

  /// Appends "Name: value" (curl copies the string). False when curl could not allocate.
  [[nodiscard]] bool append(const std::string& line);
  [[nodiscard]] curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

/// Sets everything about `request` on `curl`: URL, method and body, headers (into `headers`, which
/// must outlive the transfer), user agent, protocols, timeouts, no signals, no redirects, and the
/// error buffer (CURL_ERROR_SIZE bytes). Returns the first failing setopt, or CURLE_OUT_OF_MEMORY
/// when a header could not be added. Response callbacks are the caller's.
[[nodiscard]] CURLcode set_request_options(CURL* curl, const http_request& request, header_list& headers,
                                           char* error_buffer);

/// What kind of transport failure a CURLcode is.
[[nodiscard]] transport_failure classify(CURLcode code);

/// curl's own message for a failed transfer: the error buffer when filled, else curl_easy_strerror.
[[nodiscard]] std::string transfer_problem(CURLcode code, const char* error_buffer);

/// Adds one header line to `headers` (names lower-cased, values trimmed); a status line ("HTTP/")
/// starts a new response, so earlier headers are dropped. Blank lines are ignored.
void collect_header_line(std::string_view line, std::vector<http_header>& headers);

/// How a transfer's failure is reported: an error whose subject is "METHOD URL", with its kind
/// stored in `*failure` when the caller asked for it.
struct failure_report {
  std::string subject;
  transport_failure* failure = nullptr;

  [[nodiscard]] std::unexpected<error> operator()(transport_failure kind, std::string problem) const;
};
[[nodiscard]] failure_report report_for(const http_request& request, transport_failure* failure);
/// The error for a method ksearch does not send (it sends GET and POST), else nullopt.
[[nodiscard]] std::optional<std::unexpected<error>> unsupported_method(const http_request& request,
                                                                      const failure_report& report);

/// The answer of a curl data or header callback that passes `bytes` to `consume`: `bytes`, or 0
/// (curl then aborts with CURLE_WRITE_ERROR) when `consume` throws. Callbacks run inside
/// curl_easy_perform, C code that no exception may unwind through; a failed allocation is the
/// usual throw.
template <class Consume>
[[nodiscard]] std::size_t consume_in_callback(std::size_t bytes, Consume&& consume) noexcept {
  try {
    consume();
  } catch (const std::exception&) {
    return 0;
  }
  return bytes;
}

}  // namespace ksearch::llm::detail
