#include "ksearch/llm/reply_parsing.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "ksearch/common/json.h"
#include "ksearch/common/text.h"

namespace ksearch::llm {

namespace {

[[nodiscard]] bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

/// 1-based line number of byte `pos`.
[[nodiscard]] std::size_t line_at(std::string_view text, std::size_t pos) {
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

// ---- fences ----

struct fence {
  char ch = '`';
  std::size_t length = 0;
  std::string info;
};

/// The fence on `line` (without its line break), or nullopt.
[[nodiscard]] std::optional<fence> parse_fence(std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  std::size_t indent = 0;
  while (indent < line.size() && indent < 4 && line[indent] == ' ') ++indent;
  if (indent > 3) return std::nullopt;
  line.remove_prefix(indent);
  if (line.empty() || (line.front() != '`' && line.front() != '~')) return std::nullopt;
  fence f;
  f.ch = line.front();
  while (f.length < line.size() && line[f.length] == f.ch) ++f.length;
  if (f.length < 3) return std::nullopt;
  const std::string_view info = trim(line.substr(f.length));
  // "```x```" on one line is inline code, not a fence.
  if (f.ch == '`' && info.find('`') != std::string_view::npos) return std::nullopt;
  f.info = info;
  return f;
}

[[nodiscard]] std::string first_word_lower(std::string_view info) {
  const std::size_t end = info.find_first_of(" \t{");
  return to_lower(info.substr(0, end));
}

// ---- tags ----

[[nodiscard]] bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
[[nodiscard]] bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.' || c == ':';
}

struct open_tag {
  std::string name;
  std::string file;     // value of name= or path=; "" when neither
  std::string file_attribute;  // "name" or "path" as written
  std::size_t end = 0;  // just past '>'
  bool self_closing = false;
};

/// The opening tag at `pos` ('<'), or nullopt when it is not one.
[[nodiscard]] std::optional<open_tag> parse_open_tag(std::string_view text, std::size_t pos) {
  std::size_t i = pos + 1;
  if (i >= text.size() || !is_name_start(text[i])) return std::nullopt;
  open_tag tag;
  while (i < text.size() && is_name_char(text[i])) tag.name += text[i++];
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    if (i >= text.size()) return std::nullopt;
    if (text[i] == '>') {
      tag.end = i + 1;
      return tag;
    }
    if (text[i] == '/' && i + 1 < text.size() && text[i + 1] == '>') {
      tag.end = i + 2;
      tag.self_closing = true;
      return tag;
    }
    if (!is_name_start(text[i])) return std::nullopt;
    std::string attribute;
    while (i < text.size() && is_name_char(text[i])) attribute += text[i++];
    while (i < text.size() && is_blank(text[i])) ++i;
    if (i >= text.size() || text[i] != '=') return std::nullopt;
    ++i;
    while (i < text.size() && is_blank(text[i])) ++i;
    if (i >= text.size() || (text[i] != '"' && text[i] != '\'')) return std::nullopt;
    const char quote = text[i++];
    const std::size_t close = text.find(quote, i);
    if (close == std::string_view::npos || text.substr(i, close - i).find('\n') != std::string_view::npos) {
      return std::nullopt;
    }
    const std::string key = to_lower(attribute);
    if ((key == "name" || key == "path") && tag.file.empty()) {
      tag.file = text.substr(i, close - i);
      tag.file_attribute = attribute;
    }
    i = close + 1;
  }
  return std::nullopt;
}

/// Where "</name>" (case-insensitive, blanks allowed before '>') starts at or after `from`, and
/// where it ends; npos when absent. `lowered` is `text` lower-cased.
[[nodiscard]] std::pair<std::size_t, std::size_t> find_close_tag(std::string_view text, std::string_view lowered,
                                                                 const std::string& name, std::size_t from) {
  const std::string needle = "</" + to_lower(name);
  for (std::size_t at = lowered.find(needle, from); at != std::string_view::npos; at = lowered.find(needle, at + 1)) {
    std::size_t i = at + needle.size();
    while (i < text.size() && is_blank(text[i])) ++i;
    if (i < text.size() && text[i] == '>') return {at, i + 1};
  }
  return {std::string_view::npos, std::string_view::npos};
}

/// `text` without its leading blank lines (the first non-blank line keeps its indentation) and
/// without trailing whitespace.
[[nodiscard]] std::string_view without_blank_edges(std::string_view text) {
  while (true) {
    const std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos || !trim(text.substr(0, newline)).empty()) break;
    text.remove_prefix(newline + 1);
  }
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  if (trim(text).empty()) return {};
  return text;
}

