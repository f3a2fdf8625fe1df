// ksearch/llm/openai_provider.h — the HTTP provider: any OpenAI-compatible endpoint.
//
// One call = one request to {base_url}/chat/completions or {base_url}/responses (openai_wire.h
// says which and what is sent), optionally streamed (SSE, with a stall watchdog), retried as
// retry_policy.h describes, and classified on failure as http_failure.h describes. The key is
// sent as "Authorization: Bearer" and redacted from every error and from the reply itself, so
// nothing this provider returns can carry it into logs or artifacts.
//
// Generation settings come from the provider's settings, overridden per request by
// llm_request::options. Unset means "not sent" (the server's default), with one exception kept
// from K-Search: on the Responses API the reasoning effort defaults to "medium".
//
// Retries are logged (spdlog, warn) with the reason and the wait.
//
// Thread-safety: complete() may be called from several threads at once, and the calls overlap.
// Each attempt borrows an http_client from a small pool (one is made when none is idle, and it
// goes back after the attempt, so sequential calls still reuse their connection); the jitter seed
// counter and the "reached before" flag are atomic. An injected settings.clock must then be
// thread-safe too (real_retry_clock is).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ksearch/llm/http_client.h"
#include "ksearch/llm/llm_provider.h"
#include "ksearch/llm/retry_policy.h"

namespace ksearch::llm {

struct openai_settings {
  std::string base_url = "https://api.openai.com/v1";
  std::string api_key;                           // "" = no Authorization header (local servers)
  std::string api_style = "auto";                // "auto", "chat" or "responses"
  std::optional<double> temperature;             // unset = not sent
  std::optional<long> max_output_tokens;         // unset = not sent [tokens]
  std::optional<std::string> reasoning_effort;   // unset = "medium" on the Responses API, not sent on chat
  std::string token_limit_field;                 // chat's cap field; "" = by host (see endpoint_probe.h)
  bool stream = false;                           // SSE streaming
  std::chrono::milliseconds request_timeout{600'000};  // one attempt, whole transfer
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds stall_timeout{180'000};    // streaming: no byte for this long = failed attempt
  retry_options retry;
  std::shared_ptr<retry_clock> clock;            // null = real_retry_clock
  std::uint64_t jitter_seed = 0;                 // 0 = seeded from std::random_device
};

class openai_provider final : public llm_provider {
 public:
  explicit openai_provider(openai_settings settings);

  /// One logical call, retried as configured. reply.latency_s covers every attempt and wait;
  /// reply.attempts counts the attempts. Errors: see llm_failure; `attempts` is set.
  [[nodiscard]] llm_result complete(const llm_request& request) override;
  [[nodiscard]] std::string_view name() const override { return "openai"; }

  [[nodiscard]] const openai_settings& settings() const { return settings_; }

 private:
  struct attempt_outcome;
  class client_lease;
  [[nodiscard]] attempt_outcome attempt(const std::string& url, const std::string& body, const std::string& model,
                                        bool responses_api, bool stream);

  openai_settings settings_;
  std::shared_ptr<retry_clock> clock_;
  std::mutex clients_mutex_;
  std::vector<http_client> idle_clients_;  // guarded by clients_mutex_; grows to the most calls at once
  std::atomic<std::uint64_t> next_seed_;
  std::atomic<bool> reached_before_{false};  // some attempt got an HTTP response: the URL itself is right
};

}  // namespace ksearch::llm
