// ksearch/llm/transcript.h — transcript.jsonl: every LLM request and its outcome, as they happen.
//
// One JSON object per line, appended and fsync'ed record by record, so that a crash loses at
// most the line being written and a reader can always use what came before. Records:
//
//   {"type":"header","format":"ksearch-transcript","version":1,"ksearch":"0.1.0","provider":"openai","time":...}
//   {"type":"request","call":1,"time":...,"provider":"openai","model":"gpt-5","purpose":"codegen",
//    "fingerprint":"fnv1a64:...","options":{...},"messages":[{"role":"user","content":"..."}]}
//   {"type":"reply","call":1,"time":...,"latency_s":12.3,"attempts":1,"finish_reason":"stop","model":"...",
//    "usage":{...},"cost_usd":0.0123 or null,"text":"...","reasoning":"...","raw":{...}}
//   {"type":"error","call":1,"time":...,"kind":"unavailable","subject":"...","problem":"...","fix":"...","attempts":9}
//   {"type":"note","call":2,"time":...,"text":"budget reached: ..."}
//
// A request's "options" are its own per-request overrides; the run's settings (the flags) are in
// the run's configuration. A request is written before it is sent, its outcome when it arrives;
// a request without an outcome is a call that was in flight when the process died. HTTP headers
// are never recorded, and every string passes through redact() with the API key before it is
// written.
//
// The fingerprint hashes what the request asks (model, and every message's role and content),
// unredacted; --llm-replay compares it to detect a search that went another way.
//
// Thread-safety: a writer serves one caller at a time (metered_provider locks around it); reading
// is independent of writing.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/llm/llm_provider.h"
#include "ksearch/store/durable_file.h"

namespace ksearch::llm {

/// "fnv1a64:<16 hex digits>" over the model and the messages (roles and contents).
[[nodiscard]] std::string request_fingerprint(const llm_request& request);

class transcript_writer {
 public:
  /// Opens `file` for appending (creating it and its folders), ends a torn last line so the next
  /// record starts on a line of its own, and writes a header record. `secret` is redacted from
  /// everything written; `provider` is named in the header.
  [[nodiscard]] static result<std::unique_ptr<transcript_writer>> open(const std::filesystem::path& file,
                                                                      std::string secret, std::string provider);
  ~transcript_writer();
  transcript_writer(const transcript_writer&) = delete;
  transcript_writer& operator=(const transcript_writer&) = delete;

  /// The highest call number already in the file when it was opened (0 for a new file): a
  /// resumed run numbers its calls after it.
  [[nodiscard]] long last_call() const { return last_call_; }
  [[nodiscard]] const std::filesystem::path& path() const { return log_->path(); }

  [[nodiscard]] result<void> record_request(long call, const llm_request& request, std::string_view provider);
  [[nodiscard]] result<void> record_reply(long call, const llm_reply& reply);
  [[nodiscard]] result<void> record_error(long call, const llm_error& failure);
  [[nodiscard]] result<void> record_note(long call, std::string_view text);

 private:
  transcript_writer(std::unique_ptr<store::line_appender> log, std::string secret, long last_call);
  [[nodiscard]] result<void> append_line(std::string line);

  std::unique_ptr<store::line_appender> log_;
  std::string secret_;
  long last_call_;
};

/// One complete call read back from a transcript.
struct transcript_call {
  long call = 0;
  std::size_t line = 0;            // line of the request record [1-based]
  llm_request request;             // as recorded (redacted)
  std::string fingerprint;         // as recorded
  std::string provider;
  std::optional<llm_reply> reply;  // exactly one of reply and failure is set
  std::optional<llm_error> failure;
};

struct transcript_contents {
  std::vector<transcript_call> calls;  // complete calls, in the order their requests were recorded
  std::vector<std::string> warnings;   // "FILE:LINE: ..." for every line skipped, and calls left without an outcome
};

/// Reads the complete calls of a transcript. Unreadable lines (a torn record after a crash) are
/// skipped and reported in `warnings`, as are requests that never got an outcome. Errors: the
/// file cannot be read, or was written by a newer transcript version.
[[nodiscard]] result<transcript_contents> read_transcript(const std::filesystem::path& file);

}  // namespace ksearch::llm
