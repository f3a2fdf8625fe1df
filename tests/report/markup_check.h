// Test helper for the report tests: checks that SVG or HTML text is well-formed enough for a
// browser to build the tree the writer meant: every tag closed in order, no stray '<' or '&' in
// text or attribute values, every attribute value quoted. Not a full XML parser; it is strict
// where the report writers' output could go wrong.
#pragma once

#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ksearch::report::test {

/// Counts of each element name seen, and the first problem found (nullopt when well-formed).
struct markup_check {
  std::optional<std::string> problem;
  std::vector<std::string> elements;  // every opened element, in document order

  [[nodiscard]] std::size_t count(std::string_view name) const {
    std::size_t n = 0;
    for (const std::string& e : elements) n += e == name ? 1 : 0;
    return n;
  }
};

/// `html` = true allows HTML's void elements (meta, br, ...) and a <!DOCTYPE>; SVG must close all.
inline markup_check check_markup(std::string_view text, bool html) {
  static const std::set<std::string, std::less<>> void_elements = {"meta", "br", "hr", "img", "input", "link", "wbr"};
  markup_check result;
  std::vector<std::string> open;
  auto fail = [&](std::size_t at, const std::string& why) {
    result.problem = why + " at offset " + std::to_string(at) + " near '" +
                     std::string(text.substr(at > 30 ? at - 30 : 0, 60)) + "'";
    return result;
  };
  auto check_entities = [&](std::string_view part, std::size_t base) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < part.size(); ++i) {
      if (part[i] != '&') continue;
      const std::size_t end = part.find(';', i);
      const std::string_view entity = part.substr(i, end == std::string_view::npos ? 0 : end - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" && entity != "&#39;") return base + i;
    }
    return std::nullopt;
  };

  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t lt = text.find('<', pos);
    const std::string_view between = text.substr(pos, lt == std::string_view::npos ? std::string_view::npos : lt - pos);
    if (between.find('>') != std::string_view::npos) return fail(pos + between.find('>'), "stray '>' in text");
    if (auto bad = check_entities(between, pos)) return fail(*bad, "stray '&' in text");
    if (lt == std::string_view::npos) break;
    if (text.substr(lt, 4) == "<!--") {
      const std::size_t end = text.find("-->", lt);
      if (end == std::string_view::npos) return fail(lt, "unclosed comment");
      pos = end + 3;
      continue;
    }
    if (text.substr(lt, 2) == "<!") {
      if (!html || text.substr(lt, 9) != "<!DOCTYPE") return fail(lt, "unexpected declaration");
      pos = text.find('>', lt) + 1;
      continue;
    }
    // A tag: scan to its '>' outside quoted attribute values.
    std::size_t i = lt + 1;
    const bool closing = i < text.size() && text[i] == '/';
    if (closing) ++i;
    const std::size_t name_start = i;
    while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) != 0 || text[i] == '-' || text[i] == ':')) ++i;
    if (i == name_start) return fail(lt, "'<' that does not start a tag");
    const std::string name(text.substr(name_start, i - name_start));
    bool self_closing = false;
    while (true) {
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) ++i;
      if (i >= text.size()) return fail(lt, "unterminated tag");
      if (text[i] == '>') break;
      if (text[i] == '/' && i + 1 < text.size() && text[i + 1] == '>') {
        self_closing = true;
        ++i;
        break;
      }
      if (closing) return fail(i, "attribute on a closing tag");
      const std::size_t attr_start = i;
      while (i < text.size() && text[i] != '=' && text[i] != '>' && std::isspace(static_cast<unsigned char>(text[i])) == 0) ++i;
      if (i == attr_start) return fail(i, "bad attribute");
      if (i < text.size() && text[i] == '=') {
        ++i;
        if (i >= text.size() || text[i] != '"') return fail(i, "unquoted attribute value");
        const std::size_t close = text.find('"', i + 1);
        if (close == std::string_view::npos) return fail(i, "unterminated attribute value");
        const std::string_view value = text.substr(i + 1, close - i - 1);
        if (value.find('<') != std::string_view::npos) return fail(i, "'<' in an attribute value");
        if (auto bad = check_entities(value, i + 1)) return fail(*bad, "stray '&' in an attribute value");
        i = close + 1;
      } else if (!html) {
        return fail(attr_start, "attribute without a value");
      }
    }
    pos = i + 1;
    if (closing) {
      if (open.empty() || open.back() != name) {
        return fail(lt, "</" + name + "> closes " + (open.empty() ? std::string("nothing") : "<" + open.back() + ">"));
      }
      open.pop_back();
      continue;
    }
    result.elements.push_back(name);
    if (self_closing || (html && void_elements.contains(name))) continue;
    open.push_back(name);
    // <style> holds CSS, not markup: skip to its end tag.
    if (name == "style") {
      const std::size_t end = text.find("</style>", pos);
      if (end == std::string_view::npos) return fail(lt, "unclosed <style>");
      pos = end;
    }
  }
  if (!open.empty()) return fail(text.size(), "<" + open.back() + "> never closed");
  return result;
}

}  // namespace ksearch::report::test
