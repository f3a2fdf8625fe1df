#include "ksearch/llm/streaming_http.h"

#include <curl/curl.h>

#include "curl_request.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>
#include <string>

// Implementation details
//
// The stall watchdog lives in curl's progress callback (CURLOPT_XFERINFOFUNCTION), which curl
// calls many times a second while data flows and about once a second while it waits. The body
// and header callbacks stamp the time of the last byte; the progress callback aborts the transfer
// (CURLE_ABORTED_BY_CALLBACK) once that stamp is older than the stall timeout, so a stall is
// noticed within about a second of its deadline.
//
// The status is known once the header block ends: the body callback asks curl for it before
// deciding whether a piece belongs to the caller's stream (2xx) or to an error body it keeps.

namespace ksearch::llm {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::size_t max_error_body_bytes = 1 << 20;  // an error document longer than this is cut

/// Owns one easy handle and the header list borrowed by it during the transfer.
struct easy_transfer {
  easy_transfer() : curl(curl_easy_init()) {}
  ~easy_transfer() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
  easy_transfer(const easy_transfer&) = delete;
  easy_transfer& operator=(const easy_transfer&) = delete;

  CURL* curl;
  detail::header_list headers;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

/// What the callbacks share; lives on perform_streaming's stack for the whole transfer.
struct transfer_state {
  CURL* curl = nullptr;
  const body_sink* on_data = nullptr;
  http_response response;
  clock_type::time_point last_byte;
  std::chrono::milliseconds stall_timeout{0};
  bool stalled = false;
  bool stopped_by_sink = false;
  bool sink_failed = false;  // the sink threw: reported as an error, not rethrown through C code
};

// The callbacks run inside curl_easy_perform (C code): no exception may leave them.

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* state = static_cast<transfer_state*>(user);
  state->last_byte = clock_type::now();
  const std::string_view line(data, size * count);
  return detail::consume_in_callback(line.size(),
                                     [&] { detail::collect_header_line(line, state->response.headers); });
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* state = static_cast<transfer_state*>(user);
  const std::size_t bytes = size * count;
  state->last_byte = clock_type::now();
  long status = 0;
  curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &status);
  try {
    if (status < 200 || status >= 300) {
      const std::size_t room = max_error_body_bytes - std::min(max_error_body_bytes, state->response.body.size());
      state->response.body.append(data, std::min(bytes, room));
      return bytes;
    }
    if (!(*state->on_data)(std::string_view(data, bytes))) {
      state->stopped_by_sink = true;
      return 0;  // curl aborts with CURLE_WRITE_ERROR
    }
  } catch (...) {
    state->sink_failed = true;
    return 0;
  }
  return bytes;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
  auto* state = static_cast<transfer_state*>(user);
  if (state->stall_timeout.count() <= 0) return 0;
  if (clock_type::now() - state->last_byte < state->stall_timeout) return 0;
  state->stalled = true;
  return 1;  // abort the transfer
}

}  // namespace

result<http_response> perform_streaming(const http_request& request, const body_sink& on_data,
                                        std::chrono::milliseconds stall_timeout, transport_failure* failure) {
  const detail::failure_report report = detail::report_for(request, failure);
  if (auto refused = detail::unsupported_method(request, report)) return *refused;

  easy_transfer transfer;
  if (transfer.curl == nullptr) return report(transport_failure::other, "curl_easy_init failed");
  CURL* curl = transfer.curl;

  transfer_state state;
  state.curl = curl;
  state.on_data = &on_data;
  state.stall_timeout = stall_timeout;

  // Steps 1 and 2: the request and transport behaviour.
  CURLcode setup = detail::set_request_options(curl, request, transfer.headers, transfer.error_buffer);
  auto set = [&setup](CURLcode code) {
    if (setup == CURLE_OK) setup = code;
  };

  // Step 3: callbacks: body, headers, and the stall watchdog.
  set(curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body));
  set(curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state));
  set(curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header));
  set(curl_easy_setopt(curl, CURLOPT_HEADERDATA, &state));
  set(curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &on_progress));
  set(curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &state));
  set(curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L));
  if (setup != CURLE_OK) {
    return report(transport_failure::other, std::string("curl_easy_setopt: ") + curl_easy_strerror(setup));
  }

  // Step 4: transfer, then classify the outcome.
  const auto start = clock_type::now();
  state.last_byte = start;
  const CURLcode code = curl_easy_perform(curl);
  state.response.elapsed_s = std::chrono::duration<double>(clock_type::now() - start).count();
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &state.response.status);

  if (state.sink_failed) return report(transport_failure::other, "the stream consumer failed");
  if (state.stalled) {
    return report(transport_failure::timeout,
                  "no data for " + std::to_string(stall_timeout.count()) + " ms (stall timeout), after " +
                      std::to_string(static_cast<long long>(state.response.elapsed_s * 1000)) + " ms in total");
  }
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && state.stopped_by_sink)) {
    return report(detail::classify(code), detail::transfer_problem(code, transfer.error_buffer));
  }
  if (failure != nullptr) *failure = transport_failure::none;
  return std::move(state.response);
}

}  // namespace ksearch::llm
