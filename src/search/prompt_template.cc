#include "ksearch/search/prompt_template.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>

#include "ksearch/common/paths.h"
#include "ksearch/common/text.h"

// Implementation details: a template is parsed once into a tree of nodes (text, placeholder,
// section). Rendering first cuts every value to its budget, then walks the tree. Names are
// checked both ways before anything is rendered, so a typo fails the same way whatever the
// values' contents are.

namespace ksearch::search {

struct prompt_template::node {
  enum class type { text, placeholder, section } kind = type::text;
  std::string text;            // type::text: the literal text; otherwise the name
  std::size_t line = 0;        // line of the tag [1-based]
  bool inverted = false;       // {{^name}}
  std::vector<node> children;  // type::section
};

namespace {

// ---- UTF-8 ----

[[nodiscard]] bool is_continuation(unsigned char c) { return (c & 0xC0U) == 0x80U; }

/// The largest n <= `limit` (and <= text.size()) at which `text` can be cut without splitting a
/// UTF-8 sequence.
[[nodiscard]] std::size_t utf8_floor(std::string_view text, std::size_t limit) {
  if (limit >= text.size()) return text.size();
  while (limit > 0 && is_continuation(static_cast<unsigned char>(text[limit]))) --limit;
  return limit;
}

[[nodiscard]] bool is_blank_text(std::string_view s) {
  return std::ranges::all_of(s, [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// ---- cutting ----

[[nodiscard]] std::string prose_marker(std::size_t omitted) {
  return "\n... (" + std::to_string(omitted) + " characters omitted) ...";
}

[[nodiscard]] std::string code_marker(std::size_t omitted) {
  return "... (" + std::to_string(omitted) + " lines omitted) ...\n";
}

/// Lines of `text`, each with its '\n' (the last one may lack it).
[[nodiscard]] std::vector<std::string_view> lines_with_breaks(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::size_t take = end == std::string_view::npos ? text.size() : end + 1;
    lines.push_back(text.substr(0, take));
    text.remove_prefix(take);
  }
  return lines;
}

// ---- parsing ----

[[nodiscard]] bool is_name(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return false;
  return std::ranges::all_of(s, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// Tags and the rest of their line are trimmed of spaces and tabs only: a '\r' is content.
[[nodiscard]] std::string_view trim(std::string_view s) { return ksearch::trim(s, " \t"); }

[[nodiscard]] std::size_t line_at(std::string_view text, std::size_t pos) {
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

[[nodiscard]] std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Cuts

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t min = 0;
    std::uint32_t code = 0;
    if (c < 0x80U) {
      ++i;
      continue;
    }
    if ((c & 0xE0U) == 0xC0U) {
      extra = 1;
      min = 0x80;
      code = c & 0x1FU;
    } else if ((c & 0xF0U) == 0xE0U) {
      extra = 2;
      min = 0x800;
      code = c & 0x0FU;
    } else if ((c & 0xF8U) == 0xF0U) {
      extra = 3;
      min = 0x10000;
      code = c & 0x07U;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if (!is_continuation(cc)) return false;
      code = (code << 6U) | (cc & 0x3FU);
    }
    if (code < min || code > 0x10FFFFU || (code >= 0xD800U && code <= 0xDFFFU)) return false;
    i += extra + 1;
  }
  return true;
}

std::string cut_prose(std::string_view text, std::size_t budget) {
  if (text.size() <= budget) return std::string(text);
  // Reserve room for the marker with the largest count it could show; the real one is no longer.
  const std::size_t reserve = prose_marker(text.size()).size();
  if (budget < reserve) return std::string(text.substr(0, utf8_floor(text, budget)));
  const std::size_t room = budget - reserve;
  const std::string_view head = text.substr(0, room);
  // Prefer the latest paragraph break, then sentence end (the stop kept), then line break, then
  // space, as long as the cut keeps at least half of the room (a break near the start would throw
  // most of the budget away).
  std::size_t cut = std::string_view::npos;
  for (std::string_view separator : {"\n\n", ". ", "\n", " "}) {
    const std::size_t at = head.rfind(separator);
    if (at != std::string_view::npos && at >= room / 2) {
      cut = separator == ". " ? at + 1 : at;
      break;
    }
  }
  if (cut == std::string_view::npos) cut = utf8_floor(text, room);
  std::string_view kept = text.substr(0, cut);
  while (!kept.empty() && (kept.back() == ' ' || kept.back() == '\n' || kept.back() == '\t' || kept.back() == '\r')) {
    kept.remove_suffix(1);
  }
  return std::string(kept) + prose_marker(text.size() - kept.size());
}

std::string cut_code(std::string_view text, std::size_t budget) {
  if (text.size() <= budget) return std::string(text);
  const std::vector<std::string_view> lines = lines_with_breaks(text);
  const std::size_t reserve = code_marker(lines.size()).size();
  if (budget < reserve) return {};
  const std::size_t room = budget - reserve;
  // Head gets half the room, the tail what is left, then the head any remainder.
  std::size_t head = 0, head_bytes = 0;
  while (head < lines.size() && head_bytes + lines[head].size() <= room / 2) head_bytes += lines[head++].size();
  std::size_t tail = 0, tail_bytes = 0;
  while (tail < lines.size() - head && tail_bytes + lines[lines.size() - 1 - tail].size() <= room - head_bytes) {
    tail_bytes += lines[lines.size() - 1 - tail].size();
    ++tail;
  }
  while (head + tail < lines.size() && head_bytes + tail_bytes + lines[head].size() <= room) {
    head_bytes += lines[head++].size();
  }
  std::string out;
  out.reserve(budget);
  for (std::size_t i = 0; i < head; ++i) out += lines[i];
  if (!out.empty() && out.back() != '\n') out += '\n';  // cannot happen: only the last line lacks one
  out += code_marker(lines.size() - head - tail);
  for (std::size_t i = lines.size() - tail; i < lines.size(); ++i) out += lines[i];
  return out;
}

// ---------------------------------------------------------------------------------------------
// prompt_template

prompt_template::prompt_template() = default;
prompt_template::prompt_template(const prompt_template&) = default;
prompt_template::prompt_template(prompt_template&&) noexcept = default;
prompt_template& prompt_template::operator=(const prompt_template&) = default;
prompt_template& prompt_template::operator=(prompt_template&&) noexcept = default;
prompt_template::~prompt_template() = default;

result<prompt_template> prompt_template::parse(std::string_view text, std::string source) {
  prompt_template t;
  t.source_ = std::move(source);
  if (!is_valid_utf8(text)) return fail(t.source_, "is not valid UTF-8", "save the template as UTF-8");

  // Open sections, innermost last; the bottom entry collects top-level nodes.
  std::vector<node> stack(1);
  std::string pending;  // literal text since the last tag
  auto flush = [&] {
    if (!pending.empty()) stack.back().children.push_back(node{node::type::text, std::move(pending), 0, false, {}});
    pending.clear();
  };

  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      pending.append(text.substr(pos));
      break;
    }
    pending.append(text.substr(pos, open - pos));
    const std::size_t line = line_at(text, open);
    const std::string at = t.source_ + ":" + std::to_string(line);
    // Comments may span lines; every other tag sits on one line, so a stray "{{" is caught where it is.
    const bool comment = trim(text.substr(open + 2, 1)) == "!";
    const std::size_t close = text.find("}}", open + 2);
    const std::size_t newline = text.find('\n', open);
    if (close == std::string_view::npos || (!comment && newline != std::string_view::npos && newline < close)) {
      return fail(at, "'{{' is not closed by '}}' on the same line", "write a tag as {{name}}, {{#name}}, {{/name}}");
    }
    std::size_t end = close + 2;
    const std::string_view body = trim(text.substr(open + 2, close - open - 2));
    const char sigil = body.empty() ? '\0' : body.front();
    const bool block_tag = sigil == '#' || sigil == '^' || sigil == '/' || sigil == '!';
    const std::string_view name = block_tag ? trim(body.substr(1)) : body;
    if (sigil != '!' && !is_name(name)) {
      return fail(at, "'{{" + std::string(body) + "}}' is not a tag: names are lower-case letters, digits and '_'",
                  "write {{name}}, {{#name}}...{{/name}}, {{^name}}...{{/name}} or {{! comment }}");
    }
    // A block tag alone on its line removes the whole line.
    if (block_tag) {
      const std::size_t line_start = text.rfind('\n', open) == std::string_view::npos ? 0 : text.rfind('\n', open) + 1;
      const std::size_t after_end = text.find('\n', end);
      const std::size_t line_end = after_end == std::string_view::npos ? text.size() : after_end;
      const std::string_view before = text.substr(line_start, open - line_start);
      const std::string_view after = text.substr(end, line_end - end);
      if (trim(before).empty() && trim(after).empty()) {
        pending.resize(pending.size() - before.size());
        end = after_end == std::string_view::npos ? text.size() : after_end + 1;
      }
    }
    pos = end;
    if (sigil == '!') continue;
    flush();
    if (sigil == '#' || sigil == '^') {
      stack.push_back(node{node::type::section, std::string(name), line, sigil == '^', {}});
    } else if (sigil == '/') {
      if (stack.size() == 1) return fail(at, "{{/" + std::string(name) + "}} closes no section");
      if (stack.back().text != name) {
        return fail(at,
                    "{{/" + std::string(name) + "}} closes the section {{" + (stack.back().inverted ? "^" : "#") +
                        stack.back().text + "}} opened on line " + std::to_string(stack.back().line),
                    "close sections in the reverse order of opening");
      }
      node done = std::move(stack.back());
      stack.pop_back();
      stack.back().children.push_back(std::move(done));
    } else {
      stack.back().children.push_back(node{node::type::placeholder, std::string(name), line, false, {}});
    }
    t.names_.insert(std::string(name));
  }
  flush();
  if (stack.size() > 1) {
    return fail(
        t.source_ + ":" + std::to_string(stack.back().line),
        "section {{" + std::string(stack.back().inverted ? "^" : "#") + stack.back().text + "}} is never closed",
        "add {{/" + stack.back().text + "}}");
  }
  t.nodes_ = std::move(stack.front().children);
  return t;
}

namespace {

void render_nodes(const std::vector<prompt_template::node>& nodes,
                  const std::map<std::string, std::string, std::less<>>& cut, std::string& out) {
  for (const prompt_template::node& n : nodes) {
    switch (n.kind) {
      case prompt_template::node::type::text:
        out += n.text;
        break;
      case prompt_template::node::type::placeholder:
        out += cut.find(n.text)->second;
        break;
      case prompt_template::node::type::section: {
        const bool empty = is_blank_text(cut.find(n.text)->second);
        if (empty == n.inverted) render_nodes(n.children, cut, out);
        break;
      }
    }
  }
}

/// The first line a name appears on, for error subjects.
[[nodiscard]] std::optional<std::size_t> first_line_of(const std::vector<prompt_template::node>& nodes,
                                                       std::string_view name) {
  for (const prompt_template::node& n : nodes) {
    if (n.kind != prompt_template::node::type::text && n.text == name) return n.line;
    if (auto inner = first_line_of(n.children, name)) return inner;
  }
  return std::nullopt;
}

}  // namespace

result<std::string> prompt_template::render(const prompt_values& values) const {
  // 1. Names, both ways.
  std::vector<std::string> given;
  for (const auto& [name, value] : values) given.push_back(name);
  for (const std::string& name : names_) {
    if (!values.contains(name)) {
      return fail(source_ + ":" + std::to_string(first_line_of(nodes_, name).value_or(0)),
                  "{{" + name + "}} has no value (given: " + join(given) + ")",
                  "pass a value named '" + name + "' (an empty one drops a section)");
    }
  }
  for (const std::string& name : given) {
    if (!names_.contains(name)) {
      return fail(source_,
                  "the value '" + name + "' is not used by the template (it uses: " +
                      join(std::vector<std::string>(names_.begin(), names_.end())) + ")",
                  "remove the value, or add {{" + name + "}} to the template");
    }
  }
  // 2. Budgets.
  std::map<std::string, std::string, std::less<>> cut;
  for (const auto& [name, value] : values) {
    switch (value.kind) {
      case cut_kind::prose:
        cut.emplace(name, cut_prose(value.text, value.budget));
        break;
      case cut_kind::code:
        cut.emplace(name, cut_code(value.text, value.budget));
        break;
      case cut_kind::whole:
        if (value.text.size() > value.budget) {
          return fail(source_ + ": {{" + name + "}}",
                      std::to_string(value.text.size()) + " characters, over its budget of " +
                          std::to_string(value.budget) + " (this value is never cut)",
                      "pass a smaller view of it");
        }
        cut.emplace(name, value.text);
        break;
    }
  }
  // 3. Substitution.
  std::string out;
  render_nodes(nodes_, cut, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// prompt_library

result<prompt_library> prompt_library::load(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail(dir.string(), "is not a folder of prompt templates", "point ksearch at its prompts/ folder");
  }
  prompt_library lib;
  lib.dir_ = dir;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const bool is_template = entry.is_regular_file() && entry.path().extension() == ".md";
    if (!is_template || entry.path().filename() == "README.md") continue;
    files.push_back(entry.path());
  }
  if (ec) return fail(dir.string(), "cannot be listed: " + ec.message());
  std::ranges::sort(files);
  for (const std::filesystem::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(file.string(), "cannot be read");
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto parsed = prompt_template::parse(text, file.string());
    if (!parsed) return std::unexpected(parsed.error());
    lib.templates_.emplace(file.stem().string(), std::move(*parsed));
  }
  if (lib.templates_.empty()) return fail(dir.string(), "holds no *.md templates");
  return lib;
}

result<prompt_library> prompt_library::load_bundled() {
  const auto dir = find_data_dir("prompts");
  if (!dir) {
    return fail("prompts/", "the bundled prompt templates were not found",
                "set KSEARCH_DATA_DIR to the folder that holds prompts/ (the source tree or <prefix>/share/ksearch)");
  }
  return load(*dir);
}

result<std::string> prompt_library::render(std::string_view name, const prompt_values& values) const {
  const prompt_template* t = find(name);
  if (t == nullptr) {
    return fail((dir_ / (std::string(name) + ".md")).string(), "no such prompt template (have: " + join(names()) + ")");
  }
  return t->render(values);
}

const prompt_template* prompt_library::find(std::string_view name) const {
  const auto it = templates_.find(name);
  return it == templates_.end() ? nullptr : &it->second;
}

std::vector<std::string> prompt_library::names() const {
  std::vector<std::string> out;
  for (const auto& [name, t] : templates_) out.push_back(name);
  return out;
}

}  // namespace ksearch::search
