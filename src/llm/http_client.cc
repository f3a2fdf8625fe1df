#include "ksearch/llm/http_client.h"

#include <curl/curl.h>

#include "curl_request.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <stdexcept>

// Implementation details
//
// http_client::handle owns one CURL easy handle for the client's lifetime. Every perform() starts
// with curl_easy_reset, which clears the options of the previous request but keeps the handle's
// connection cache, so consecutive requests to the same host reuse the TCP/TLS connection.
//
// Response headers arrive through the header callback one line at a time, for every response curl
// sees: a "100 Continue" or a redirect is followed by the final response in the same transfer.
// A status line ("HTTP/...") therefore clears what was collected so far, and only the last
// response's headers and body remain.

namespace ksearch::llm {

curl_global::curl_global() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    throw std::runtime_error("curl_global_init failed");
  }
}

curl_global::~curl_global() { curl_global_cleanup(); }

std::string http_response::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* response = static_cast<http_response*>(user);
  return detail::consume_in_callback(size * count, [&] { response->body.append(data, size * count); });
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* response = static_cast<http_response*>(user);
  const std::string_view line(data, size * count);
  return detail::consume_in_callback(line.size(), [&] {
    // A new response begins (after 100 Continue or a redirect): its body replaces the old one too.
    if (line.starts_with("HTTP/")) response->body.clear();
    detail::collect_header_line(line, response->headers);
  });
}

}  // namespace

struct http_client::handle {
  handle() : curl(curl_easy_init()) {
    // curl_easy_init fails only when it cannot allocate or curl_global_init has not run.
    if (curl == nullptr) throw std::runtime_error("curl_easy_init failed (did main create a curl_global?)");
  }
  ~handle() { curl_easy_cleanup(curl); }

  // Neither copyable nor movable: curl keeps a pointer to error_buffer, which lives inside this
  // object. http_client moves the unique_ptr instead.
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;

  CURL* curl;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

http_client::http_client() : handle_(std::make_unique<handle>()) {}
http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;
http_client& http_client::operator=(http_client&&) noexcept = default;

result<http_response> http_client::perform(const http_request& request, transport_failure* failure) {
  const detail::failure_report report = detail::report_for(request, failure);
  if (auto refused = detail::unsupported_method(request, report)) return *refused;

  // A moved-from client is valid but has no handle; give it a fresh one.
  if (!handle_) handle_ = std::make_unique<handle>();
  CURL* curl = handle_->curl;
  curl_easy_reset(curl);
  handle_->error_buffer[0] = '\0';

  // Borrowed by curl until curl_easy_perform returns.
  http_response response;
  detail::header_list headers;

  // Steps 1 and 2: the request and transport behaviour; then decoding of compressed bodies.
  CURLcode setup = detail::set_request_options(curl, request, headers, handle_->error_buffer);
  auto set = [&setup](CURLcode code) {
    if (setup == CURLE_OK) setup = code;
  };
  // "" = offer every encoding this libcurl can decode (gzip, deflate, ...) and decode the body.
  set(curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, ""));

  // Step 3: where the response goes.
  set(curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body));
  set(curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response));
  set(curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header));
  set(curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response));
  if (setup != CURLE_OK) {
    return report(transport_failure::other,
                  std::string("curl_easy_setopt: ") + curl_easy_strerror(setup));
  }

  // Step 4: transfer, then classify the outcome.
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    return report(detail::classify(code), detail::transfer_problem(code, handle_->error_buffer));
  }

  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_off_t total_us = 0;  // [microseconds]
  if (curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK) {
    response.elapsed_s = static_cast<double>(total_us) / 1e6;
  }
  if (failure != nullptr) *failure = transport_failure::none;
  return response;
}

}  // namespace ksearch::llm
