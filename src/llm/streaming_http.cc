#include "ksearch/llm/streaming_http.h"

#include <curl/curl.h>

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
    curl_slist_free_all(headers);
  }
  easy_transfer(const easy_transfer&) = delete;
  easy_transfer& operator=(const easy_transfer&) = delete;

  [[nodiscard]] bool add_header(const std::string& line) {
    curl_slist* grown = curl_slist_append(headers, line.c_str());
    if (grown == nullptr) return false;
    headers = grown;
    return true;
  }

  CURL* curl;
  curl_slist* headers = nullptr;
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

[[nodiscard]] std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

[[nodiscard]] std::string to_lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(),
                         [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return out;
}

[[nodiscard]] transport_failure classify(CURLcode code) {
  switch (code) {
    case CURLE_OK: return transport_failure::none;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return transport_failure::bad_url;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return transport_failure::resolve;
    case CURLE_COULDNT_CONNECT: return transport_failure::connect;
    case CURLE_OPERATION_TIMEDOUT: return transport_failure::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_USE_SSL_FAILED: return transport_failure::tls;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return transport_failure::send_or_receive;
    default: return transport_failure::other;
  }
}

// The callbacks run inside curl_easy_perform (C code): no exception may leave them.

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* state = static_cast<transfer_state*>(user);
  const std::size_t bytes = size * count;
  state->last_byte = clock_type::now();
  try {
    const std::string_view line(data, bytes);
    if (line.starts_with("HTTP/")) {
      state->response.headers.clear();  // a new response (after 100 Continue): forget the old one
      return bytes;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return bytes;
    state->response.headers.emplace_back(to_lower(trim(line.substr(0, colon))),
                                         std::string(trim(line.substr(colon + 1))));
  } catch (const std::exception&) {
    return 0;
  }
  return bytes;
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
  const std::string subject = request.method + " " + request.url;
  auto report = [&](transport_failure kind, std::string problem) {
    if (failure != nullptr) *failure = kind;
    return fail(subject, std::move(problem));
  };
  if (request.method != "GET" && request.method != "POST") {
    return report(transport_failure::other, "unsupported HTTP method (ksearch sends GET or POST)");
  }

  easy_transfer transfer;
  if (transfer.curl == nullptr) return report(transport_failure::other, "curl_easy_init failed");
  CURL* curl = transfer.curl;

  transfer_state state;
  state.curl = curl;
  state.on_data = &on_data;
  state.stall_timeout = stall_timeout;

  // Step 1: request line, headers and body.
  for (const auto& [name, value] : request.headers) {
    if (!transfer.add_header(name + ": " + value)) return report(transport_failure::other, "out of memory");
  }
  CURLcode setup = CURLE_OK;
  auto set = [&setup](CURLcode code) {
    if (setup == CURLE_OK) setup = code;
  };
  set(curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str()));
  if (request.method == "POST") {
    // No "Expect: 100-continue" round trip (see http_client.cc).
    if (!transfer.add_header("Expect:")) return report(transport_failure::other, "out of memory");
    set(curl_easy_setopt(curl, CURLOPT_POST, 1L));
    set(curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data()));
    set(curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())));
  } else {
    set(curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L));
  }
  set(curl_easy_setopt(curl, CURLOPT_HTTPHEADER, transfer.headers));
  set(curl_easy_setopt(curl, CURLOPT_USERAGENT, "ksearch/" KSEARCH_VERSION));
#if LIBCURL_VERSION_NUM >= 0x075500  // CURLOPT_PROTOCOLS_STR is new in curl 7.85.0
  set(curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https"));
#endif

  // Step 2: transport behaviour: timeouts, no signals, no redirects (they would resend the key).
  set(curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count())));
  set(curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count())));
  set(curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L));
  set(curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, transfer.error_buffer));

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
    std::string problem = transfer.error_buffer[0] != '\0' ? transfer.error_buffer : curl_easy_strerror(code);
    while (!problem.empty() && (problem.back() == '\n' || problem.back() == '\r')) problem.pop_back();
    return report(classify(code), std::move(problem));
  }
  if (failure != nullptr) *failure = transport_failure::none;
  return std::move(state.response);
}

}  // namespace ksearch::llm
