// ksearch/llm/api_key.h — where the LLM API key comes from, and keeping it out of every output.
//
// The key is looked up in order: --api-key, then LLM_API_KEY, then OPENAI_API_KEY. ksearch never
// prints, logs or stores it; text that might contain it (an error body echoed by a server, a URL)
// passes through redact() first.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ksearch::llm {

struct api_key {
  std::string value;   // empty when none was found
  std::string source;  // "--api-key", "LLM_API_KEY", "OPENAI_API_KEY", or "" when none
  [[nodiscard]] bool present() const { return !value.empty(); }
};

/// Resolves the key from the flag value (if given and non-empty), then the environment.
[[nodiscard]] api_key resolve_api_key(const std::optional<std::string>& flag_value);

/// Replaces every occurrence of `secret` in `text` with "[REDACTED]". Secrets shorter than 4
/// characters are left alone (redacting "a" would mangle the text and hide nothing).
[[nodiscard]] std::string redact(std::string text, std::string_view secret);

}  // namespace ksearch::llm
