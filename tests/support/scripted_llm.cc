#include "support/scripted_llm.h"

#include "ksearch/common/json.h"

namespace ksearch::test_support {

namespace {

// The search's prompts say what they are in their first paragraph (prompts/*.md).
llm_call_kind kind_of(std::string prompt) {
  for (char& c : prompt) {
    if (c == '\n') c = ' ';
  }
  if (prompt.find("initial world model") != std::string::npos) return llm_call_kind::init;
  if (prompt.find("edit operations") != std::string::npos) return llm_call_kind::edit;
  return llm_call_kind::codegen;
}

std::string completion_body(const std::string& text) {
  const json body = {
      {"id", "chatcmpl-test"},
      {"object", "chat.completion"},
      {"model", "scripted-model"},
      {"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", text}}}, {"finish_reason", "stop"}}}},
      {"usage", {{"prompt_tokens", 100}, {"completion_tokens", 50}, {"total_tokens", 150}}}};
  return body.dump();
}

}  // namespace

scripted_llm::scripted_llm() {
  fallbacks_[static_cast<int>(llm_call_kind::init)] = {"{}"};
  fallbacks_[static_cast<int>(llm_call_kind::edit)] = {R"({"ops": []})"};
  fallbacks_[static_cast<int>(llm_call_kind::codegen)] = {"no code today"};
  server_ = std::make_unique<loopback_http_server>([this](const received_request& r) { return answer(r); });
}

void scripted_llm::add(llm_call_kind kind, scripted_reply reply) {
  std::lock_guard lock(mutex_);
  queues_[static_cast<int>(kind)].push_back(std::move(reply));
}

void scripted_llm::set_fallback(llm_call_kind kind, scripted_reply reply) {
  std::lock_guard lock(mutex_);
  fallbacks_[static_cast<int>(kind)] = std::move(reply);
}

std::vector<std::string> scripted_llm::prompts(llm_call_kind kind) const {
  std::lock_guard lock(mutex_);
  return prompts_[static_cast<int>(kind)];
}

scripted_response scripted_llm::answer(const received_request& request) {
  if (request.method == "GET") return {.status = 200, .body = R"({"object":"list","data":[{"id":"scripted-model"}]})"};
  std::string prompt;
  try {
    const json body = json::parse(request.body);
    for (const auto& m : body.at("messages")) {
      if (m.value("role", "") == "user") prompt = m.value("content", "");
      break;  // the first message carries the prompt; follow-ups are re-asks of the same call
    }
  } catch (const json::exception&) {
    return {.status = 400, .body = R"({"error":{"message":"bad request body"}})"};
  }
  const int k = static_cast<int>(kind_of(prompt));
  scripted_reply reply;
  {
    std::lock_guard lock(mutex_);
    prompts_[k].push_back(prompt);
    if (queues_[k].empty()) {
      reply = fallbacks_[k];
    } else {
      reply = queues_[k].front();
      queues_[k].pop_front();
    }
  }
  scripted_response response{.status = reply.status, .headers = {{"Content-Type", "application/json"}}, .delay = reply.delay};
  response.body = reply.status == 200 ? completion_body(reply.text)
                                      : json{{"error", {{"message", reply.text}}}}.dump();
  return response;
}

std::string candidate_reply(const std::string& kernel_cu, const std::string& launch_json) {
  return "Here is the kernel.\n<file path=\"kernel.cu\">\n" + kernel_cu + "\n</file>\n<file path=\"launch.json\">\n" +
         launch_json + "\n</file>\n";
}

}  // namespace ksearch::test_support
