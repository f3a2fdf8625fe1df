// ksearch/llm/http_failure.h — what a failed HTTP exchange with an LLM endpoint means.
//
// Turns a transport failure or a non-2xx status into an llm_error whose kind tells the caller
// what to do (retry, fix the key, fix the model name, change the request), and says whether the
// retry loop may try again. Messages quote the server's own explanation, cut to one line, and
// every text that leaves here has the API key redacted, since a misconfigured proxy may echo
// the request (Authorization header included) into its error body.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ksearch/llm/http_client.h"
#include "ksearch/llm/llm_provider.h"

namespace ksearch::llm {

/// What the failure is about; used to make the messages specific.
struct call_context {
  std::string base_url;        // as configured (--base-url)
  std::string url;             // the URL the request went to
  std::string model;           // --model-name
  std::string api_key;         // redacted from every message; may be empty
  bool responses_api = false;  // the request went to /responses
};

struct classified_failure {
  llm_error error;
  bool retryable = false;
};

/// A non-2xx response. 408/409/429/5xx are retryable (as `unavailable`), except a 429 that says
/// the quota is exhausted (`quota`). 401/403 -> auth, 402 -> quota, 404 -> not_found (naming
/// the model when the server does), redirects and other 4xx -> bad_request.
[[nodiscard]] classified_failure classify_status(const http_response& response, const call_context& context);

/// A request that got no HTTP response. Timeouts, refused or reset connections and (once the
/// endpoint has answered before: `reached_before`) name resolution failures are retryable; a
/// malformed URL, a TLS failure and an unresolvable host on first contact are not (they need a
/// configuration change, and retrying them for minutes would only hide that).
[[nodiscard]] classified_failure classify_transport(const error& failure, transport_failure kind,
                                                    const call_context& context, bool reached_before);

/// The human-readable message of an error body: OpenAI's {"error":{"message":...}}, vLLM's
/// {"message":...}, FastAPI's {"detail":...}; the whole body when it has none of these.
[[nodiscard]] std::string server_message(std::string_view body);

/// `text` on one line (whitespace runs become one space), at most `limit` bytes, cut on a UTF-8
/// character boundary and ending in "..." when cut.
[[nodiscard]] std::string one_line_excerpt(std::string_view text, std::size_t limit = 300);

/// `e` with `secret` redacted from subject, problem and fix.
[[nodiscard]] error redacted(error e, std::string_view secret);

}  // namespace ksearch::llm
