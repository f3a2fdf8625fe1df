// Implementation details
//
// The check works on a copy of the source put through the first translation phases that matter
// for directives: backslash-newline splicing and comment removal (string and character literals,
// raw strings included, are kept as they are so that a "/*" inside a string does not start a
// comment). The line number of each directive is that of its first physical line. Then every line
// whose first token is `#` or `%:` is a directive; include-like ones are validated, and
// `__has_include` is checked wherever it appears, since it probes the file system too.

#include "ksearch/eval/compile/source_policy.h"

#include <cctype>
#include <cstdlib>
#include <string>
#include <system_error>

#include "ksearch/common/text.h"

namespace ksearch::eval {

namespace fs = std::filesystem;

namespace {

struct logical_line {
  std::string text;
  std::size_t number;  // 1-based physical line where it starts
};

// Splices continued lines and blanks out comments, keeping literals intact.
std::vector<logical_line> logical_lines(std::string_view source) {
  std::vector<logical_line> lines;
  logical_line current{"", 1};
  std::size_t physical = 1;
  enum class state { code, line_comment, block_comment, string, character, raw_string } st = state::code;
  std::string raw_terminator;  // ")delim\"" for the raw string being read

  for (std::size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '\\' && i + 1 < source.size() && source[i + 1] == '\n' && st != state::raw_string) {
      ++i;  // splice: the logical line goes on
      ++physical;
      continue;
    }
    if (c == '\n') {
      ++physical;
      if (st == state::block_comment || st == state::raw_string) {
        current.text += st == state::raw_string ? "\n" : " ";
        continue;
      }
      if (st == state::line_comment || st == state::string || st == state::character) st = state::code;
      lines.push_back(std::move(current));
      current = {"", physical};
      continue;
    }
    const char next = i + 1 < source.size() ? source[i + 1] : '\0';
    switch (st) {
      case state::code:
        if (c == '/' && next == '/') {
          st = state::line_comment;
          ++i;
        } else if (c == '/' && next == '*') {
          st = state::block_comment;
          current.text += ' ';
          ++i;
        } else if (c == 'R' && next == '"' && (current.text.empty() || !std::isalnum(static_cast<unsigned char>(current.text.back())))) {
          const std::size_t paren = source.find('(', i + 2);
          if (paren == std::string_view::npos) {
            current.text += c;
            break;
          }
          raw_terminator = ")" + std::string(source.substr(i + 2, paren - i - 2)) + "\"";
          current.text += source.substr(i, paren - i + 1);
          i = paren;
          st = state::raw_string;
        } else {
          if (c == '"') st = state::string;
          if (c == '\'') st = state::character;
          current.text += c;
        }
        break;
      case state::line_comment:
        break;
      case state::block_comment:
        if (c == '*' && next == '/') {
          st = state::code;
          ++i;
        }
        break;
      case state::string:
      case state::character:
        current.text += c;
        if (c == '\\' && next != '\0' && next != '\n') {
          current.text += next;
          ++i;
        } else if ((st == state::string && c == '"') || (st == state::character && c == '\'')) {
          st = state::code;
        }
        break;
      case state::raw_string:
        current.text += c;
        if (current.text.ends_with(raw_terminator)) st = state::code;
        break;
    }
  }
  lines.push_back(std::move(current));
  return lines;
}

// Blanks around a directive's parts; a '\n' (in a line only inside a raw string) is not one.
std::string_view trim(std::string_view s) { return ksearch::trim(s, " \t\r\f\v"); }

// Checks one include target written as the rest of the directive: `<name>` and nothing else.
result<void> check_target(std::string_view target, const std::string& where,
                          const std::vector<fs::path>& include_dirs) {
  const std::string fix = "include only CUDA Toolkit headers, written #include <name> (e.g. <cuda_bf16.h>, <cuda/pipeline>)";
  target = trim(target);
  if (target.empty() || target.front() != '<' || target.find('>') != target.size() - 1) {
    return fail(where, "include target " + std::string(target.empty() ? "(missing)" : target) +
                           " refused: only <toolkit headers> may be included", fix);
  }
  const std::string name(trim(target.substr(1, target.size() - 2)));
  const fs::path path(name);
  if (name.empty() || path.is_absolute() || name.find("..") != std::string::npos || name.find('\\') != std::string::npos) {
    return fail(where, "include <" + name + "> refused: not a relative header name", fix);
  }
  for (const fs::path& dir : include_dirs) {
    std::error_code ec;
    if (fs::is_regular_file(dir / path, ec)) return {};
  }
  return fail(where, "include <" + name + "> refused: not a CUDA Toolkit header", fix);
}

}  // namespace

const std::vector<fs::path>& toolkit_include_dirs() {
  static const std::vector<fs::path> dirs = [] {
    std::vector<fs::path> roots;
    for (const char* env : {"CUDA_HOME", "CUDA_PATH"}) {
      if (const char* value = std::getenv(env); value != nullptr && *value != '\0') roots.emplace_back(value);
    }
    roots.emplace_back(fs::path(KSEARCH_CUDA_INCLUDE_DIR).parent_path());
    roots.emplace_back("/usr/local/cuda");
    for (const fs::path& root : roots) {
      std::error_code ec;
      if (!fs::is_regular_file(root / "include" / "cuda.h", ec)) continue;
      std::vector<fs::path> found{fs::weakly_canonical(root / "include", ec)};
      if (fs::is_directory(root / "include" / "cccl", ec)) found.push_back(fs::weakly_canonical(root / "include" / "cccl", ec));
      return found;
    }
    return std::vector<fs::path>{};
  }();
  return dirs;
}

result<void> check_source_includes(std::string_view source, std::string_view file_name,
                                   const std::vector<fs::path>& include_dirs) {
  for (const logical_line& line : logical_lines(source)) {
    const std::string where = std::string(file_name) + ":" + std::to_string(line.number);
    std::string_view text = trim(line.text);

    // __has_include probes the file system from any #if, so it is checked wherever it appears.
    for (std::size_t at = text.find("__has_include"); at != std::string_view::npos;
         at = text.find("__has_include", at + 1)) {
      std::string_view rest = trim(text.substr(at + std::string_view("__has_include").size()));
      if (rest.starts_with("_next")) rest = trim(rest.substr(5));
      if (rest.empty() || rest.front() != '(') return fail(where, "__has_include without a target refused");
      const std::size_t close = rest.find(')');
      if (close == std::string_view::npos) return fail(where, "__has_include without a closing parenthesis refused");
      if (auto ok = check_target(rest.substr(1, close - 1), where, include_dirs); !ok) return ok;
    }

    if (text.starts_with("%:")) {
      text = trim(text.substr(2));
    } else if (text.starts_with('#')) {
      text = trim(text.substr(1));
    } else {
      continue;
    }
    std::size_t name_end = 0;
    while (name_end < text.size() && (std::isalnum(static_cast<unsigned char>(text[name_end])) || text[name_end] == '_')) ++name_end;
    const std::string_view directive = text.substr(0, name_end);
    if (directive == "import") return fail(where, "#import refused");
    if (directive == "include" || directive == "include_next" || directive == "embed") {
      if (auto ok = check_target(text.substr(name_end), where, include_dirs); !ok) return ok;
    }
  }
  return {};
}

}  // namespace ksearch::eval
