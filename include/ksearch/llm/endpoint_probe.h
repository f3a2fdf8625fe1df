// ksearch/llm/endpoint_probe.h — checks an OpenAI-compatible endpoint before a search relies on it.
//
// Used by `ksearch doctor`: is the base URL reachable, does the key work, is the model listed,
// and (with --live) does one tiny chat completion come back. Errors say which of these failed and
// what to change (base URL, key, model name), with the key redacted from anything echoed back.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/llm/http_client.h"

namespace ksearch::llm {

struct endpoint {
  std::string base_url;  // e.g. "https://api.openai.com/v1" (trailing slash tolerated)
  std::string api_key;   // may be empty (local servers often need none)
  std::chrono::milliseconds timeout{30'000};
};

struct model_listing {
  std::vector<std::string> ids;  // the "id" of every entry of GET {base}/models
  double latency_s = 0;
};

/// GET {base_url}/models. Errors: transport failure, 401/403 (key), 404 (base URL), other
/// statuses, a body that is not the expected JSON.
[[nodiscard]] result<model_listing> list_models(http_client& client, const endpoint& ep);

struct completion_probe {
  std::string reply;  // the assistant's text (may be empty for reasoning models)
  long prompt_tokens = -1;      // -1 when the server reports no usage
  long completion_tokens = -1;
  double latency_s = 0;
};

/// POST {base_url}/chat/completions with a one-line prompt and a small token cap (16, sent as
/// detail::token_limit_field(base_url)). Errors as for list_models; a 404 that names the model
/// points at --model-name.
[[nodiscard]] result<completion_probe> probe_chat_completion(http_client& client, const endpoint& ep,
                                                             const std::string& model);

namespace detail {

/// The chat-completions field that caps the reply length for this base URL: "max_completion_tokens"
/// when the host is api.openai.com (its reasoning models reject "max_tokens"), else "max_tokens"
/// (older vLLM and llama.cpp servers know only that one).
[[nodiscard]] std::string_view token_limit_field(std::string_view base_url);

/// `base_url` with trailing '/' removed, followed by `path` (which starts with '/').
[[nodiscard]] std::string endpoint_url(std::string_view base_url, std::string_view path);

}  // namespace detail

}  // namespace ksearch::llm
