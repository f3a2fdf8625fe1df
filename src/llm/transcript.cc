#include "ksearch/llm/transcript.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <utility>

#include "ksearch/common/content_hash.h"
#include "ksearch/common/json.h"
#include "ksearch/llm/api_key.h"

// Implementation details
//
// Each record is serialised to one line and appended through store::line_appender (one write(2),
// then fsync) before the call returns: the line is on disk before the request goes
// out, and before the reply is handed to the search. Redaction walks the JSON value and redacts
// every string (keys included) before dumping, so a secret is caught whatever JSON escaping would
// have done to it; the dumped line is redacted once more as a second net.

namespace ksearch::llm {

namespace fs = std::filesystem;
// Records are written with their fields in a fixed, readable order ("type" and "call" first).
using record_json = ordered_json;

namespace {

constexpr int transcript_version = 1;
constexpr std::array all_failures{llm_failure::unavailable, llm_failure::auth,       llm_failure::quota,
                                  llm_failure::not_found,   llm_failure::bad_request, llm_failure::budget,
                                  llm_failure::malformed_reply, llm_failure::replay_divergence, llm_failure::storage,
                                  llm_failure::no_reply_yet};

/// "2025-01-31T12:34:56.789Z"
[[nodiscard]] std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return text;
}

[[nodiscard]] record_json redact_all(const record_json& value, std::string_view secret) {
  if (value.is_string()) return redact(value.get<std::string>(), secret);
  if (value.is_array()) {
    record_json out = record_json::array();
    for (const record_json& item : value) out.push_back(redact_all(item, secret));
    return out;
  }
  if (value.is_object()) {
    record_json out = record_json::object();
    for (const auto& [key, item] : value.items()) out[redact(key, secret)] = redact_all(item, secret);
    return out;
  }
  return value;
}

[[nodiscard]] std::string dump_line(const record_json& record, std::string_view secret) {
  return redact_all(record, secret).dump(-1, ' ', false, record_json::error_handler_t::replace);
}

[[nodiscard]] record_json optional_json(const auto& value) { return value ? record_json(*value) : record_json(nullptr); }

[[nodiscard]] std::optional<llm_failure> failure_from(std::string_view name) {
  for (llm_failure kind : all_failures) {
    if (to_string(kind) == name) return kind;
  }
  return std::nullopt;
}

[[nodiscard]] std::string str(const json& doc, const char* field) {
  auto it = doc.find(field);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// Scans an existing transcript for its highest call number.
[[nodiscard]] long highest_call(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  long highest = 0;
  std::string line;
  while (std::getline(in, line)) {
    const json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) continue;
    auto call = doc.find("call");
    if (call != doc.end() && call->is_number_integer()) highest = std::max(highest, call->get<long>());
  }
  return highest;
}

/// The request part of a request record; nullopt when a field is missing or mistyped.
[[nodiscard]] std::optional<llm_request> request_from(const json& doc) {
  llm_request request;
  request.model = str(doc, "model");
  request.purpose = str(doc, "purpose");
  auto messages = doc.find("messages");
  if (messages == doc.end() || !messages->is_array()) return std::nullopt;
  for (const json& m : *messages) {
    if (!m.is_object() || !m.contains("role") || !m.contains("content")) return std::nullopt;
    request.messages.push_back({str(m, "role"), str(m, "content")});
  }
  if (auto options = doc.find("options"); options != doc.end() && options->is_object()) {
    if (auto t = options->find("temperature"); t != options->end() && t->is_number()) {
      request.options.temperature = t->get<double>();
    }
    if (auto n = options->find("max_output_tokens"); n != options->end() && n->is_number_integer()) {
      request.options.max_output_tokens = n->get<long>();
    }
    if (auto e = options->find("reasoning_effort"); e != options->end() && e->is_string()) {
      request.options.reasoning_effort = e->get<std::string>();
    }
  }
  return request;
}

[[nodiscard]] llm_reply reply_from(const json& doc) {
  llm_reply reply;
  reply.text = str(doc, "text");
  reply.reasoning = str(doc, "reasoning");
  reply.finish_reason = str(doc, "finish_reason");
  reply.model = str(doc, "model");
  if (auto usage = doc.find("usage"); usage != doc.end()) reply.usage = token_usage_from_json(*usage);
  if (auto cost = doc.find("cost_usd"); cost != doc.end() && cost->is_number()) reply.cost_usd = cost->get<double>();
  if (auto latency = doc.find("latency_s"); latency != doc.end() && latency->is_number()) {
    reply.latency_s = latency->get<double>();
  }
  if (auto attempts = doc.find("attempts"); attempts != doc.end() && attempts->is_number_integer()) {
    reply.attempts = attempts->get<int>();
  }
  if (auto raw = doc.find("raw"); raw != doc.end() && !raw->is_null()) {
    reply.raw = raw->is_string() ? raw->get<std::string>() : raw->dump();
  }
  return reply;
}

}  // namespace

