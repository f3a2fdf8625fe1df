#include "curl_request.h"

#include "ksearch/common/text.h"

namespace ksearch::llm::detail {

bool header_list::append(const std::string& line) {
  curl_slist* grown = curl_slist_append(list_, line.c_str());
  if (grown == nullptr) return false;
  list_ = grown;
  return true;
}

CURLcode set_request_options(CURL* curl, const http_request& request, header_list& headers, char* error_buffer) {
  for (const auto& [name, value] : request.headers) {
    if (!headers.append(name + ": " + value)) return CURLE_OUT_OF_MEMORY;
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
    if (!headers.append("Expect:")) return CURLE_OUT_OF_MEMORY;
    set(curl_easy_setopt(curl, CURLOPT_POST, 1L));
    // Borrowed, not copied: request.body outlives curl_easy_perform.
    set(curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data()));
    set(curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())));
  } else {
    set(curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L));
  }
  set(curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get()));
  set(curl_easy_setopt(curl, CURLOPT_USERAGENT, "ksearch/" KSEARCH_VERSION));
#if LIBCURL_VERSION_NUM >= 0x075500  // CURLOPT_PROTOCOLS_STR is new in curl 7.85.0
  // Only HTTP(S): a typo like "file://" or "ftp://" is a bad URL, not a surprising transfer.
  set(curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https"));
#endif
  set(curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count())));
  set(curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count())));
  // Without NOSIGNAL, curl's timeouts use SIGALRM, which is not safe with several threads.
  set(curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L));
  // A redirect from an LLM endpoint is a configuration problem (http vs https, missing /v1);
  // following it would also resend the Authorization header to wherever it points.
  set(curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L));
  set(curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer));
  return setup;
}

transport_failure classify(CURLcode code) {
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

std::string transfer_problem(CURLcode code, const char* error_buffer) {
  std::string problem = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  while (!problem.empty() && (problem.back() == '\n' || problem.back() == '\r')) problem.pop_back();
  return problem;
}

void collect_header_line(std::string_view line, std::vector<http_header>& headers) {
  if (line.starts_with("HTTP/")) {
    headers.clear();  // a new response (after 100 Continue or a redirect): forget the old one
    return;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;  // the blank line ending the headers
  headers.emplace_back(to_lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
}

std::unexpected<error> failure_report::operator()(transport_failure kind, std::string problem) const {
  if (failure != nullptr) *failure = kind;
  return fail(subject, std::move(problem));
}

failure_report report_for(const http_request& request, transport_failure* failure) {
  return {request.method + " " + request.url, failure};
}

std::optional<std::unexpected<error>> unsupported_method(const http_request& request, const failure_report& report) {
  if (request.method == "GET" || request.method == "POST") return std::nullopt;
  return report(transport_failure::other, "unsupported HTTP method (ksearch sends GET or POST)");
}

}  // namespace ksearch::llm::detail
