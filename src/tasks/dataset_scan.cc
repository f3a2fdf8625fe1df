#include "ksearch/tasks/dataset_scan.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <system_error>

namespace ksearch::tasks {

namespace fs = std::filesystem;
// ordered_json keeps inputs/outputs in file order, which is the call signature order.
using json = nlohmann::ordered_json;

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

// Reads the fields `ksearch tasks` shows; anything missing is reported by its JSON path.
result<definition_summary> read_definition(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return fail(file.string(), "cannot open");
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(file.string(), "not valid JSON");
  if (!doc.is_object()) return fail(file.string(), "a Definition must be a JSON object");

  definition_summary summary;
  summary.file = file;
  for (const char* field : {"name", "op_type"}) {
    if (!doc.contains(field) || !doc[field].is_string() || doc[field].get<std::string>().empty()) {
      return fail(file.string() + ": " + field, "missing or not a non-empty string");
    }
  }
  summary.name = doc["name"].get<std::string>();
  summary.op_type = doc["op_type"].get<std::string>();
  if (auto d = doc.find("description"); d != doc.end() && d->is_string()) summary.description = *d;

  if (!doc.contains("axes") || !doc["axes"].is_object()) {
    return fail(file.string() + ": axes", "missing or not an object");
  }
  for (const auto& [axis, spec] : doc["axes"].items()) {
    const std::string type = spec.is_object() ? spec.value("type", "") : "";
    if (type == "const" && spec.contains("value") && spec["value"].is_number_integer()) {
      summary.const_axes.push_back(axis + "=" + std::to_string(spec["value"].get<long long>()));
    } else if (type == "var") {
      summary.var_axes.push_back(axis);
    } else {
      return fail(file.string() + ": axes." + axis, "must be {\"type\":\"var\"} or {\"type\":\"const\",\"value\":int}");
    }
  }
  for (const char* group : {"inputs", "outputs"}) {
    if (!doc.contains(group) || !doc[group].is_object()) {
      return fail(file.string() + ": " + group, "missing or not an object");
    }
  }
  for (const auto& item : doc["inputs"].items()) summary.inputs.push_back(item.key());
  for (const auto& item : doc["outputs"].items()) summary.outputs.push_back(item.key());
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
      json record = json::parse(line, nullptr, false);
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
    auto summary = read_definition(file);
    if (!summary) {
      listing.problems.push_back(summary.error());
      continue;
    }
    if (auto [it, inserted] = seen.emplace(summary->name, file); !inserted) {
      listing.problems.push_back({file.string() + ": name",
                                  "duplicate definition '" + summary->name + "' (first in " + it->second.string() + ")", ""});
      continue;
    }
    summary->workload_count = workload_counts[summary->name];
    listing.definitions.push_back(std::move(*summary));
  }
  std::sort(listing.definitions.begin(), listing.definitions.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return listing;
}

}  // namespace ksearch::tasks
