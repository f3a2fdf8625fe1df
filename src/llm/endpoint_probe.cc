#include "ksearch/llm/endpoint_probe.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "ksearch/common/json.h"
#include "ksearch/common/text.h"
#include "ksearch/llm/api_key.h"
#include "ksearch/llm/http_failure.h"

// Implementation details
//
// Every error leaves through finish(), which redacts the API key from subject, problem and fix: a
// misconfigured proxy may echo the request (Authorization header included) into its error body,
// and that body is quoted in the error. The body is redacted before it is cut to an excerpt, so a
// cut cannot leave a recognisable prefix of the key behind.

namespace ksearch::llm {

namespace {

constexpr std::size_t max_excerpt_chars = 300;
constexpr std::chrono::milliseconds max_connect_timeout{10'000};
constexpr int probe_max_tokens = 16;
constexpr std::string_view probe_prompt = "Reply with the single word: ok";

// The shared helpers of http_failure.h, under the names this file grew up with.
[[nodiscard]] error finish(error e, std::string_view key) { return redacted(std::move(e), key); }

[[nodiscard]] std::string excerpt(std::string_view text, std::size_t limit = max_excerpt_chars) {
  return one_line_excerpt(text, limit);
}

[[nodiscard]] std::string quoted_server_message(const http_response& response, std::string_view key) {
  return excerpt(redact(server_message(redact(response.body, key)), key));
}

[[nodiscard]] std::string transport_fix(transport_failure kind, const endpoint& ep) {
  switch (kind) {
    case transport_failure::bad_url:
      return "check --base-url (e.g. https://api.openai.com/v1 or http://localhost:8000/v1)";
    case transport_failure::resolve:
      return "check the host name in --base-url";
    case transport_failure::connect:
      return "is the server running? check the host and port in --base-url";
    case transport_failure::timeout:
      return "no answer within " + std::to_string(ep.timeout.count()) +
             " ms; check the network and the server's load";
    case transport_failure::tls:
      return "check http vs https in --base-url and the server's certificate";
    default:
      return {};
  }
}

enum class probe_kind { models, chat };

/// The error for a non-2xx status, or nullopt for 2xx. `model` is only used for chat probes.
[[nodiscard]] std::optional<error> status_error(const http_response& response, const std::string& url,
                                                const endpoint& ep, probe_kind kind,
                                                std::string_view model) {
  const long status = response.status;
  if (status >= 200 && status < 300) return std::nullopt;

  const std::string code = "HTTP " + std::to_string(status);
  const std::string said = quoted_server_message(response, ep.api_key);
  auto with_said = [&](std::string problem) {
    if (!said.empty()) problem += " (server said: " + said + ")";
    return problem;
  };

  if (status == 401 || status == 403) {
    const std::string what = ep.api_key.empty() ? "the endpoint requires an API key and none was given"
                                                : "the endpoint rejected the API key";
    return error{url, with_said(code + ": " + what), "check --api-key / LLM_API_KEY / OPENAI_API_KEY"};
  }
  if (status == 404) {
    const std::string body = redact(response.body, ep.api_key);
    if (kind == probe_kind::chat && !model.empty() && body.find(model) != std::string::npos) {
      return error{url, with_said(code + ": the endpoint does not serve model '" + std::string(model) + "'"),
                   "check --model-name"};
    }
    return error{url, with_said(code + ": no such path"), "check --base-url (it usually ends in /v1)"};
  }
  if (status >= 300 && status < 400) {
    const std::string location = response.header("location");
    return error{url, code + ": redirected" + (location.empty() ? "" : " to " + location),
                 "check --base-url (http vs https, a missing /v1); ksearch does not follow redirects"};
  }

  std::string problem = said.empty() ? code + " (empty body)" : code + ": " + said;
  std::string fix;
  if (status == 429) fix = "rate limited or out of quota; wait, or check the account's limits";
  if (status >= 500) fix = "the server failed; retry later or check its logs";
  return error{url, std::move(problem), std::move(fix)};
}

[[nodiscard]] http_request base_request(const endpoint& ep, std::string method, std::string url) {
  http_request request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.headers.emplace_back("Accept", "application/json");
  if (!ep.api_key.empty()) request.headers.emplace_back("Authorization", "Bearer " + ep.api_key);
  request.total_timeout = ep.timeout;
  request.connect_timeout = std::min(ep.timeout, max_connect_timeout);
  return request;
}

/// Performs the request and turns a transport failure or a non-2xx status into an error.
/// `latency_s` receives the wall time of the whole call [seconds].
[[nodiscard]] result<http_response> exchange(http_client& client, const endpoint& ep,
                                             const http_request& request, probe_kind kind,
                                             std::string_view model, double& latency_s) {
  transport_failure failure = transport_failure::none;
  const auto start = std::chrono::steady_clock::now();
  auto response = client.perform(request, &failure);
  latency_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!response) {
    error e = std::move(response.error());
    e.fix = transport_fix(failure, ep);
    return std::unexpected(finish(std::move(e), ep.api_key));
  }
  if (auto e = status_error(*response, request.url, ep, kind, model)) {
    return std::unexpected(finish(std::move(*e), ep.api_key));
  }
  return response;
}

/// The lower-cased host of a URL: between "scheme://" (and any "user@") and the port or path.
[[nodiscard]] std::string host_of(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  url = url.substr(0, url.find(':'));
  return to_lower(url);
}

[[nodiscard]] std::string type_mismatch(const std::string& path, const json& value, std::string_view expected) {
  return path + " is " + std::string(value.type_name()) + ", expected " + std::string(expected);
}

/// The ids in {"data":[{"id":...},...]}, or the JSON path of the first field that is missing or
/// of the wrong type.
[[nodiscard]] std::expected<std::vector<std::string>, std::string> parse_model_ids(const json& doc) {
  if (!doc.is_object()) return std::unexpected(type_mismatch("the response", doc, "an object"));
  auto data = doc.find("data");
  if (data == doc.end()) return std::unexpected(std::string("data missing"));
  if (!data->is_array()) return std::unexpected(type_mismatch("data", *data, "an array"));
  std::vector<std::string> ids;
  ids.reserve(data->size());
  for (std::size_t i = 0; i < data->size(); ++i) {
    const std::string path = "data[" + std::to_string(i) + "]";
    const json& entry = (*data)[i];
    if (!entry.is_object()) return std::unexpected(type_mismatch(path, entry, "an object"));
    auto id = entry.find("id");
    if (id == entry.end()) return std::unexpected(path + ".id missing");
    if (!id->is_string()) return std::unexpected(type_mismatch(path + ".id", *id, "a string"));
    ids.push_back(id->get<std::string>());
  }
  return ids;
}

/// choices[0].message.content: a string, null (-> ""), or an array of {"type":"text","text":...}
/// parts (concatenated), which some servers return.
[[nodiscard]] std::expected<std::string, std::string> parse_reply(const json& doc) {
  if (!doc.is_object()) return std::unexpected(type_mismatch("the response", doc, "an object"));
  auto choices = doc.find("choices");
  if (choices == doc.end()) return std::unexpected(std::string("choices missing"));
  if (!choices->is_array()) return std::unexpected(type_mismatch("choices", *choices, "an array"));
  if (choices->empty()) return std::unexpected(std::string("choices is empty"));
  const json& first = choices->front();
  if (!first.is_object()) return std::unexpected(type_mismatch("choices[0]", first, "an object"));
  auto message = first.find("message");
  if (message == first.end()) return std::unexpected(std::string("choices[0].message missing"));
  if (!message->is_object()) return std::unexpected(type_mismatch("choices[0].message", *message, "an object"));
  auto content = message->find("content");
  if (content == message->end() || content->is_null()) return std::string();
  if (content->is_string()) return content->get<std::string>();
  if (content->is_array()) {
    std::string text;
    for (const json& part : *content) {
      if (!part.is_object()) continue;
      auto part_text = part.find("text");
      if (part_text != part.end() && part_text->is_string()) text += part_text->get<std::string>();
    }
    return text;
  }
  return std::unexpected(type_mismatch("choices[0].message.content", *content, "a string or null"));
}

/// usage.<field> when it is a non-negative integer, else -1.
[[nodiscard]] long usage_count(const json& doc, const char* field) {
  auto usage = doc.find("usage");
  if (usage == doc.end() || !usage->is_object()) return -1;
  auto count = usage->find(field);
  if (count == usage->end() || !count->is_number_integer() || count->get<long>() < 0) return -1;
  return count->get<long>();
}

/// Parses a 2xx body as JSON; on failure, an error quoting the start of the body.
[[nodiscard]] result<json> parse_body(const http_response& response, const std::string& url,
                                      const endpoint& ep) {
  json doc = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    const std::string body = excerpt(redact(response.body, ep.api_key), 100);
    return std::unexpected(finish(
        error{url, "the response is not JSON" + (body.empty() ? std::string(" (empty body)") : ": " + body),
              "check --base-url points at an OpenAI-compatible API"},
        ep.api_key));
  }
  return doc;
}

}  // namespace

