#include "ksearch/report/format.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace ksearch::report {

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string escape_markdown_cell(std::string_view text) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char before = i > 0 ? text[i - 1] : ' ';
    const char after = i + 1 < text.size() ? text[i + 1] : ' ';
    if (c == '\n' || c == '\r' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    // Only what Markdown would act on is escaped, so the text stays readable in a terminal:
    // '_' inside a word (node_scale_add) is never emphasis, '__restrict__' and '_x_' can be;
    // a '*' between spaces (alpha * x) is never emphasis, 'float4*' can be.
    const bool escape = c == '|' || c == '\\' || c == '`' || c == '<' ||
                        (c == '_' && !(word(before) && word(after))) || (c == '*' && !(before == ' ' && after == ' '));
    if (escape) out += '\\';
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

namespace {
// NaN and infinities are shown as what they are: an error of NaN is a finding, not a blank.
std::string non_finite(double value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "inf" : "-inf";
}
}  // namespace

std::string format_fixed(double value, int decimals) {
  if (!std::isfinite(value)) return non_finite(value);
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// `significant` digits, without an exponent between 1e-4 and 1e9; trailing zeros kept or dropped.
std::string significant_digits(double value, int significant, bool keep_zeros) {
  if (!std::isfinite(value)) return non_finite(value);
  if (value == 0) return "0";
  const double magnitude = std::abs(value);
  char text[64];
  if (magnitude < 1e-4 || magnitude >= 1e9) {
    std::snprintf(text, sizeof text, "%.*g", significant, value);
    return text;
  }
  // Digits after the point so that `significant` digits show, never negative.
  const int leading = static_cast<int>(std::floor(std::log10(magnitude))) + 1;
  const int decimals = std::max(0, significant - leading);
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  std::string out = text;
  if (!keep_zeros && out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out == "-0" ? "0" : out;
}

std::string format_number(double value, int significant) { return significant_digits(value, significant, false); }

std::string format_ms(std::optional<double> ms) {
  if (!ms || !std::isfinite(*ms)) return "-";
  return significant_digits(*ms, 3, true) + " ms";  // zeros kept: a column of latencies lines up
}

std::string format_speedup(std::optional<double> factor) {
  if (!factor || !std::isfinite(*factor)) return "-";
  return format_fixed(*factor, 2) + "x";
}

std::string format_usd(std::optional<double> usd) {
  if (!usd) return "unknown";
  if (!std::isfinite(*usd)) return "-";
  return "$" + format_fixed(*usd, *usd < 1 ? 4 : 2);
}

std::string format_count(long count) {
  const double v = static_cast<double>(count);
  if (count < 1000 && count > -1000) return std::to_string(count);
  if (count < 1000000 && count > -1000000) return format_number(v / 1e3, 3) + "k";
  return format_number(v / 1e6, 3) + "M";
}

std::string format_count(std::optional<long> count) { return count ? format_count(*count) : "unknown"; }

std::size_t utf8_length(std::string_view text) {
  std::size_t chars = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++chars;
  }
  return chars;
}

std::string truncate_text(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    // A UTF-8 continuation byte (10xxxxxx) does not start a character.
    if ((static_cast<unsigned char>(text[i]) & 0xC0U) == 0x80U) continue;
    if (chars == max_chars) return std::string(text.substr(0, i)) + "\u2026";
    ++chars;
  }
  return std::string(text);
}

}  // namespace ksearch::report
