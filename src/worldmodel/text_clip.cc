#include "ksearch/worldmodel/text_clip.h"

#include <cctype>

namespace ksearch::worldmodel {

namespace {

[[nodiscard]] bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u;
}

}  // namespace

std::string clip_text(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  constexpr std::string_view marker = "...";
  if (max_bytes < marker.size()) return std::string(marker.substr(0, max_bytes));
  std::size_t cut = max_bytes - marker.size();
  while (cut > 0 && is_continuation_byte(text[cut])) --cut;
  // Prefer ending on a whole sentence, then on a whole word, when that keeps at least half.
  const std::string_view head = text.substr(0, cut);
  std::size_t sentence = std::string_view::npos;
  for (std::string_view end : {". ", "! ", "? ", ".\n"}) {
    const std::size_t at = head.rfind(end);
    if (at != std::string_view::npos && (sentence == std::string_view::npos || at > sentence)) sentence = at;
  }
  if (sentence != std::string_view::npos && sentence + 1 >= cut / 2) {
    cut = sentence + 1;
  } else if (const std::size_t space = head.rfind(' '); space != std::string_view::npos && space >= cut / 2) {
    cut = space;
  }
  return std::string(text.substr(0, cut)) + std::string(marker);
}

std::string one_line(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

}  // namespace ksearch::worldmodel