namespace detail {

std::string_view token_limit_field(std::string_view base_url) {
  return host_of(base_url) == "api.openai.com" ? "max_completion_tokens" : "max_tokens";
}

std::string endpoint_url(std::string_view base_url, std::string_view path) {
  while (base_url.ends_with('/')) base_url.remove_suffix(1);
  std::string url(base_url);
  url += path;
  return url;
}

}  // namespace detail

result<model_listing> list_models(http_client& client, const endpoint& ep) {
  model_listing listing;
  const http_request request = base_request(ep, "GET", detail::endpoint_url(ep.base_url, "/models"));
  auto response = exchange(client, ep, request, probe_kind::models, {}, listing.latency_s);
  if (!response) return std::unexpected(std::move(response.error()));

  auto doc = parse_body(*response, request.url, ep);
  if (!doc) return std::unexpected(std::move(doc.error()));
  auto ids = parse_model_ids(*doc);
  if (!ids) {
    return std::unexpected(finish(error{request.url, "unexpected response: " + ids.error() +
                                                         R"( (expected {"data":[{"id":"<model>"},...]}))",
                                        "check --base-url points at an OpenAI-compatible API"},
                                  ep.api_key));
  }
  listing.ids = std::move(*ids);
  return listing;
}

result<completion_probe> probe_chat_completion(http_client& client, const endpoint& ep,
                                               const std::string& model) {
  completion_probe probe;
  http_request request = base_request(ep, "POST", detail::endpoint_url(ep.base_url, "/chat/completions"));
  request.headers.emplace_back("Content-Type", "application/json");
  json body = {
      {"model", model},
      {"messages", json::array({{{"role", "user"}, {"content", probe_prompt}}})},
  };
  body[std::string(detail::token_limit_field(ep.base_url))] = probe_max_tokens;
  // replace: a model name with invalid UTF-8 is sent with U+FFFD instead of throwing.
  request.body = body.dump(-1, ' ', false, json::error_handler_t::replace);

  auto response = exchange(client, ep, request, probe_kind::chat, model, probe.latency_s);
  if (!response) return std::unexpected(std::move(response.error()));

  auto doc = parse_body(*response, request.url, ep);
  if (!doc) return std::unexpected(std::move(doc.error()));
  auto reply = parse_reply(*doc);
  if (!reply) {
    // Some proxies answer 200 with an error object; quote it rather than the missing field alone.
    std::string problem = "unexpected response: " + reply.error();
    if (doc->is_object() && doc->contains("error")) {
      problem += " (server said: " + quoted_server_message(*response, ep.api_key) + ")";
    }
    return std::unexpected(finish(error{request.url, std::move(problem), ""}, ep.api_key));
  }
  probe.reply = std::move(*reply);
  probe.prompt_tokens = usage_count(*doc, "prompt_tokens");
  probe.completion_tokens = usage_count(*doc, "completion_tokens");
  return probe;
}

}  // namespace ksearch::llm
