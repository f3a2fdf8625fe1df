// ksearch/llm/endpoint_probe.h — checks an OpenAI-compatible endpoint before a search relies on it.
//
// Used by `ksearch doctor`: is the base URL reachable, does the key work, is the model listed,
// and (with --live) does one tiny chat completion come back. Errors say which of these failed and
// what to change (base URL, key, model name), with the key redacted from anything echoed back.
#pragma once

#include <chrono>
#include <string>
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

/// POST {base_url}/chat/completions with a one-line prompt and a small token cap.
[[nodiscard]] result<completion_probe> probe_chat_completion(http_client& client, const endpoint& ep,
                                                             const std::string& model);

}  // namespace ksearch::llm
