// ksearch/worldmodel/text_clip.h — bounding the text the world model puts into prompts.
//
// Sizes are in bytes of UTF-8, which is never less than the number of characters, so a byte
// budget is also a character budget. Cuts never split a UTF-8 sequence.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ksearch::worldmodel {

/// `text` when it fits in `max_bytes`; else its head followed by "..." so the whole is at most
/// `max_bytes` (only dots when `max_bytes` < 3). The head ends after a whole sentence, else a
/// whole word, when that keeps at least half of the room; never inside a UTF-8 sequence.
[[nodiscard]] std::string clip_text(std::string_view text, std::size_t max_bytes);

/// `text` with every run of whitespace (newlines included) replaced by one space, trimmed.
[[nodiscard]] std::string one_line(std::string_view text);

}  // namespace ksearch::worldmodel
