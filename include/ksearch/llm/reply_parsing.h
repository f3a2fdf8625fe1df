// ksearch/llm/reply_parsing.h — pulling code, files and JSON out of what a model wrote.
//
// Models wrap what was asked for in prose, fences and tags, and get the wrapping wrong often
// enough that the search must cope: fences nested inside fences, a reply cut off mid-block,
// trailing commas, a brace in the prose before the JSON. These helpers tolerate the wrapping and
// are strict about the content: they return what is clearly there, say what is not, and never
// return a fragment of something that was cut off as if it were whole.
//
// Conventions:
//  * Fenced code blocks: a line of 3+ backticks or tildes (indented up to 3 spaces) opens a
//    block, with an optional info string whose first word is the language ("```cuda"). A line of
//    the same character, at least as long and with no info string, closes it. Because models nest
//    fences of the same length ("```markdown" around "```cuda ... ```"), a fence line *with* an
//    info string inside a block opens a nested level, and the next bare fence closes that level
//    instead of the block. A block still open at the end of the text is returned, flagged as
//    unterminated.
//  * Tagged files: an element whose opening tag carries a name="..." or path="..." attribute,
//    e.g. <file path="kernel.cu">...</file> or K-Search's <cuda_file name="kernel.cu">...</cuda_file>.
//    The closing tag must have the same name (compared case-insensitively). The content loses a
//    CDATA wrapper, then one code fence around all of it, then leading blank lines and trailing
//    whitespace, and ends in exactly one '\n' (or is empty). An element that is never closed is
//    reported, not returned.
//  * JSON object: the first span from a '{' to its matching '}' (braces inside strings ignored)
//    that parses as an object, after one repair: commas before '}' or ']' are dropped. Nothing
//    else is repaired (comments, single quotes, NaN stay errors). A span that starts like JSON
//    ('{' then a quote or '}') and is cut off by the end of the text is reported as truncated; its
//    inner objects are never returned in its place.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include "ksearch/common/json_fwd.h"  // callers that use extract_json_object include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch::llm {

struct code_block {
  std::string language;     // first word of the info string, lower-cased; "" when none
  std::string info;         // the whole info string, trimmed
  std::string code;         // the lines between the fences, each ending in '\n'
  std::size_t line = 0;     // line of the opening fence [1-based]
  bool terminated = true;   // false: the text ended inside the block (a truncated reply)
};

/// Every top-level fenced block, in order.
[[nodiscard]] std::vector<code_block> extract_code_blocks(std::string_view text);

/// The first terminated block whose language is one of `languages` (lower-case), e.g.
/// {"cuda", "cu", "cpp", "c++"}; nullopt when there is none.
[[nodiscard]] std::optional<code_block> find_code_block(std::string_view text,
                                                        const std::vector<std::string_view>& languages);

struct tagged_file {
  std::string tag;      // the element name as written, e.g. "cuda_file"
  std::string name;     // the name/path attribute's value, e.g. "kernel.cu"
  std::string content;  // cleaned as described above
  std::size_t line = 0; // line of the opening tag [1-based]
};

/// A file element that could not be read, as data: the file it names and what is wrong, so a
/// caller never has to search the message for a file name.
struct tag_problem {
  enum class kind {
    never_closed,  // the text ends before the closing tag (a truncated reply, usually)
  };
  kind what = kind::never_closed;
  std::string file;       // the name/path attribute's value, e.g. "kernel.cu"
  std::string tag;        // the element name as written, e.g. "cuda_file"
  std::string attribute;  // the attribute as written: "name", "path", "PATH", ...
  std::size_t line = 0;   // line of the opening tag [1-based]

  /// "line 12: <cuda_file name=\"kernel.cu\"> is never closed (expected </cuda_file>)"
  [[nodiscard]] std::string to_string() const;
};

struct tagged_files {
  std::vector<tagged_file> files;     // in order of appearance; the same name may occur twice
  std::vector<tag_problem> problems;  // elements reported, not returned
};

[[nodiscard]] tagged_files extract_tagged_files(std::string_view text);

/// The first file named `name` (exact match), or nullptr.
[[nodiscard]] const tagged_file* find_tagged_file(const tagged_files& files, std::string_view name);

/// The first JSON object in `text`, as described above. Errors (subject "reply") say whether no
/// object was found, one was cut off, or the first candidate did not parse (with the parser's
/// message and the candidate's line).
[[nodiscard]] result<json> extract_json_object(std::string_view text);

}  // namespace ksearch::llm
