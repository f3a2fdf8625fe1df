#include "ksearch/tasks/solution.h"

#include <fstream>
#include <set>

#include "ksearch/common/json.h"

namespace ksearch::tasks {

const std::string* solution::source(std::string_view path) const {
  for (const source_file& f : sources) {
    if (f.path == path) return &f.content;
  }
  return nullptr;
}

result<solution> parse_solution(const json& doc, const std::string& where) {
  if (!doc.is_object()) return fail(where, "a Solution must be a JSON object");
  solution s;
  for (const char* field : {"name", "definition"}) {
    if (!doc.contains(field) || !doc[field].is_string() || doc[field].get<std::string>().empty()) {
      return fail(where + ": " + field, "missing or not a non-empty string");
    }
  }
  s.name = doc["name"].get<std::string>();
  s.definition = doc["definition"].get<std::string>();
  s.author = doc.value("author", "");
  s.description = doc.value("description", "");
  if (auto spec = doc.find("spec"); spec != doc.end() && spec->is_object()) s.language = spec->value("language", "");
  if (!doc.contains("sources") || !doc["sources"].is_array() || doc["sources"].empty()) {
    return fail(where + ": sources", "missing or empty (a list of {path, content})");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < doc["sources"].size(); ++i) {
    const json& f = doc["sources"][i];
    const std::string at = where + ": sources[" + std::to_string(i) + "]";
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("content") || !f["content"].is_string()) {
      return fail(at, "must be {\"path\": string, \"content\": string}");
    }
    const std::string path = f["path"].get<std::string>();
    if (path.empty() || path.front() == '/' || path.find("..") != std::string::npos) {
      return fail(at + ".path", "'" + path + "' must be a relative path without '..'");
    }
    if (!seen.insert(path).second) return fail(at + ".path", "duplicate source '" + path + "'");
    s.sources.push_back({path, f["content"].get<std::string>()});
  }
  return s;
}

result<solution> load_solution(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return fail(file.string(), "cannot open");
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(file.string(), "not valid JSON");
  return parse_solution(doc, file.string());
}

json to_json(const solution& s) {
  json sources = json::array();
  for (const source_file& f : s.sources) sources.push_back({{"path", f.path}, {"content", f.content}});
  return {{"name", s.name},
          {"definition", s.definition},
          {"author", s.author},
          {"description", s.description},
          {"spec", {{"language", s.language}, {"target_hardware", json::array({"cuda"})}, {"entry_point", "kernel.cu::run"}}},
          {"sources", sources}};
}

}  // namespace ksearch::tasks