/// A file element's content: CDATA, then one surrounding fence, then blank edges removed; ends
/// in one '\n' unless empty. CRLF becomes LF.
[[nodiscard]] std::string clean_content(std::string_view content) {
  std::string_view inner = content;
  if (const std::string_view t = trim(content); t.starts_with("<![CDATA[") && t.ends_with("]]>")) {
    inner = t.substr(9, t.size() - 12);
  }
  inner = without_blank_edges(inner);
  const auto lines = split_lines(inner);
  if (lines.size() >= 2) {
    const auto open = parse_fence(lines.front());
    const auto close = parse_fence(lines.back());
    if (open && close && close->info.empty() && close->ch == open->ch && close->length >= open->length) {
      const std::size_t start = lines.front().size() + 1;
      const std::size_t stop = inner.size() - lines.back().size();
      inner = without_blank_edges(inner.substr(start, stop - start));
    }
  }
  if (inner.empty()) return {};
  std::string out;
  out.reserve(inner.size() + 1);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '\r' && i + 1 < inner.size() && inner[i + 1] == '\n') continue;
    out += inner[i];
  }
  out += '\n';
  return out;
}

// ---- JSON ----

/// Index of the '}' matching the '{' at `open`, skipping braces inside strings; npos if none.
[[nodiscard]] std::size_t matching_brace(std::string_view text, std::size_t open) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = open; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::string_view::npos;
}

/// '{' followed (after blanks) by a quote or '}': an object (or a near miss such as a Python
/// dict), not a brace in prose or code.
[[nodiscard]] bool starts_like_json(std::string_view text, std::size_t open) {
  std::size_t i = open + 1;
  while (i < text.size() && is_blank(text[i])) ++i;
  return i < text.size() && (text[i] == '"' || text[i] == '\'' || text[i] == '}');
}

/// `span` without commas that directly precede (blanks aside) a '}' or ']', outside strings.
[[nodiscard]] std::string without_trailing_commas(std::string_view span) {
  std::string out;
  out.reserve(span.size());
  bool in_string = false;
  for (std::size_t i = 0; i < span.size(); ++i) {
    const char c = span[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < span.size()) {
        out += span[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == ',') {
      std::size_t j = i + 1;
      while (j < span.size() && is_blank(span[j])) ++j;
      if (j < span.size() && (span[j] == '}' || span[j] == ']')) continue;
    }
    out += c;
  }
  return out;
}

/// Parses `span` as-is, then without trailing commas. The parser's message on failure.
[[nodiscard]] std::expected<json, std::string> parse_object(std::string_view span) {
  std::string first_error;
  for (int round = 0; round < 2; ++round) {
    try {
      json doc = round == 0 ? json::parse(span) : json::parse(without_trailing_commas(span));
      if (doc.is_object()) return doc;
      return std::unexpected(std::string("not an object"));
    } catch (const json::parse_error& e) {
      if (round == 0) first_error = e.what();
    }
  }
  return std::unexpected(first_error);
}

}  // namespace

