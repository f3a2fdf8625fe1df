#include "ksearch/llm/sse_parser.h"

namespace ksearch::llm {

bool sse_decoder::feed(std::string_view bytes, const sink& on_event) {
  bytes_seen_ += bytes.size();
  if (stopped_) return false;
  if (at_start_) {
    // The BOM may itself be split across reads; only its complete form at the very start counts.
    line_.append(bytes);
    if (line_.size() < 3 && std::string_view("\xEF\xBB\xBF").starts_with(line_)) return true;
    at_start_ = false;
    if (line_.starts_with("\xEF\xBB\xBF")) line_.erase(0, 3);
    std::string buffered;
    buffered.swap(line_);
    bytes_seen_ -= buffered.size();  // counted above already
    return feed(buffered, on_event);
  }
  for (const char c : bytes) {
    if (c == '\n' && after_cr_) {
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      if (!end_line(on_event)) return false;
      continue;
    }
    line_ += c;
  }
  return true;
}

bool sse_decoder::finish(const sink& on_event) {
  if (stopped_) return false;
  if (!line_.empty() && !end_line(on_event)) return false;
  return dispatch(on_event);
}

bool sse_decoder::end_line(const sink& on_event) {
  std::string line;
  line.swap(line_);
  if (line.empty()) return dispatch(on_event);
  if (line[0] == ':') return true;  // a comment, e.g. ": keep-alive"

  const std::size_t colon = line.find(':');
  const std::string_view field = std::string_view(line).substr(0, colon);
  std::string_view value;
  if (colon != std::string::npos) {
    value = std::string_view(line).substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) pending_.data += '\n';
    pending_.data += value;
    has_data_ = true;
  } else if (field == "event") {
    pending_.event = value;
  } else if (field == "id") {
    pending_.id = value;
  }
  // "retry" and unknown fields are ignored, as the standard says.
  return true;
}

bool sse_decoder::dispatch(const sink& on_event) {
  const bool deliver = has_data_;
  sse_event event = std::move(pending_);
  pending_ = {};
  has_data_ = false;
  if (!deliver) return true;
  if (!on_event(event)) {
    stopped_ = true;
    return false;
  }
  return true;
}

}  // namespace ksearch::llm
