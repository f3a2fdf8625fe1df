// ksearch/llm/openai_wire.h — the OpenAI wire formats: request bodies and replies, whole or streamed.
//
// Two APIs carry the same request. Chat Completions (POST {base}/chat/completions) is what every
// OpenAI-compatible server offers; the Responses API (POST {base}/responses) is what OpenAI's
// reasoning models prefer. As in K-Search, the "auto" style picks the Responses API for models
// whose name starts with "gpt-5" or "o3", and Chat Completions for everything else.
//
// What each body carries (fields are sent only when set):
//   chat:      model, messages, temperature, <token field> (max_completion_tokens for
//              api.openai.com, max_tokens elsewhere), reasoning_effort,
//              stream + stream_options.include_usage
//   responses: model, input (the messages), reasoning.effort, max_output_tokens, temperature,
//              stream, store=false (nothing is kept server-side)
//
// Replies are read leniently where servers differ (content as a string, null or a list of
// parts; reasoning as reasoning_content or reasoning) and strictly where a wrong guess would
// hide a failure (no choices, an error object, a stream that never finished). Parse errors name
// the JSON path that was missing or of the wrong type.
//
// Thread-safety: pure functions; one stream_assembler per stream.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "ksearch/llm/llm_provider.h"
#include "ksearch/llm/sse_parser.h"

namespace ksearch::llm {

enum class api_style { chat, responses };

/// "chat" or "responses".
[[nodiscard]] std::string_view to_string(api_style style);

/// `setting` is "chat", "responses" or "auto" (anything else counts as "auto"): auto picks
/// responses when `model` starts with "gpt-5" or "o3".
[[nodiscard]] api_style resolve_api_style(std::string_view setting, std::string_view model);

/// "/chat/completions" or "/responses" (appended to the base URL).
[[nodiscard]] std::string_view api_path(api_style style);

/// The effective settings of one request (the provider's defaults merged with the request's).
struct wire_settings {
  api_style style = api_style::chat;
  std::string token_field = "max_tokens";  // chat only: "max_tokens" or "max_completion_tokens"
  std::optional<double> temperature;
  std::optional<long> max_output_tokens;
  std::optional<std::string> reasoning_effort;
  bool stream = false;
};

/// The JSON body for `request` (whose model and messages are used; its options are not: they are
/// already merged into `settings`). Invalid UTF-8 in the text is sent as U+FFFD.
[[nodiscard]] std::string request_body(const llm_request& request, const wire_settings& settings);

/// Reads a complete (non-streamed) 2xx body. The error says what was wrong, naming the JSON path
/// ("choices is empty", "choices[0].message missing", "the body is not JSON: ...").
[[nodiscard]] std::expected<llm_reply, std::string> parse_reply(api_style style, std::string_view body);

/// Builds a reply from the events of a streamed response.
///   chat:      data chunks with choices[0].delta.{content,reasoning_content,reasoning}, a
///              finish_reason, a last chunk with usage, then "data: [DONE]".
///   responses: typed events (response.output_text.delta, response.reasoning_*.delta, ...) ending
///              with response.completed or response.incomplete, which carries the whole response.
class stream_assembler {
 public:
  explicit stream_assembler(api_style style) : style_(style) {}

  /// Takes one event; false when no more are wanted (the stream finished or failed).
  bool on_event(const sse_event& event);

  /// The end marker arrived ([DONE], response.completed or response.incomplete).
  [[nodiscard]] bool finished() const { return finished_; }
  /// Why the stream failed: an error event, or data that could not be read. nullopt otherwise.
  [[nodiscard]] const std::optional<std::string>& failure() const { return failure_; }
  /// Events taken so far.
  [[nodiscard]] long events() const { return events_; }

  /// What arrived so far; raw is the data of the final event (the one with the usage).
  [[nodiscard]] const llm_reply& reply() const { return reply_; }

 private:
  bool on_chat_event(const sse_event& event);
  bool on_responses_event(const sse_event& event);

  api_style style_;
  llm_reply reply_;
  std::optional<std::string> failure_;
  bool finished_ = false;
  long events_ = 0;
};

}  // namespace ksearch::llm
