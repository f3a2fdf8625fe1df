// ksearch/tasks/solution.h — FlashInfer Trace Solution files.
//
// A Solution is {name, definition, author, description, spec{language, target_hardware,
// entry_point, ...}, sources[{path, content}]} (docs/task-formats.md, "FlashInfer Trace:
// solution"). A ksearch CUDA solution holds two sources: `kernel.cu` (device code) and
// `launch.json` (its launch plan, see docs/candidate-contract.md).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"

namespace ksearch::tasks {

struct source_file {
  std::string path;     // relative, no "..", unique within the solution
  std::string content;
};

struct solution {
  std::string name;
  std::string definition;
  std::string author;
  std::string description;
  std::string language;  // spec.language
  std::vector<source_file> sources;

  /// The content of source `path`, or nullptr.
  [[nodiscard]] const std::string* source(std::string_view path) const;
};

[[nodiscard]] result<solution> parse_solution(const json& doc, const std::string& where);
[[nodiscard]] result<solution> load_solution(const std::filesystem::path& file);
[[nodiscard]] json to_json(const solution& s);

}  // namespace ksearch::tasks
