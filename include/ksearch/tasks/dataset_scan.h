// ksearch/tasks/dataset_scan.h — lists the definitions of a FlashInfer Trace dataset folder.
//
// A dataset root holds definitions/**/*.json (one Definition each), workloads/**/*.jsonl (one
// workload per line, naming its definition) and solutions/**/*.json. The scan reads just enough
// to show what a dataset offers (`ksearch tasks`); full schema validation belongs to the
// FlashInfer backend. A file that cannot be read does not stop the scan: it is reported as a
// problem naming the file and field.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/tasks/definition.h"
#include "ksearch/tasks/solution.h"

namespace ksearch::tasks {

struct definition_summary {
  std::string name;
  std::string op_type;
  std::string description;
  std::vector<std::string> const_axes;  // "num_qo_heads=32"
  std::vector<std::string> var_axes;    // "batch_size"
  std::vector<std::string> inputs;      // in call order
  std::vector<std::string> outputs;
  std::size_t workload_count = 0;       // workload lines naming this definition
  std::filesystem::path file;
};

struct dataset_listing {
  std::filesystem::path root;
  std::vector<definition_summary> definitions;  // sorted by name
  std::vector<error> problems;                  // unreadable files, missing fields, duplicates
};

/// Scans `root`. Fails only when `root` is not a folder or has no definitions/ folder.
[[nodiscard]] result<dataset_listing> scan_dataset(const std::filesystem::path& root);

struct dataset_definition {
  definition def;
  std::vector<workload> workloads;  // every workload naming it, in file order
};

/// Loads definition `name` and its workloads from the dataset at `root`. Errors: unknown name
/// (listing the known ones), a definition or workload that does not parse (file, field).
[[nodiscard]] result<dataset_definition> load_dataset_definition(const std::filesystem::path& root, std::string_view name);

struct dataset_solution {
  solution value;
  std::filesystem::path file;
};

struct dataset_solutions {
  std::vector<dataset_solution> solutions;  // those for the definition, sorted by file
  std::vector<error> problems;              // solution files that do not parse (any definition)
};

/// Every solution under `root`/solutions/ whose definition is `definition_name`.
[[nodiscard]] dataset_solutions load_dataset_solutions(const std::filesystem::path& root, std::string_view definition_name);

}  // namespace ksearch::tasks
