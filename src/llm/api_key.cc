#include "ksearch/llm/api_key.h"

#include <array>
#include <cstdlib>

namespace ksearch::llm {

api_key resolve_api_key(const std::optional<std::string>& flag_value) {
  if (flag_value && !flag_value->empty()) return {*flag_value, "--api-key"};

  // LLM_API_KEY first so that a key meant for ksearch wins over a general OpenAI key that happens
  // to be exported in the same shell.
  static constexpr std::array<const char*, 2> env_names{"LLM_API_KEY", "OPENAI_API_KEY"};
  for (const char* name : env_names) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return {value, name};
  }
  return {};
}

std::string redact(std::string text, std::string_view secret) {
  static constexpr std::string_view replacement = "[REDACTED]";
  if (secret.size() < 4) return text;
  std::size_t pos = text.find(secret);
  while (pos != std::string::npos) {
    text.replace(pos, secret.size(), replacement);
    // Search after the replacement: it cannot contain the secret, and rescanning it would loop
    // forever if the secret were a substring of "[REDACTED]".
    pos = text.find(secret, pos + replacement.size());
  }
  return text;
}

}  // namespace ksearch::llm
