// ksearch/search/prompt_template.h — prompt templates as text files, rendered with budgets.
//
// Prompts live in prompts/*.md so that they can be read and changed without a rebuild. A
// template is UTF-8 text with four kinds of tags:
//   {{name}}               replaced by the value `name`
//   {{#name}}...{{/name}}  kept when `name` is non-empty (not only whitespace), dropped otherwise
//   {{^name}}...{{/name}}  the reverse: kept only when `name` is empty
//   {{! comment }}         dropped (templates document their values with it)
// Names are [a-z_][a-z0-9_]*. Sections nest. A section or comment tag alone on its line takes
// the whole line with it, so sections leave no blank lines behind. Nothing else is special:
// single braces, backticks and values that contain "{{" pass through unchanged.
//
// Rendering is strict, for typo safety: a tag whose value is not given and a value the template
// never mentions are both errors naming the template and the name. Every value carries a budget
// [bytes of UTF-8; prompts are almost all ASCII, where a byte is a character] and a cut_kind that
// says how it is shortened when it is over budget; the shortened text, marker included, is never
// longer than the budget and never ends inside a UTF-8 sequence.
//
// Thread-safety: templates and libraries are immutable once loaded; render() is const and may run
// on any number of threads at once. The cut functions are pure.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch::search {

/// How a value is shortened when it is longer than its budget.
enum class cut_kind {
  prose,  // keep the head; cut at a paragraph, else a line, else a word boundary; then a marker
          // line "... (N characters omitted) ..."
  code,   // keep whole lines from the head and the tail, with a marker line
          // "... (N lines omitted) ..." between them (compile logs end in the error that matters)
  whole,  // never cut: over budget is an error. For JSON views, which a cut would make invalid;
          // the caller must pass something already bounded.
};

/// No budget.
inline constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

struct prompt_value {
  std::string text;
  std::size_t budget = unlimited;  // [bytes]
  cut_kind kind = cut_kind::prose;
};

/// Values by placeholder name.
using prompt_values = std::map<std::string, prompt_value, std::less<>>;

/// `text` shortened to at most `budget` bytes, keeping its head (see cut_kind::prose). Returned
/// unchanged when it fits. A budget too small for the marker gives a plain cut without one.
[[nodiscard]] std::string cut_prose(std::string_view text, std::size_t budget);

/// `text` shortened to at most `budget` bytes by dropping whole lines from its middle (see
/// cut_kind::code). Returned unchanged when it fits. A line longer than half the budget is never
/// kept in part; when no line fits, only the marker (or, below its size, nothing) remains.
[[nodiscard]] std::string cut_code(std::string_view text, std::size_t budget);

/// True when `text` is well-formed UTF-8.
[[nodiscard]] bool is_valid_utf8(std::string_view text);

class prompt_template {
 public:
  /// Parses `text`; `source` (a file name) is the subject of errors, with ":line".
  [[nodiscard]] static result<prompt_template> parse(std::string_view text, std::string source);

  /// The template with every value cut to its budget and substituted. Errors: a tag without a
  /// value, a value not used by the template, a whole value over its budget.
  [[nodiscard]] result<std::string> render(const prompt_values& values) const;

  /// Every name the template mentions (placeholders and sections).
  [[nodiscard]] const std::set<std::string, std::less<>>& names() const { return names_; }
  [[nodiscard]] const std::string& source() const { return source_; }

  struct node;  // defined in the .cc; a tree of text, placeholders and sections

  prompt_template(const prompt_template&);
  prompt_template(prompt_template&&) noexcept;
  prompt_template& operator=(const prompt_template&);
  prompt_template& operator=(prompt_template&&) noexcept;
  ~prompt_template();

 private:
  prompt_template();

  std::vector<node> nodes_;
  std::set<std::string, std::less<>> names_;
  std::string source_;
};

/// The templates of one folder: every *.md file except README.md, named by its stem
/// ("codegen_debug.md" is "codegen_debug").
class prompt_library {
 public:
  /// Loads and parses every template in `dir`. Errors name the folder or the file (and line).
  [[nodiscard]] static result<prompt_library> load(const std::filesystem::path& dir);
  /// load() on the bundled prompts/ folder (common/paths.h: find_data_dir).
  [[nodiscard]] static result<prompt_library> load_bundled();

  /// Renders template `name`; an unknown name is an error listing the known ones.
  [[nodiscard]] result<std::string> render(std::string_view name, const prompt_values& values) const;

  /// The template `name`, or nullptr.
  [[nodiscard]] const prompt_template* find(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::map<std::string, prompt_template, std::less<>> templates_;
};

}  // namespace ksearch::search
