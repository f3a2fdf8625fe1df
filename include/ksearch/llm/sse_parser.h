// ksearch/llm/sse_parser.h — decodes a Server-Sent Events stream (text/event-stream) into events.
//
// Streaming chat and Responses API replies arrive as SSE: "event:"/"data:" lines, one blank line
// after each event. Bytes arrive in arbitrary pieces (a line, or even a CRLF, may be split across
// two reads), so the decoder keeps the unfinished line between feed() calls. It follows the
// WHATWG rules: CRLF, LF or CR end a line; ':' starts a comment (servers send them as
// keep-alives); several data lines join with '\n'; an event without data is not delivered.
// Unlike the standard, a last event whose blank line never came is still delivered by finish():
// some servers end the stream right after "data: [DONE]".
//
// Thread-safety: none; one decoder per stream.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace ksearch::llm {

struct sse_event {
  std::string event;  // the "event:" field; "" when the server sent none (the client treats it as "message")
  std::string data;   // the "data:" lines joined with '\n'
  std::string id;     // the "id:" field, "" when absent
};

class sse_decoder {
 public:
  /// Called for each complete event; return false to stop decoding (the rest is ignored).
  using sink = std::function<bool(const sse_event&)>;

  /// Decodes `bytes`; false when the sink asked to stop (now or in an earlier call).
  bool feed(std::string_view bytes, const sink& on_event);
  /// The stream ended: delivers a pending event that lacked its blank line. False when stopped.
  bool finish(const sink& on_event);

  /// Bytes received so far (all feed() calls).
  [[nodiscard]] std::size_t bytes_seen() const { return bytes_seen_; }

 private:
  bool end_line(const sink& on_event);
  bool dispatch(const sink& on_event);

  std::string line_;           // the current, unfinished line
  sse_event pending_;          // fields of the event being built
  bool has_data_ = false;      // pending_ got at least one data line
  bool after_cr_ = false;      // the previous byte was CR: a following LF belongs to it
  bool stopped_ = false;
  bool at_start_ = true;       // a UTF-8 BOM is allowed before the first line
  std::size_t bytes_seen_ = 0;
};

}  // namespace ksearch::llm
