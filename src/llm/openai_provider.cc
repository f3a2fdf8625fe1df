#include "ksearch/llm/openai_provider.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <random>
#include <utility>

#include "ksearch/llm/api_key.h"
#include "ksearch/llm/endpoint_probe.h"
#include "ksearch/llm/http_failure.h"
#include "ksearch/llm/openai_wire.h"
#include "ksearch/llm/sse_parser.h"
#include "ksearch/llm/streaming_http.h"

// Implementation details
//
// complete() is the retry loop: attempt, and on a retryable failure ask the retry_schedule for a
// wait (the server's Retry-After when it sent one), sleep on the injected clock, try again. Every
// attempt sends the same body. A streamed attempt feeds the SSE decoder, which feeds the
// stream_assembler; a stream that ends before its end marker is a failed (retryable) attempt,
// since the text so far is an unknown fraction of the answer. A server that ignores
// "stream": true and answers with one JSON document is read as a normal reply.
//
// Concurrency: a CURL easy handle serves one thread, so a non-streamed attempt leases an
// http_client from idle_clients_ (client_lease) and returns it when done. The pool is a stack:
// a lone caller always gets the client it used last, whose connection is still open. Streamed
// attempts make their own handle (streaming_http.h). Everything else complete() touches is either
// read-only after construction (settings_, clock_) or atomic.

namespace ksearch::llm {

namespace {

using std::chrono::milliseconds;

// A 2xx stream that turns out to be one JSON document is kept up to this size for parsing.
constexpr std::size_t max_plain_body_bytes = 16U << 20U;

[[nodiscard]] std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", s);
  return text;
}

/// Retry-After as the server sent it: retry-after-ms (OpenAI, Azure) first, then Retry-After.
[[nodiscard]] std::optional<milliseconds> server_wait(const http_response& response, retry_clock& clock) {
  if (const std::string ms = response.header("retry-after-ms"); !ms.empty()) {
    if (auto wait = parse_retry_after(ms, clock.calendar_now())) return milliseconds(wait->count() / 1000);
  }
  if (const std::string value = response.header("retry-after"); !value.empty()) {
    return parse_retry_after(value, clock.calendar_now());
  }
  return std::nullopt;
}

[[nodiscard]] bool is_json_content(const http_response& response) {
  return response.header("content-type").find("json") != std::string::npos;
}

}  // namespace

struct openai_provider::attempt_outcome {
  std::optional<llm_reply> reply;
  classified_failure failure;                 // when !reply
  std::optional<milliseconds> server_wait;    // Retry-After of a failed attempt
};

/// One http_client borrowed from the provider's pool for one attempt (a new one when none is idle).
class openai_provider::client_lease {
 public:
  explicit client_lease(openai_provider& owner) : owner_(owner), client_(take(owner)) {}
  ~client_lease() {
    try {
      std::lock_guard lock(owner_.clients_mutex_);
      owner_.idle_clients_.push_back(std::move(client_));
    } catch (const std::exception&) {
      // No room to keep it: the client (and its connection) is simply closed.
    }
  }
  client_lease(const client_lease&) = delete;
  client_lease& operator=(const client_lease&) = delete;

  [[nodiscard]] http_client& client() { return client_; }

 private:
  [[nodiscard]] static http_client take(openai_provider& owner) {
    {
      std::lock_guard lock(owner.clients_mutex_);
      if (!owner.idle_clients_.empty()) {
        http_client client = std::move(owner.idle_clients_.back());
        owner.idle_clients_.pop_back();
        return client;
      }
    }
    return http_client();  // made outside the lock: other callers need not wait for curl_easy_init
  }

  openai_provider& owner_;
  http_client client_;
};

openai_provider::openai_provider(openai_settings settings)
    : settings_(std::move(settings)),
      clock_(settings_.clock ? settings_.clock : std::make_shared<real_retry_clock>()),
      next_seed_(settings_.jitter_seed != 0 ? settings_.jitter_seed : std::random_device{}()) {
  if (settings_.token_limit_field.empty()) {
    settings_.token_limit_field = std::string(detail::token_limit_field(settings_.base_url));
  }
  // One client up front, as before: a missing curl_global fails here, not on the first call.
  idle_clients_.emplace_back();
}

llm_result openai_provider::complete(const llm_request& request) {
  const std::string subject = "llm call";
  if (request.model.empty()) return llm_fail(llm_failure::bad_request, subject, "no model given", "pass --model-name");
  if (request.messages.empty()) return llm_fail(llm_failure::bad_request, subject, "the request has no messages");

  // Step 1: the effective settings and the body (the same for every attempt).
  wire_settings wire;
  wire.style = resolve_api_style(settings_.api_style, request.model);
  wire.token_field = settings_.token_limit_field;
  wire.temperature = request.options.temperature ? request.options.temperature : settings_.temperature;
  wire.max_output_tokens = request.options.max_output_tokens ? request.options.max_output_tokens
                                                             : settings_.max_output_tokens;
  wire.reasoning_effort = request.options.reasoning_effort ? request.options.reasoning_effort
                                                           : settings_.reasoning_effort;
  if (!wire.reasoning_effort && wire.style == api_style::responses) wire.reasoning_effort = "medium";
  wire.stream = settings_.stream;
  const std::string url = detail::endpoint_url(settings_.base_url, api_path(wire.style));
  const std::string body = request_body(request, wire);
  const bool responses_api = wire.style == api_style::responses;

  // Step 2: attempts, with waits in between.
  retry_schedule schedule(settings_.retry, next_seed_.fetch_add(1));
  const auto start = clock_->now();
  auto elapsed = [&] { return std::chrono::duration_cast<milliseconds>(clock_->now() - start); };
  auto elapsed_s = [&] { return std::chrono::duration<double>(clock_->now() - start).count(); };
  for (int attempts = 1;; ++attempts) {
    attempt_outcome outcome = attempt(url, body, request.model, responses_api, wire.stream);
    if (outcome.reply) {
      llm_reply reply = std::move(*outcome.reply);
      reply.attempts = attempts;
      reply.latency_s = elapsed_s();
      return reply;
    }
    llm_error failure = std::move(outcome.failure.error);
    failure.attempts = attempts;
    if (!outcome.failure.retryable) return std::unexpected(std::move(failure));

    const retry_decision decision = schedule.next(attempts, elapsed(), outcome.server_wait);
    if (!decision.retry) {
      const double spent = elapsed_s();
      failure.detail.problem = "gave up after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts") +
                               " in " + seconds_text(spent) + ", " + decision.reason + "; last failure: " +
                               failure.detail.problem;
      if (failure.detail.fix.empty()) failure.detail.fix = "retry later";
      failure.detail.fix += "; --max-retries and --max-retry-time bound the retrying";
      return std::unexpected(std::move(failure));
    }
    spdlog::warn("LLM call to {} failed (attempt {}): {}; retrying in {}", url, attempts, failure.detail.problem,
                 seconds_text(std::chrono::duration<double>(decision.wait).count()));
    clock_->sleep_for(decision.wait);
  }
}

