// ksearch/llm/llm_provider.h — the one interface the search uses to ask a model for text.
//
// A provider turns an llm_request (model + chat messages + generation options) into an
// llm_reply (text, reasoning, usage, latency, finish reason, the raw reply) or an llm_error whose
// kind says what the caller can do about it: wait and retry later, fix the key, fix the model
// name, stop because a budget was reached, re-ask because the reply was unusable, and so on.
//
// Implementations: openai_provider (HTTP: Chat Completions or Responses API), replay_provider
// (answers from a recorded transcript), exchange_provider (a person or another tool answers
// through files), and metered_provider, which wraps any of them with budgets, usage accounting
// and the transcript. provider_factory.h builds the right stack from the flags.
//
// Thread-safety: complete() may be called from several threads at once (a search round asks for
// several candidates in parallel); name() too. Each implementation's header says how it does it:
// some overlap the calls, replay_provider serves them one at a time.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/llm/usage.h"

namespace ksearch::llm {

struct chat_message {
  std::string role;     // "system", "developer", "user" or "assistant"
  std::string content;

  friend bool operator==(const chat_message&, const chat_message&) = default;
};

/// Per-request overrides of the provider's configured generation settings; unset = the provider's.
struct generation_options {
  std::optional<double> temperature;
  std::optional<long> max_output_tokens;          // [tokens]
  std::optional<std::string> reasoning_effort;    // "none", "minimal", "low", "medium", "high", "xhigh"
};

struct llm_request {
  std::string model;                   // the model id at the endpoint (--model-name)
  std::vector<chat_message> messages;  // in order; at least one
  generation_options options;
  std::string purpose;                 // what the call is for ("codegen", "wm_init"...): recorded, not sent
};

struct llm_reply {
  std::string text;           // the assistant's answer (may be empty, e.g. cut by the token cap)
  std::string reasoning;      // reasoning text or summary when the server returns one, else ""
  token_usage usage;          // counts the server reported
  std::optional<double> cost_usd;  // [USD]; set by metered_provider from the pricing table, nullopt = unknown
  double latency_s = 0;       // wall time of the call, retries and waits included [seconds]
  std::string finish_reason;  // "stop", "length", "content_filter", "tool_calls", ... as reported; "" if none
  std::string model;          // the model that answered, as the server names it ("" when not reported)
  std::string raw;            // the reply as received (a JSON body; for a stream, its final event)
  int attempts = 1;           // HTTP attempts made (1 = no retry)
};

/// What kind of failure ended a call; decides what the caller does next.
enum class llm_failure {
  unavailable,        // network errors, timeouts, stalls, 408/409/429/5xx: still failing after every retry
  auth,               // 401/403: the key is missing, wrong or not allowed
  quota,              // the account has no quota or credit left (429 insufficient_quota, 402)
  not_found,          // 404: the model or the API path does not exist at the base URL
  bad_request,        // 400/413/422/other 4xx, redirects, bad URLs: the request must change
  budget,             // --max-cost-usd or --max-llm-calls reached; no call was made
  malformed_reply,    // a 2xx reply that cannot be read (not JSON, no choices, error in a stream)
  replay_divergence,  // --llm-replay: this request is not the one recorded next, or none is left
  storage,            // the transcript or exchange folder could not be read or written
  no_reply_yet,       // --llm-provider exchange: nobody answered within --exchange-timeout; the
                      // search pauses, and a resumed one picks the reply up (llm/exchange_provider.h)
};

/// "unavailable", "auth", ... (stable: used in the transcript and in logs).
[[nodiscard]] std::string_view to_string(llm_failure kind);

struct llm_error {
  llm_failure kind = llm_failure::unavailable;
  error detail;       // subject: the call ("POST <url>", a transcript line, a file); problem; fix
  int attempts = 0;   // HTTP attempts made before giving up (0 = none was made)

  /// "[kind] subject: problem (fix: ...)".
  [[nodiscard]] std::string to_string() const;
};

using llm_result = std::expected<llm_reply, llm_error>;

/// Shorthand for `return llm_fail(llm_failure::auth, url, "...", "...");`.
[[nodiscard]] std::unexpected<llm_error> llm_fail(llm_failure kind, std::string subject, std::string problem,
                                                  std::string fix = {});

class llm_provider {
 public:
  virtual ~llm_provider() = default;

  /// Asks the model. Never throws for an expected failure (network, HTTP status, bad reply,
  /// budget); those come back as llm_error. Safe to call from several threads at once.
  [[nodiscard]] virtual llm_result complete(const llm_request& request) = 0;

  /// "openai", "replay", "exchange": recorded in the transcript.
  [[nodiscard]] virtual std::string_view name() const = 0;
};

}  // namespace ksearch::llm
