// ksearch/common/text.h — small text helpers for parsers: trimming, ASCII case, lines.
//
// Case is ASCII only: bytes outside A-Z and a-z (UTF-8 included) are left alone and the locale is
// never consulted, so a comparison gives the same answer wherever ksearch runs. Trimming takes the
// set of characters to remove, because formats differ on it (a template line keeps its '\r', a
// CSV field loses it).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ksearch {

/// What isspace() accepts in the C locale: space, \t, \r, \n, \f, \v.
inline constexpr std::string_view blank_chars = " \t\r\n\f\v";

/// `text` without leading and trailing characters from `blanks`. The view points into `text`.
[[nodiscard]] std::string_view trim(std::string_view text, std::string_view blanks = blank_chars);
/// `text` without leading characters from `blanks`.
[[nodiscard]] std::string_view trim_start(std::string_view text, std::string_view blanks = blank_chars);
/// `text` without trailing characters from `blanks`.
[[nodiscard]] std::string_view trim_end(std::string_view text, std::string_view blanks = blank_chars);
/// True when `text` holds nothing but characters from `blanks` (an empty text included).
[[nodiscard]] bool is_blank(std::string_view text, std::string_view blanks = blank_chars);

/// `text` with A-Z as a-z.
[[nodiscard]] std::string to_lower(std::string_view text);
/// `text` with a-z as A-Z.
[[nodiscard]] std::string to_upper(std::string_view text);
/// `a == b`, ignoring ASCII case.
[[nodiscard]] bool equals_ignoring_case(std::string_view a, std::string_view b);
/// `text.starts_with(prefix)`, ignoring ASCII case.
[[nodiscard]] bool starts_with_ignoring_case(std::string_view text, std::string_view prefix);
/// `text.ends_with(suffix)`, ignoring ASCII case.
[[nodiscard]] bool ends_with_ignoring_case(std::string_view text, std::string_view suffix);

/// `items` with `separator` between them.
[[nodiscard]] std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");
/// An element of a list in a path that names where a problem is: "steps" and 2 give "steps[2]".
[[nodiscard]] std::string indexed(std::string_view path, std::size_t index);

/// The lines of `text` without their '\n' (a last line without one included; "" gives none).
/// The views point into `text`.
[[nodiscard]] std::vector<std::string_view> split_lines(std::string_view text);

}  // namespace ksearch
