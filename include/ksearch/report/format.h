// ksearch/report/format.h — escaping and number formatting shared by the report writers.
//
// The HTML, SVG and Markdown writers show the same numbers; formatting them in one place keeps a
// latency or a cost written the same way everywhere. Missing values (std::nullopt) come out as "-".
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ksearch::report {

/// Escapes & < > " ' for HTML/SVG text and attribute values.
[[nodiscard]] std::string escape_html(std::string_view text);

/// Escapes inline Markdown text or a table cell: line breaks become spaces; '|', '\\', '`' and '<'
/// are backslash-escaped, and so are '_' and '*' where they could start or end emphasis (not
/// inside a word like node_scale_add, not a lone '*' between spaces), so identifiers stay readable.
[[nodiscard]] std::string escape_markdown_cell(std::string_view text);

/// `value` with `decimals` digits after the point ("1.2113"); "NaN", "inf" or "-inf" when not finite.
[[nodiscard]] std::string format_fixed(double value, int decimals);

/// A short label for an axis tick or a table: at most `significant` significant digits, no
/// exponent between 1e-4 and 1e9, trailing zeros dropped ("0.0062", "1.5", "12000"); "NaN", "inf".
[[nodiscard]] std::string format_number(double value, int significant = 4);

/// "0.00620 ms" (3 significant digits, zeros kept), or "-" when missing or not finite (the same
/// for the two below).
[[nodiscard]] std::string format_ms(std::optional<double> ms);
/// "1.21x", or "-".
[[nodiscard]] std::string format_speedup(std::optional<double> factor);
/// "$0.0321", or "unknown" for nullopt (a cost that could not be priced is not zero).
[[nodiscard]] std::string format_usd(std::optional<double> usd);
/// "850", "7.8k", "1.25M".
[[nodiscard]] std::string format_count(long count);
/// format_count, or "unknown" for nullopt (a count the server did not report is not zero).
[[nodiscard]] std::string format_count(std::optional<long> count);

/// Characters (code points) in UTF-8 `text`: for width estimates.
[[nodiscard]] std::size_t utf8_length(std::string_view text);

/// `text` cut to `max_chars` characters (UTF-8 aware) with "…" appended when cut.
[[nodiscard]] std::string truncate_text(std::string_view text, std::size_t max_chars);

}  // namespace ksearch::report
