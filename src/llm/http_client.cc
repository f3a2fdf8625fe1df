#include "ksearch/llm/http_client.h"

#include <curl/curl.h>

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

/// Owns a curl_slist (request headers). curl only borrows the list during curl_easy_perform, so
/// the owner must outlive the perform call.
class header_list {
 public:
  header_list() = default;
  ~header_list() { curl_slist_free_all(list_); }
  header_list(const header_list&) = delete;
  header_list& operator=(const header_list&) = delete;

  /// Appends "Name: value" (curl copies the string). False when curl could not allocate.
  [[nodiscard]] bool append(const std::string& line) {
    curl_slist* grown = curl_slist_append(list_, line.c_str());
    if (grown == nullptr) return false;
    list_ = grown;
    return true;
  }

  [[nodiscard]] curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
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
    case CURLE_OK:
      return transport_failure::none;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return transport_failure::bad_url;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return transport_failure::resolve;
    case CURLE_COULDNT_CONNECT:
      return transport_failure::connect;
    case CURLE_OPERATION_TIMEDOUT:
      return transport_failure::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074D00  // CURLE_SSL_CLIENTCERT is new in curl 7.77.0
    case CURLE_SSL_CLIENTCERT:
#endif
      return transport_failure::tls;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return transport_failure::send_or_receive;
    default:
      return transport_failure::other;
  }
}

// The callbacks run inside curl_easy_perform, i.e. inside C code: an exception must not unwind
// through it. A failed allocation returns a short count, which makes curl abort the transfer
// with CURLE_WRITE_ERROR.

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* response = static_cast<http_response*>(user);
  const std::size_t bytes = size * count;
  try {
    response->body.append(data, bytes);
  } catch (const std::exception&) {
    return 0;
  }
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* response = static_cast<http_response*>(user);
  const std::size_t bytes = size * count;
  try {
    const std::string_view line(data, bytes);
    if (line.starts_with("HTTP/")) {
      // A new response begins (after 100 Continue or a redirect): forget the previous one.
      response->headers.clear();
      response->body.clear();
      return bytes;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return bytes;  // the blank line ending the headers
    response->headers.emplace_back(to_lower(trim(line.substr(0, colon))),
                                   std::string(trim(line.substr(colon + 1))));
  } catch (const std::exception&) {
    return 0;
  }
  return bytes;
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
  const std::string subject = request.method + " " + request.url;
  auto report = [&](transport_failure kind, std::string problem) {
    if (failure != nullptr) *failure = kind;
    return fail(subject, std::move(problem));
  };

  if (request.method != "GET" && request.method != "POST") {
    return report(transport_failure::other, "unsupported HTTP method (ksearch sends GET or POST)");
  }

  // A moved-from client is valid but has no handle; give it a fresh one.
  if (!handle_) handle_ = std::make_unique<handle>();
  CURL* curl = handle_->curl;
  curl_easy_reset(curl);
  handle_->error_buffer[0] = '\0';

  // Both are borrowed by curl until curl_easy_perform returns.
  http_response response;
  header_list headers;

  // Step 1: request line, headers and body.
  for (const auto& [name, value] : request.headers) {
    if (!headers.append(name + ": " + value)) return report(transport_failure::other, "out of memory");
  }

  // Every option below is valid for this libcurl; setopt can still fail on allocation or when
  // curl was built without a feature (e.g. no zlib for Accept-Encoding). The first failure wins.
  CURLcode setup = CURLE_OK;
  auto set = [&setup](CURLcode code) {
    if (setup == CURLE_OK) setup = code;
  };

  set(curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str()));
  if (request.method == "POST") {
    // An empty "Expect:" stops curl from sending "Expect: 100-continue" for large bodies, which
    // costs a round trip (or a 1 s wait) on servers that never answer it.
    if (!headers.append("Expect:")) return report(transport_failure::other, "out of memory");
    set(curl_easy_setopt(curl, CURLOPT_POST, 1L));
    // Borrowed, not copied: request.body outlives curl_easy_perform below.
    set(curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data()));
    set(curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())));
  } else {
    set(curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L));
  }
  set(curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get()));
  set(curl_easy_setopt(curl, CURLOPT_USERAGENT, "ksearch/" KSEARCH_VERSION));
  // "" = offer every encoding this libcurl can decode (gzip, deflate, ...) and decode the body.
  set(curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, ""));
#if LIBCURL_VERSION_NUM >= 0x075500  // CURLOPT_PROTOCOLS_STR is new in curl 7.85.0
  // Only HTTP(S): a typo like "file://" or "ftp://" is a bad URL, not a surprising transfer.
  set(curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https"));
#endif

  // Step 2: transport behaviour.
  set(curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count())));
  set(curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count())));
  // Without NOSIGNAL, curl's timeouts use SIGALRM, which is not safe with several threads.
  set(curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L));
  // A redirect from an LLM endpoint is a configuration problem (http vs https, missing /v1);
  // following it would also resend the Authorization header to wherever it points.
  set(curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L));
  set(curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, handle_->error_buffer));

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
    std::string problem = handle_->error_buffer[0] != '\0' ? handle_->error_buffer : curl_easy_strerror(code);
    while (!problem.empty() && (problem.back() == '\n' || problem.back() == '\r')) problem.pop_back();
    return report(classify(code), std::move(problem));
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
