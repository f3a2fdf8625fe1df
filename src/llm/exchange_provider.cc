#include "ksearch/llm/exchange_provider.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "ksearch/common/json.h"
#include "ksearch/store/durable_file.h"

namespace ksearch::llm {

namespace fs = std::filesystem;

namespace {

/// The number a file name starts with ("0012.prompt.md" -> 12), or -1.
[[nodiscard]] long leading_number(const std::string& name) {
  const std::size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 0) return -1;
  long value = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + dot, value);
  return ec == std::errc() && end == name.data() + dot ? value : -1;
}

[[nodiscard]] std::string call_name(long call) {
  char text[24];
  std::snprintf(text, sizeof text, "%04ld", call);
  return text;
}

[[nodiscard]] std::string prompt_markdown(long call, const llm_request& request, const fs::path& reply) {
  std::string text = "<!-- ksearch exchange call " + std::to_string(call) + ", model " + request.model +
                     (request.purpose.empty() ? "" : ", purpose " + request.purpose) + ". Answer in " +
                     reply.filename().string() + ": write it under another name, then rename it. -->\n";
  for (const chat_message& m : request.messages) text += "\n## " + m.role + "\n\n" + m.content + "\n";
  return text;
}

// What makes two requests the same question: the request file without its call number.
[[nodiscard]] std::string request_key(json request) {
  request.erase("call");
  return request.dump(-1, ' ', false, json::error_handler_t::replace);
}

[[nodiscard]] json request_json(long call, const llm_request& request) {
  json messages = json::array();
  for (const chat_message& m : request.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  json options = json::object();
  if (request.options.temperature) options["temperature"] = *request.options.temperature;
  if (request.options.max_output_tokens) options["max_output_tokens"] = *request.options.max_output_tokens;
  if (request.options.reasoning_effort) options["reasoning_effort"] = *request.options.reasoning_effort;
  return {{"call", call}, {"model", request.model}, {"purpose", request.purpose}, {"messages", messages},
          {"options", options}};
}

}  // namespace

result<std::unique_ptr<exchange_provider>> exchange_provider::open(exchange_settings settings) {
  std::error_code ec;
  fs::create_directories(settings.dir, ec);
  if (ec) return fail(settings.dir.string(), "cannot create the exchange folder: " + ec.message(), "check --exchange-dir");
  long highest = 0;
  std::map<long, std::string> pending;
  for (const fs::directory_entry& entry : fs::directory_iterator(settings.dir, ec)) {
    const std::string name = entry.path().filename().string();
    const long call = leading_number(name);
    highest = std::max(highest, call);
    if (call < 0 || !name.ends_with(".request.json") || fs::exists(settings.dir / (call_name(call) + ".done"))) continue;
    // An unreadable request file is not pending: that call simply gets no second life.
    auto text = store::read_file(entry.path());
    if (!text) continue;
    const json request = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (request.is_object()) pending.emplace(call, request_key(request));
  }
  if (ec) return fail(settings.dir.string(), "cannot list the exchange folder: " + ec.message(), "check --exchange-dir");
  return std::unique_ptr<exchange_provider>(new exchange_provider(std::move(settings), highest + 1, std::move(pending)));
}

exchange_provider::exchange_provider(exchange_settings settings, long next_call, std::map<long, std::string> pending)
    : settings_(std::move(settings)), next_call_(next_call), pending_(std::move(pending)) {}

long exchange_provider::claim_pending(const std::string& key) {
  const std::scoped_lock lock(pending_mutex_);
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->second != key) continue;
    const long call = it->first;
    pending_.erase(it);
    return call;
  }
  return -1;
}

fs::path exchange_provider::file_for(long call, std::string_view suffix) const {
  return settings_.dir / (call_name(call) + std::string(suffix));
}

llm_result exchange_provider::complete(const llm_request& request) {
  // The shared state: the number, and the pending calls a resumed search may answer. Everything
  // after works on this call's own files.
  const std::string key = request_key(request_json(0, request));
  long call = claim_pending(key);
  const bool asked_before = call >= 0;
  if (!asked_before) call = next_call_.fetch_add(1);
  const fs::path reply_file = file_for(call, ".reply.md");
  const auto start = std::chrono::steady_clock::now();

  // Step 1: the request, machine- and human-readable; the .md last, since people watch for it.
  // A question asked before (by a search that paused) already has its files.
  if (!asked_before) {
    const std::string request_text = request_json(call, request).dump(2, ' ', false, json::error_handler_t::replace);
    for (const auto& [suffix, content] : {std::pair<std::string_view, std::string>{".request.json", request_text},
                                          {".prompt.md", prompt_markdown(call, request, reply_file)}}) {
      if (auto written = store::write_file_atomic(file_for(call, suffix), content); !written) {
        return std::unexpected(llm_error{llm_failure::storage, written.error(), 0});
      }
    }
  }

  // Step 2: wait for the reply to be renamed into place.
  std::error_code ec;
  while (!fs::exists(reply_file, ec)) {
    if (std::chrono::steady_clock::now() - start >= settings_.timeout) {
      {
        // Still pending: a later identical request in this process may wait for it again.
        const std::scoped_lock lock(pending_mutex_);
        pending_.emplace(call, key);
      }
      return llm_fail(llm_failure::no_reply_yet, file_for(call, ".prompt.md").string(),
                      "no reply within " + std::to_string(settings_.timeout.count() / 1000) +
                          " s (--exchange-timeout); the search stops here without losing the round",
                      "answer in " + reply_file.string() +
                          " (write it under another name, then rename it), then run the same command with --resume: "
                          "the round is asked again and takes that reply");
    }
    std::this_thread::sleep_for(settings_.poll_interval);
  }

  // Step 3: read it.
  std::ifstream in(reply_file, std::ios::binary);
  if (!in) return llm_fail(llm_failure::storage, reply_file.string(), "cannot open the reply file");
  std::ostringstream text;
  text << in.rdbuf();  // an empty file is an empty reply
  if (in.bad()) return llm_fail(llm_failure::storage, reply_file.string(), "cannot read the reply file");
  // Done: never offered to a later request again. A marker that cannot be written only means a
  // resumed search might reuse this reply for the very same question.
  static_cast<void>(store::write_file_atomic(file_for(call, ".done"), ""));
  llm_reply reply;
  reply.text = text.str();
  if (reply.text.starts_with("\xEF\xBB\xBF")) reply.text.erase(0, 3);
  reply.finish_reason = "stop";
  reply.model = request.model;
  reply.latency_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return reply;
}

}  // namespace ksearch::llm