openai_provider::attempt_outcome openai_provider::attempt(const std::string& url, const std::string& body,
                                                          const std::string& model, bool responses_api, bool stream) {
  const call_context context{settings_.base_url, url, model, settings_.api_key, responses_api};
  const api_style style = responses_api ? api_style::responses : api_style::chat;
  const std::string& key = settings_.api_key;

  http_request request;
  request.method = "POST";
  request.url = url;
  request.headers.emplace_back("Content-Type", "application/json");
  request.headers.emplace_back("Accept", stream ? "text/event-stream" : "application/json");
  if (!key.empty()) request.headers.emplace_back("Authorization", "Bearer " + key);
  request.body = body;
  request.connect_timeout = settings_.connect_timeout;
  request.total_timeout = settings_.request_timeout;

  auto malformed = [&](const std::string& problem) {
    attempt_outcome outcome;
    outcome.failure = {llm_error{llm_failure::malformed_reply,
                                 redacted(error{"POST " + url, "unreadable reply: " + problem,
                                                "check --base-url points at an OpenAI-compatible API, and --api-style"},
                                          key),
                                 0},
                       false};
    return outcome;
  };
  auto redact_reply = [&](llm_reply reply) {
    reply.text = redact(std::move(reply.text), key);
    reply.reasoning = redact(std::move(reply.reasoning), key);
    reply.raw = redact(std::move(reply.raw), key);
    attempt_outcome outcome;
    outcome.reply = std::move(reply);
    return outcome;
  };

  transport_failure transport = transport_failure::none;
  if (!stream) {
    // The lease ends with this statement: the client is back in the pool before parsing starts.
    auto response = client_lease(*this).client().perform(request, &transport);
    if (!response) {
      return {std::nullopt, classify_transport(response.error(), transport, context, reached_before_.load()), {}};
    }
    reached_before_.store(true);
    if (response->status < 200 || response->status >= 300) {
      return {std::nullopt, classify_status(*response, context), server_wait(*response, *clock_)};
    }
    auto reply = parse_reply(style, response->body);
    if (!reply) return malformed(reply.error());
    return redact_reply(std::move(*reply));
  }

  // Streaming: the decoder turns bytes into events, the assembler events into a reply. Until the
  // first event arrives the bytes are also kept, in case the server answered with plain JSON.
  sse_decoder decoder;
  stream_assembler assembler(style);
  std::string plain;
  const sse_decoder::sink to_assembler = [&assembler](const sse_event& event) { return assembler.on_event(event); };
  const body_sink on_data = [&](std::string_view piece) {
    if (assembler.events() == 0 && plain.size() < max_plain_body_bytes) plain.append(piece);
    return decoder.feed(piece, to_assembler);
  };
  auto response = perform_streaming(request, on_data, settings_.stall_timeout, &transport);
  if (response) decoder.finish(to_assembler);

  if (assembler.finished() && !assembler.failure()) return redact_reply(assembler.reply());
  if (!response) {
    return {std::nullopt, classify_transport(response.error(), transport, context, reached_before_.load()), {}};
  }
  reached_before_.store(true);
  if (response->status < 200 || response->status >= 300) {
    return {std::nullopt, classify_status(*response, context), server_wait(*response, *clock_)};
  }
  if (assembler.events() == 0 && is_json_content(*response)) {
    auto reply = parse_reply(style, plain);
    if (!reply) return malformed(reply.error());
    return redact_reply(std::move(*reply));
  }
  if (assembler.failure()) {
    // An error event mid-stream is the server failing (overloaded, cut off): worth another try.
    return {std::nullopt,
            {llm_error{llm_failure::unavailable,
                       redacted(error{"POST " + url, "the stream failed: " + *assembler.failure(),
                                      "the server failed mid-reply; retry later or check its logs"},
                                key),
                       0},
             true},
            {}};
  }
  const std::string marker = responses_api ? "response.completed" : "[DONE]";
  return {std::nullopt,
          {llm_error{llm_failure::unavailable,
                     error{"POST " + url,
                           "the stream ended before " + marker + " after " + std::to_string(assembler.events()) +
                               " events (" + std::to_string(decoder.bytes_seen()) + " bytes)",
                           "the connection broke mid-reply; check the network and the server"},
                     0},
           true},
          {}};
}

}  // namespace ksearch::llm
