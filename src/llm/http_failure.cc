#include "ksearch/llm/http_failure.h"

#include <cctype>
#include <utility>

#include "ksearch/common/json.h"
#include "ksearch/common/text.h"
#include "ksearch/llm/api_key.h"
#include "ksearch/llm/retry_policy.h"

namespace ksearch::llm {

namespace {

constexpr const char* key_fix = "check --api-key / LLM_API_KEY / OPENAI_API_KEY";

/// error.code or error.type of an OpenAI-style error body, lower-cased; "" when absent.
[[nodiscard]] std::string error_code(std::string_view body) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return {};
  auto err = doc.find("error");
  if (err == doc.end() || !err->is_object()) return {};
  for (const char* field : {"code", "type"}) {
    if (auto it = err->find(field); it != err->end() && it->is_string()) {
      const std::string value = to_lower(it->get<std::string>());
      if (!value.empty()) return value;
    }
  }
  return {};
}

/// A hint for a 400 whose message names a parameter the model refuses.
[[nodiscard]] std::string bad_request_fix(std::string_view said) {
  const std::string text = to_lower(said);
  if (text.find("context") != std::string::npos &&
      (text.find("length") != std::string::npos || text.find("window") != std::string::npos)) {
    return "the prompt is longer than the model's context window";
  }
  if (text.find("temperature") != std::string::npos) return "the model does not accept --temperature; drop it";
  if (text.find("reasoning") != std::string::npos) {
    return "the model does not accept this --reasoning-effort (or any); change or drop it";
  }
  if (text.find("max_tokens") != std::string::npos || text.find("max_completion_tokens") != std::string::npos ||
      text.find("max_output_tokens") != std::string::npos) {
    return "the model refuses the output-token cap as sent; change or drop --max-output-tokens";
  }
  return "the endpoint refused the request as sent; check --model-name, --api-style and the generation flags";
}

[[nodiscard]] classified_failure make(llm_failure kind, bool retryable, const call_context& context,
                                      std::string problem, std::string fix) {
  error e{"POST " + context.url, std::move(problem), std::move(fix)};
  return {llm_error{kind, redacted(std::move(e), context.api_key), 0}, retryable};
}

}  // namespace

std::string server_message(std::string_view body) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    if (auto it = doc.find("error"); it != doc.end()) {
      if (it->is_string()) return it->get<std::string>();
      if (it->is_object()) {
        if (auto msg = it->find("message"); msg != it->end() && msg->is_string()) return msg->get<std::string>();
      }
    }
    for (const char* field : {"message", "detail"}) {
      if (auto it = doc.find(field); it != doc.end() && it->is_string()) return it->get<std::string>();
    }
  }
  return std::string(body);
}

std::string one_line_excerpt(std::string_view text, std::size_t limit) {
  std::string flat;
  bool in_space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      in_space = !flat.empty();
      continue;
    }
    if (in_space) flat += ' ';
    in_space = false;
    flat += c;
    if (flat.size() > limit + 4) break;  // enough to know it will be cut
  }
  if (flat.size() <= limit) return flat;
  std::size_t cut = limit > 3 ? limit - 3 : 0;
  while (cut > 0 && (static_cast<unsigned char>(flat[cut]) & 0xC0U) == 0x80U) --cut;
  flat.resize(cut);
  return flat + "...";
}

error redacted(error e, std::string_view secret) {
  e.subject = redact(std::move(e.subject), secret);
  e.problem = redact(std::move(e.problem), secret);
  e.fix = redact(std::move(e.fix), secret);
  return e;
}

classified_failure classify_status(const http_response& response, const call_context& context) {
  const long status = response.status;
  const std::string body = redact(response.body, context.api_key);
  const std::string said = one_line_excerpt(redact(server_message(body), context.api_key));
  const std::string code = "HTTP " + std::to_string(status);
  auto with_said = [&](std::string problem) {
    if (!said.empty()) problem += " (server said: " + said + ")";
    return problem;
  };
  const std::string err_code = error_code(body);

  if (status == 401 || status == 403) {
    const std::string what = context.api_key.empty() ? "the endpoint requires an API key and none was given"
                                                     : "the endpoint rejected the API key";
    return make(llm_failure::auth, false, context, with_said(code + ": " + what), key_fix);
  }
  if (status == 402 || (status == 429 && (err_code == "insufficient_quota" || err_code == "billing_hard_limit_reached"))) {
    return make(llm_failure::quota, false, context, with_said(code + ": the account has no quota or credit left"),
                "add credit or raise the account's limits, or use another key");
  }
  if (status == 404) {
    const bool names_model = err_code == "model_not_found" ||
                             (!context.model.empty() && body.find(context.model) != std::string::npos);
    if (names_model) {
      return make(llm_failure::not_found, false, context,
                  with_said(code + ": model '" + context.model + "' not found on " + context.base_url),
                  "check --model-name (`ksearch doctor --model-name M` lists what the endpoint serves)");
    }
    if (context.responses_api) {
      return make(llm_failure::not_found, false, context,
                  with_said(code + ": " + context.base_url + " has no Responses API (/responses)"),
                  "pass --api-style chat (many OpenAI-compatible servers offer only /chat/completions)");
    }
    return make(llm_failure::not_found, false, context, with_said(code + ": no such path"),
                "check --base-url (it usually ends in /v1)");
  }
  if (status >= 300 && status < 400) {
    const std::string location = response.header("location");
    return make(llm_failure::bad_request, false, context,
                code + ": redirected" + (location.empty() ? "" : " to " + location),
                "check --base-url (http vs https, a missing /v1); ksearch does not follow redirects");
  }
  if (is_retryable_status(status)) {
    std::string fix = status == 429 ? "rate limited; lower the request rate or raise the account's limits"
                                    : "the server is failing or overloaded; retry later or check its logs";
    return make(llm_failure::unavailable, true, context,
                said.empty() ? code + " (empty body)" : code + ": " + said, std::move(fix));
  }
  if (status >= 400 && status < 500) {
    return make(llm_failure::bad_request, false, context, said.empty() ? code + " (empty body)" : code + ": " + said,
                bad_request_fix(said));
  }
  return make(llm_failure::malformed_reply, false, context,
              with_said(code + ": unexpected status for an LLM reply"), "check --base-url points at an OpenAI-compatible API");
}

classified_failure classify_transport(const error& failure, transport_failure kind, const call_context& context,
                                      bool reached_before) {
  switch (kind) {
    case transport_failure::bad_url:
      return make(llm_failure::bad_request, false, context, failure.problem,
                  "check --base-url (e.g. https://api.openai.com/v1 or http://localhost:8000/v1)");
    case transport_failure::tls:
      return make(llm_failure::bad_request, false, context, failure.problem,
                  "check http vs https in --base-url and the server's certificate");
    case transport_failure::resolve:
      return make(llm_failure::unavailable, reached_before, context, failure.problem,
                  reached_before ? "name resolution failed; check the network" : "check the host name in --base-url");
    case transport_failure::connect:
      return make(llm_failure::unavailable, true, context, failure.problem,
                  "is the server running? check the host and port in --base-url");
    case transport_failure::timeout:
      return make(llm_failure::unavailable, true, context, failure.problem,
                  "the endpoint is slow or stuck; raise --request-timeout / --stall-timeout, or check its load");
    case transport_failure::send_or_receive:
      return make(llm_failure::unavailable, true, context, failure.problem,
                  "the connection broke mid-reply; check the network and the server");
    case transport_failure::none:
    case transport_failure::other:
      break;
  }
  return make(llm_failure::unavailable, true, context, failure.problem, "");
}

}  // namespace ksearch::llm