std::string request_fingerprint(const llm_request& request) {
  content_hash hash;
  hash.add(request.model);
  for (const chat_message& m : request.messages) hash.add(m.role).add(m.content);
  return "fnv1a64:" + hash.hex();
}

result<std::unique_ptr<transcript_writer>> transcript_writer::open(const fs::path& file, std::string secret,
                                                                   std::string provider) {
  std::error_code ec;
  // Only a regular file can hold earlier records (and reading a device could never end).
  const long last_call = fs::is_regular_file(file, ec) ? highest_call(file) : 0;

  auto log = store::line_appender::open(file);
  if (!log) return std::unexpected(log.error());
  std::unique_ptr<transcript_writer> writer(new transcript_writer(std::move(*log), std::move(secret), last_call));

  const record_json header = {{"type", "header"},        {"format", "ksearch-transcript"}, {"version", transcript_version},
                              {"ksearch", KSEARCH_VERSION}, {"provider", provider},          {"time", utc_now()}};
  if (auto done = writer->append_line(header.dump()); !done) return std::unexpected(done.error());
  return writer;
}

transcript_writer::transcript_writer(std::unique_ptr<store::line_appender> log, std::string secret, long last_call)
    : log_(std::move(log)), secret_(std::move(secret)), last_call_(last_call) {}

transcript_writer::~transcript_writer() = default;

result<void> transcript_writer::append_line(std::string line) {
  return log_->append(redact(std::move(line), secret_));
}

