#include "ksearch/llm/replay_provider.h"

#include <algorithm>
#include <utility>

#include "ksearch/llm/http_failure.h"

namespace ksearch::llm {

namespace {

constexpr const char* replay_fix =
    "a replay needs the recorded run's task, flags, prompts and ksearch version; or run without --llm-replay";

/// ~`width` characters of `text` around `at`, on one line, with "..." where cut.
[[nodiscard]] std::string around(const std::string& text, std::size_t at, std::size_t width = 60) {
  const std::size_t begin = at > width / 2 ? at - width / 2 : 0;
  std::string part = one_line_excerpt(std::string_view(text).substr(begin, width), width);
  if (begin > 0) part = "..." + part;
  if (begin + width < text.size() && !part.ends_with("...")) part += "...";
  return "'" + part + "'";
}

/// What differs between the recorded request and the one asked now, in one sentence.
[[nodiscard]] std::string difference(const llm_request& recorded, const llm_request& now) {
  if (recorded.model != now.model) {
    return "model '" + now.model + "' asked, '" + recorded.model + "' recorded";
  }
  if (recorded.messages.size() != now.messages.size()) {
    return std::to_string(now.messages.size()) + " messages asked, " + std::to_string(recorded.messages.size()) +
           " recorded";
  }
  for (std::size_t i = 0; i < now.messages.size(); ++i) {
    const chat_message& a = recorded.messages[i];
    const chat_message& b = now.messages[i];
    const std::string which = "message " + std::to_string(i + 1) + " (" + b.role + ")";
    if (a.role != b.role) return which + " has role '" + b.role + "', '" + a.role + "' recorded";
    if (a.content != b.content) {
      const auto [ra, rb] = std::ranges::mismatch(a.content, b.content);
      const auto at = static_cast<std::size_t>(rb - b.content.begin());
      return which + " differs at character " + std::to_string(at + 1) + ": now " + around(b.content, at) +
             ", recorded " + around(a.content, at);
    }
  }
  return "the request's fingerprint differs from the recorded one";
}

}  // namespace

result<std::unique_ptr<replay_provider>> replay_provider::open(const std::filesystem::path& transcript) {
  auto contents = read_transcript(transcript);
  if (!contents) return std::unexpected(std::move(contents.error()));
  if (contents->calls.empty()) {
    return fail(transcript.string(), "the transcript holds no complete call", "check --llm-replay names a transcript.jsonl");
  }
  return std::make_unique<replay_provider>(std::move(*contents), transcript.string());
}

replay_provider::replay_provider(transcript_contents contents, std::string origin)
    : calls_(std::move(contents.calls)), warnings_(std::move(contents.warnings)), origin_(std::move(origin)) {}

std::size_t replay_provider::remaining_calls() const {
  std::lock_guard lock(mutex_);
  return calls_.size() - next_;
}

llm_result replay_provider::complete(const llm_request& request) {
  const std::string fingerprint = request_fingerprint(request);
  // Held for the rest of the call: checking the next recorded call and taking it must be one step.
  std::lock_guard lock(mutex_);
  if (next_ >= calls_.size()) {
    return llm_fail(llm_failure::replay_divergence, origin_,
                    "the search asked for call " + std::to_string(next_ + 1) + " but the transcript holds only " +
                        std::to_string(calls_.size()) + " calls",
                    replay_fix);
  }
  const transcript_call& recorded = calls_[next_];
  if (fingerprint != recorded.fingerprint) {
    return llm_fail(llm_failure::replay_divergence, origin_ + ":" + std::to_string(recorded.line),
                    "call " + std::to_string(next_ + 1) + " (recorded as call " + std::to_string(recorded.call) +
                        ") diverges: " + difference(recorded.request, request),
                    replay_fix);
  }
  ++next_;
  if (recorded.failure) return std::unexpected(*recorded.failure);
  return *recorded.reply;
}

}  // namespace ksearch::llm
