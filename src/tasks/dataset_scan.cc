#include "ksearch/tasks/dataset_scan.h"

#include "ksearch/common/json.h"
#include "ksearch/tasks/definition.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <system_error>

namespace ksearch::tasks {

namespace fs = std::filesystem;
// ordered_json keeps inputs/outputs in file order, which is the call signature order.

namespace {

std::vector<fs::path> files_with_extension(const fs::path& dir, std::string_view extension) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == extension) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

definition_summary summarize(const definition& def, const fs::path& file) {
  definition_summary summary{.name = def.name, .op_type = def.op_type, .description = def.description, .file = file};
  for (const axis& a : def.axes) {
    if (a.is_const) {
      summary.const_axes.push_back(a.name + "=" + std::to_string(a.value));
    } else {
      summary.var_axes.push_back(a.name);
    }
  }
  for (const tensor_spec& t : def.inputs) summary.inputs.push_back(t.name);
  for (const tensor_spec& t : def.outputs) summary.outputs.push_back(t.name);
  return summary;
}

// Counts workload lines per definition name; unreadable lines become problems (file:line).
void count_workloads(const fs::path& root, std::map<std::string, std::size_t>& counts,
                     std::vector<error>& problems) {
  for (const fs::path& file : files_with_extension(root / "workloads", ".jsonl")) {
    std::ifstream in(file);
    std::string line;
    for (std::size_t line_no = 1; std::getline(in, line); ++line_no) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      ordered_json record = ordered_json::parse(line, nullptr, false);
      if (record.is_discarded() || !record.is_object() || !record.contains("definition") ||
          !record["definition"].is_string()) {
        problems.push_back({file.string() + ":" + std::to_string(line_no),
                            "not a workload record with a \"definition\" string", ""});
        continue;
      }
      ++counts[record["definition"].get<std::string>()];
    }
  }
}

}  // namespace

result<dataset_listing> scan_dataset(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return fail(root.string(), "not a folder", "pass a FlashInfer Trace dataset root with --task-path");
  if (!fs::is_directory(root / "definitions", ec)) {
    return fail(root.string(), "has no definitions/ folder", "a FlashInfer Trace dataset root holds definitions/ and workloads/");
  }

  dataset_listing listing;
  listing.root = fs::weakly_canonical(root, ec);
  std::map<std::string, std::size_t> workload_counts;
  count_workloads(root, workload_counts, listing.problems);

  std::map<std::string, fs::path> seen;
  for (const fs::path& file : files_with_extension(root / "definitions", ".json")) {
    auto def = load_definition(file);
    if (!def) {
      listing.problems.push_back(def.error());
      continue;
    }
    if (auto [it, inserted] = seen.emplace(def->name, file); !inserted) {
      listing.problems.push_back({file.string() + ": name",
                                  "duplicate definition '" + def->name + "' (first in " + it->second.string() + ")", ""});
      continue;
    }
    definition_summary summary = summarize(*def, file);
    summary.workload_count = workload_counts[def->name];
    listing.definitions.push_back(std::move(summary));
  }
  std::sort(listing.definitions.begin(), listing.definitions.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return listing;
}

result<dataset_definition> load_dataset_definition(const fs::path& root, std::string_view name) {
  auto listing = scan_dataset(root);
  if (!listing) return std::unexpected(listing.error());
  std::string known;
  for (const definition_summary& d : listing->definitions) {
    if (d.name != name) {
      known += (known.empty() ? "" : ", ") + d.name;
      continue;
    }
    auto def = load_definition(d.file);
    if (!def) return std::unexpected(def.error());
    dataset_definition out{std::move(*def), {}};
    for (const fs::path& file : files_with_extension(root / "workloads", ".jsonl")) {
      auto workloads = load_workloads(file, out.def);
      if (!workloads) return std::unexpected(workloads.error());
      out.workloads.insert(out.workloads.end(), workloads->begin(), workloads->end());
    }
    return out;
  }
  // A definition file that could not be read and is named after the definition asked for is the one
  // meant: its own error (the file, the field or the JSON syntax) says what to fix.
  for (const error& problem : listing->problems) {
    const fs::path file = problem.subject.substr(0, problem.subject.find(": "));
    if (file.stem() == name && file.string().starts_with((root / "definitions").string())) return std::unexpected(problem);
  }
  std::string fix = known.empty() ? "the dataset has no readable definitions" : "known: " + known;
  if (!listing->problems.empty()) {
    fix += "; " + std::to_string(listing->problems.size()) + " file(s) could not be read, the first: " +
           listing->problems.front().to_string();
  }
  return fail("--definition " + std::string(name), "not in the dataset at " + root.string(), fix);
}

dataset_solutions load_dataset_solutions(const fs::path& root, std::string_view definition_name) {
  dataset_solutions found;
  for (const fs::path& file : files_with_extension(root / "solutions", ".json")) {
    auto s = load_solution(file);
    if (!s) {
      found.problems.push_back(s.error());
    } else if (s->definition == definition_name) {
      found.solutions.push_back({std::move(*s), file});
    }
  }
  return found;
}

}  // namespace ksearch::tasks
