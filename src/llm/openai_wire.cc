#include "ksearch/llm/openai_wire.h"

#include <utility>

#include "ksearch/common/json.h"
#include "ksearch/llm/http_failure.h"

namespace ksearch::llm {

namespace {

using parse_result = std::expected<llm_reply, std::string>;

[[nodiscard]] std::string type_mismatch(const std::string& path, const json& value, std::string_view expected) {
  return path + " is " + std::string(value.type_name()) + ", expected " + std::string(expected);
}

/// A string field, or "" when absent or not a string.
[[nodiscard]] std::string string_field(const json& object, const char* field) {
  if (!object.is_object()) return {};
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

[[nodiscard]] std::optional<long> count_field(const json& object, const char* field) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(field);
  if (it == object.end() || !it->is_number_integer() || it->get<long>() < 0) return std::nullopt;
  return it->get<long>();
}

[[nodiscard]] const json& object_field(const json& object, const char* field) {
  static const json none;
  if (!object.is_object()) return none;
  auto it = object.find(field);
  return it != object.end() && it->is_object() ? *it : none;
}

/// Chat usage: prompt_tokens, completion_tokens, *_details.{reasoning,cached}_tokens.
[[nodiscard]] token_usage chat_usage(const json& usage) {
  return {count_field(usage, "prompt_tokens"), count_field(usage, "completion_tokens"),
          count_field(object_field(usage, "completion_tokens_details"), "reasoning_tokens"),
          count_field(object_field(usage, "prompt_tokens_details"), "cached_tokens")};
}

/// Responses usage: input_tokens, output_tokens, *_details.{reasoning,cached}_tokens.
[[nodiscard]] token_usage responses_usage(const json& usage) {
  return {count_field(usage, "input_tokens"), count_field(usage, "output_tokens"),
          count_field(object_field(usage, "output_tokens_details"), "reasoning_tokens"),
          count_field(object_field(usage, "input_tokens_details"), "cached_tokens")};
}

/// A content value: a string, null, or a list of parts whose "text" fields are concatenated.
[[nodiscard]] std::expected<std::string, std::string> content_text(const json& content, const std::string& path) {
  if (content.is_null()) return std::string();
  if (content.is_string()) return content.get<std::string>();
  if (content.is_array()) {
    std::string text;
    for (const json& part : content) text += string_field(part, "text");
    return text;
  }
  return std::unexpected(type_mismatch(path, content, "a string, null or a list of parts"));
}

/// A 2xx body that is an error object rather than a reply (some proxies do this).
[[nodiscard]] std::optional<std::string> embedded_error(const json& doc) {
  if (!doc.is_object()) return std::nullopt;
  auto it = doc.find("error");
  if (it == doc.end() || it->is_null()) return std::nullopt;
  return "the reply is an error: " + one_line_excerpt(server_message(doc.dump()));
}

[[nodiscard]] parse_result parse_chat(const json& doc) {
  if (!doc.is_object()) return std::unexpected(type_mismatch("the body", doc, "an object"));
  auto choices = doc.find("choices");
  if (choices == doc.end() || choices->is_null()) {
    if (auto e = embedded_error(doc)) return std::unexpected(*e);
    return std::unexpected(std::string("choices missing"));
  }
  if (!choices->is_array()) return std::unexpected(type_mismatch("choices", *choices, "an array"));
  if (choices->empty()) {
    if (auto e = embedded_error(doc)) return std::unexpected(*e);
    return std::unexpected(std::string("choices is empty (the server returned no answer)"));
  }
  const json& first = choices->front();
  if (!first.is_object()) return std::unexpected(type_mismatch("choices[0]", first, "an object"));
  auto message = first.find("message");
  if (message == first.end()) return std::unexpected(std::string("choices[0].message missing"));
  if (!message->is_object()) return std::unexpected(type_mismatch("choices[0].message", *message, "an object"));

  llm_reply reply;
  if (auto content = message->find("content"); content != message->end()) {
    auto text = content_text(*content, "choices[0].message.content");
    if (!text) return std::unexpected(text.error());
    reply.text = std::move(*text);
  }
  reply.reasoning = string_field(*message, "reasoning_content");
  if (reply.reasoning.empty()) reply.reasoning = string_field(*message, "reasoning");
  reply.finish_reason = string_field(first, "finish_reason");
  if (reply.text.empty() && !string_field(*message, "refusal").empty()) reply.finish_reason = "refusal";
  reply.model = string_field(doc, "model");
  reply.usage = chat_usage(object_field(doc, "usage"));
  return reply;
}

[[nodiscard]] std::string responses_finish_reason(const json& doc) {
  const std::string status = string_field(doc, "status");
  if (status == "completed") return "stop";
  if (status == "incomplete") {
    const std::string reason = string_field(object_field(doc, "incomplete_details"), "reason");
    if (reason == "max_output_tokens") return "length";
    return reason.empty() ? "incomplete" : reason;
  }
  return status;
}

[[nodiscard]] parse_result parse_responses(const json& doc) {
  if (!doc.is_object()) return std::unexpected(type_mismatch("the body", doc, "an object"));
  const std::string status = string_field(doc, "status");
  if (status == "failed" || status == "cancelled") {
    const std::string said = string_field(object_field(doc, "error"), "message");
    return std::unexpected("the response " + status + (said.empty() ? "" : ": " + one_line_excerpt(said)));
  }

  llm_reply reply;
  auto output = doc.find("output");
  if (output == doc.end() || output->is_null()) {
    // Some compatible servers send only the SDK's convenience field.
    if (auto text = doc.find("output_text"); text != doc.end() && text->is_string()) {
      reply.text = text->get<std::string>();
    } else {
      if (auto e = embedded_error(doc)) return std::unexpected(*e);
      return std::unexpected(std::string("output missing"));
    }
  } else if (!output->is_array()) {
    return std::unexpected(type_mismatch("output", *output, "an array"));
  } else {
    for (std::size_t i = 0; i < output->size(); ++i) {
      const json& item = (*output)[i];
      const std::string path = "output[" + std::to_string(i) + "]";
      if (!item.is_object()) return std::unexpected(type_mismatch(path, item, "an object"));
      const std::string type = string_field(item, "type");
      if (type == "message") {
        auto content = item.find("content");
        if (content == item.end() || !content->is_array()) continue;
        for (const json& part : *content) {
          if (string_field(part, "type") == "output_text") reply.text += string_field(part, "text");
        }
      } else if (type == "reasoning") {
        for (const char* field : {"summary", "content"}) {
          auto parts = item.find(field);
          if (parts == item.end() || !parts->is_array()) continue;
          for (const json& part : *parts) {
            const std::string text = string_field(part, "text");
            if (text.empty()) continue;
            if (!reply.reasoning.empty()) reply.reasoning += "\n\n";
            reply.reasoning += text;
          }
        }
      }
    }
  }
  reply.finish_reason = responses_finish_reason(doc);
  reply.model = string_field(doc, "model");
  reply.usage = responses_usage(object_field(doc, "usage"));
  return reply;
}

}  // namespace

std::string_view to_string(api_style style) { return style == api_style::responses ? "responses" : "chat"; }

api_style resolve_api_style(std::string_view setting, std::string_view model) {
  if (setting == "chat") return api_style::chat;
  if (setting == "responses") return api_style::responses;
  return model.starts_with("gpt-5") || model.starts_with("o3") ? api_style::responses : api_style::chat;
}

std::string_view api_path(api_style style) {
  return style == api_style::responses ? "/responses" : "/chat/completions";
}

std::string request_body(const llm_request& request, const wire_settings& settings) {
  json messages = json::array();
  for (const chat_message& m : request.messages) messages.push_back({{"role", m.role}, {"content", m.content}});

  json body = {{"model", request.model}};
  if (settings.style == api_style::responses) {
    body["input"] = std::move(messages);
    if (settings.reasoning_effort) body["reasoning"] = {{"effort", *settings.reasoning_effort}};
    if (settings.max_output_tokens) body["max_output_tokens"] = *settings.max_output_tokens;
    if (settings.temperature) body["temperature"] = *settings.temperature;
    body["store"] = false;
    if (settings.stream) body["stream"] = true;
  } else {
    body["messages"] = std::move(messages);
    if (settings.temperature) body["temperature"] = *settings.temperature;
    if (settings.max_output_tokens) body[settings.token_field] = *settings.max_output_tokens;
    if (settings.reasoning_effort) body["reasoning_effort"] = *settings.reasoning_effort;
    if (settings.stream) {
      body["stream"] = true;
      body["stream_options"] = {{"include_usage", true}};
    }
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::expected<llm_reply, std::string> parse_reply(api_style style, std::string_view body) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    const std::string start = one_line_excerpt(body, 100);
    return std::unexpected("the body is not JSON" + (start.empty() ? std::string(" (empty body)") : ": " + start));
  }
  auto reply = style == api_style::responses ? parse_responses(doc) : parse_chat(doc);
  if (reply) reply->raw = std::string(body);
  return reply;
}

bool stream_assembler::on_event(const sse_event& event) {
  if (finished_ || failure_) return false;
  ++events_;
  if (event.data == "[DONE]") {
    finished_ = true;
    return false;
  }
  return style_ == api_style::responses ? on_responses_event(event) : on_chat_event(event);
}

bool stream_assembler::on_chat_event(const sse_event& event) {
  const json doc = json::parse(event.data, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    failure_ = "stream event " + std::to_string(events_) + " is not a JSON object: " + one_line_excerpt(event.data, 100);
    return false;
  }
  if (auto e = embedded_error(doc)) {
    failure_ = "stream event " + std::to_string(events_) + ": " + *e;
    return false;
  }
  if (reply_.model.empty()) reply_.model = string_field(doc, "model");
  if (auto usage = doc.find("usage"); usage != doc.end() && usage->is_object()) {
    reply_.usage = chat_usage(*usage);
    reply_.raw = event.data;
  }
  auto choices = doc.find("choices");
  if (choices == doc.end() || !choices->is_array() || choices->empty()) return true;  // e.g. the usage chunk
  const json& first = choices->front();
  const json& delta = object_field(first, "delta");
  reply_.text += string_field(delta, "content");
  std::string reasoning = string_field(delta, "reasoning_content");
  if (reasoning.empty()) reasoning = string_field(delta, "reasoning");
  reply_.reasoning += reasoning;
  if (const std::string reason = string_field(first, "finish_reason"); !reason.empty()) reply_.finish_reason = reason;
  if (reply_.raw.empty() || !reply_.usage.reported()) reply_.raw = event.data;
  return true;
}

bool stream_assembler::on_responses_event(const sse_event& event) {
  const json doc = json::parse(event.data, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    failure_ = "stream event " + std::to_string(events_) + " is not a JSON object: " + one_line_excerpt(event.data, 100);
    return false;
  }
  std::string type = string_field(doc, "type");
  if (type.empty()) type = event.event;

  if (type == "response.output_text.delta") {
    reply_.text += string_field(doc, "delta");
  } else if (type == "response.reasoning_summary_text.delta" || type == "response.reasoning_text.delta") {
    reply_.reasoning += string_field(doc, "delta");
  } else if (type == "response.reasoning_summary_part.added" && !reply_.reasoning.empty()) {
    reply_.reasoning += "\n\n";
  } else if (type == "response.completed" || type == "response.incomplete") {
    // The final event carries the whole response: it is authoritative for text, usage and status.
    auto whole = parse_reply(api_style::responses, object_field(doc, "response").dump());
    if (!whole) {
      failure_ = type + ": " + whole.error();
      return false;
    }
    if (whole->text.empty()) whole->text = std::move(reply_.text);
    if (whole->reasoning.empty()) whole->reasoning = std::move(reply_.reasoning);
    whole->raw = event.data;
    reply_ = std::move(*whole);
    finished_ = true;
    return false;
  } else if (type == "response.failed" || type == "error") {
    std::string said = string_field(object_field(object_field(doc, "response"), "error"), "message");
    if (said.empty()) said = string_field(doc, "message");
    if (said.empty()) said = one_line_excerpt(server_message(event.data));
    failure_ = type + ": " + one_line_excerpt(said);
    return false;
  }
  return true;
}

}  // namespace ksearch::llm