result<void> transcript_writer::record_request(long call, const llm_request& request, std::string_view provider) {
  record_json messages = record_json::array();
  for (const chat_message& m : request.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  const record_json record = {{"type", "request"},
                       {"call", call},
                       {"time", utc_now()},
                       {"provider", provider},
                       {"model", request.model},
                       {"purpose", request.purpose},
                       {"fingerprint", request_fingerprint(request)},
                       {"options",
                        {{"temperature", optional_json(request.options.temperature)},
                         {"max_output_tokens", optional_json(request.options.max_output_tokens)},
                         {"reasoning_effort", optional_json(request.options.reasoning_effort)}}},
                       {"messages", std::move(messages)}};
  return append_line(dump_line(record, secret_));
}

result<void> transcript_writer::record_reply(long call, const llm_reply& reply) {
  // The raw reply goes in as JSON when it is JSON (readable with jq), else as a string.
  record_json raw = record_json::parse(reply.raw, nullptr, /*allow_exceptions=*/false);
  if (raw.is_discarded()) raw = reply.raw.empty() ? record_json(nullptr) : record_json(reply.raw);
  const record_json record = {{"type", "reply"},
                       {"call", call},
                       {"time", utc_now()},
                       {"latency_s", reply.latency_s},
                       {"attempts", reply.attempts},
                       {"finish_reason", reply.finish_reason},
                       {"model", reply.model},
                       {"usage",
                        {{"prompt_tokens", optional_json(reply.usage.prompt_tokens)},
                         {"completion_tokens", optional_json(reply.usage.completion_tokens)},
                         {"reasoning_tokens", optional_json(reply.usage.reasoning_tokens)},
                         {"cached_prompt_tokens", optional_json(reply.usage.cached_prompt_tokens)}}},
                       {"cost_usd", optional_json(reply.cost_usd)},
                       {"text", reply.text},
                       {"reasoning", reply.reasoning},
                       {"raw", std::move(raw)}};
  return append_line(dump_line(record, secret_));
}

result<void> transcript_writer::record_error(long call, const llm_error& failure) {
  const record_json record = {{"type", "error"},
                       {"call", call},
                       {"time", utc_now()},
                       {"kind", to_string(failure.kind)},
                       {"subject", failure.detail.subject},
                       {"problem", failure.detail.problem},
                       {"fix", failure.detail.fix},
                       {"attempts", failure.attempts}};
  return append_line(dump_line(record, secret_));
}

result<void> transcript_writer::record_note(long call, std::string_view text) {
  const record_json record = {{"type", "note"}, {"call", call}, {"time", utc_now()}, {"text", text}};
  return append_line(dump_line(record, secret_));
}

result<transcript_contents> read_transcript(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(file.string(), "cannot open the transcript", "check --llm-replay");

  transcript_contents contents;
  // Calls in the order their requests were recorded; concurrent calls (--samples-per-round)
  // interleave their records, so an outcome is paired with its request by call number.
  std::vector<transcript_call> calls;
  std::map<long, std::size_t> open_calls;  // call number -> index in `calls`, until its outcome
  auto warn = [&](std::size_t line, const std::string& text) {
    contents.warnings.push_back(file.string() + ":" + std::to_string(line) + ": " + text);
  };

  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) {
      warn(number, "not a JSON object (a torn record?), skipped");
      continue;
    }
    const std::string type = str(doc, "type");
    auto call = doc.find("call");
    const long call_number = call != doc.end() && call->is_number_integer() ? call->get<long>() : -1;

    if (type == "header") {
      auto version = doc.find("version");
      if (version != doc.end() && version->is_number_integer() && version->get<int>() > transcript_version) {
        return fail(file.string() + ":" + std::to_string(number),
                    "transcript version " + std::to_string(version->get<int>()) + " is newer than this ksearch reads (" +
                        std::to_string(transcript_version) + ")",
                    "replay it with a newer ksearch");
      }
    } else if (type == "request") {
      auto request = request_from(doc);
      if (!request || call_number < 0) {
        warn(number, "request record without call, model or messages, skipped");
        continue;
      }
      // A number recorded again (a session cut off mid-call, then resumed) replaces the old request.
      open_calls[call_number] = calls.size();
      calls.push_back(transcript_call{call_number, number, std::move(*request), str(doc, "fingerprint"),
                                      str(doc, "provider"), std::nullopt, std::nullopt});
    } else if (type == "reply" || type == "error") {
      const auto open = open_calls.find(call_number);
      if (open == open_calls.end()) {
        warn(number, type + " for call " + std::to_string(call_number) + " without its request, skipped");
        continue;
      }
      transcript_call& answered = calls[open->second];
      if (type == "reply") {
        answered.reply = reply_from(doc);
      } else {
        const auto kind = failure_from(str(doc, "kind"));
        if (!kind) {
          warn(number, "error record with unknown kind '" + str(doc, "kind") + "', skipped");
          continue;
        }
        int attempts = 0;
        if (auto a = doc.find("attempts"); a != doc.end() && a->is_number_integer()) attempts = a->get<int>();
        answered.failure = llm_error{*kind, error{str(doc, "subject"), str(doc, "problem"), str(doc, "fix")}, attempts};
      }
      open_calls.erase(open);
    }
    // "note" and unknown types are for people; replay ignores them.
  }
  if (in.bad()) return fail(file.string(), "read failed");
  for (transcript_call& c : calls) {
    if (c.reply || c.failure) {
      contents.calls.push_back(std::move(c));
    } else {
      warn(c.line, "call " + std::to_string(c.call) + " has no reply (skipped)");
    }
  }
  return contents;
}

}  // namespace ksearch::llm