std::vector<code_block> extract_code_blocks(std::string_view text) {
  std::vector<code_block> blocks;
  std::optional<fence> open;
  int depth = 0;  // nested fences with an info string inside the open block
  code_block current;
  const auto lines = split_lines(text);
  for (std::size_t n = 0; n < lines.size(); ++n) {
    std::string_view line = lines[n];
    const auto f = parse_fence(line);
    if (!open) {
      if (f) {
        open = f;
        depth = 0;
        current = code_block{first_word_lower(f->info), f->info, {}, n + 1, true};
      }
      continue;
    }
    if (f && f->ch == open->ch && f->length >= open->length) {
      if (!f->info.empty()) {
        ++depth;
      } else if (depth > 0) {
        --depth;
      } else {
        blocks.push_back(std::move(current));
        open.reset();
        continue;
      }
    }
    if (line.ends_with('\r')) line.remove_suffix(1);
    current.code.append(line);
    current.code += '\n';
  }
  if (open) {
    current.terminated = false;
    blocks.push_back(std::move(current));
  }
  return blocks;
}

std::optional<code_block> find_code_block(std::string_view text, const std::vector<std::string_view>& languages) {
  for (code_block& block : extract_code_blocks(text)) {
    if (block.terminated && std::ranges::find(languages, block.language) != languages.end()) return std::move(block);
  }
  return std::nullopt;
}

std::string tag_problem::to_string() const {
  const std::string element = "<" + tag + " " + attribute + "=\"" + file + "\">";
  switch (what) {
    case kind::never_closed:
      return "line " + std::to_string(line) + ": " + element + " is never closed (expected </" + tag + ">)";
  }
  return "line " + std::to_string(line) + ": " + element;
}

tagged_files extract_tagged_files(std::string_view text) {
  tagged_files result;
  const std::string lowered = to_lower(text);
  std::size_t pos = 0;
  while ((pos = text.find('<', pos)) != std::string_view::npos) {
    const auto tag = parse_open_tag(text, pos);
    if (!tag || tag->file.empty() || tag->self_closing) {
      ++pos;
      continue;
    }
    const auto [close_start, close_end] = find_close_tag(text, lowered, tag->name, tag->end);
    const std::size_t line = line_at(text, pos);
    if (close_start == std::string_view::npos) {
      result.problems.push_back({tag_problem::kind::never_closed, tag->file, tag->name, tag->file_attribute, line});
      pos = tag->end;
      continue;
    }
    result.files.push_back(
        {tag->name, tag->file, clean_content(text.substr(tag->end, close_start - tag->end)), line});
    pos = close_end;
  }
  return result;
}

const tagged_file* find_tagged_file(const tagged_files& files, std::string_view name) {
  for (const tagged_file& file : files.files) {
    if (file.name == name) return &file;
  }
  return nullptr;
}

result<json> extract_json_object(std::string_view text) {
  std::optional<error> first_failure;
  std::size_t pos = 0;
  while ((pos = text.find('{', pos)) != std::string_view::npos) {
    const bool json_like = starts_like_json(text, pos);
    const std::size_t close = matching_brace(text, pos);
    if (close == std::string_view::npos) {
      if (json_like) {
        return fail("reply", "the JSON object starting at line " + std::to_string(line_at(text, pos)) +
                                 " is cut off before its closing brace (a truncated reply?)",
                    "ask again, or allow more output tokens");
      }
      ++pos;
      continue;
    }
    auto parsed = parse_object(text.substr(pos, close - pos + 1));
    if (parsed) return std::move(*parsed);
    if (json_like) {
      if (!first_failure) {
        first_failure = error{"reply", "the JSON object at line " + std::to_string(line_at(text, pos)) +
                                           " does not parse: " + parsed.error(),
                              "answer with one valid JSON object"};
      }
      pos = close + 1;  // its inner objects are parts of a broken whole, not answers
    } else {
      ++pos;
    }
  }
  if (first_failure) return std::unexpected(*first_failure);
  return fail("reply", "no JSON object found", "answer with one JSON object");
}

}  // namespace ksearch::llm
