#include "ksearch/tasks/kernelbench_problems.h"

#include <algorithm>
#include <regex>

namespace ksearch::tasks {

namespace fs = std::filesystem;

std::string kernelbench_definition_name(const kernelbench_problem& problem) {
  std::string title = problem.name;
  for (char& c : title) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!keep) c = '_';
  }
  return "kernelbench_l" + std::to_string(problem.level) + "_p" + std::to_string(problem.id) + "_" + title;
}

result<fs::path> kernelbench_level_dir(const fs::path& root, int level) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return fail("--kernelbench-root " + root.string(), "is not a folder",
                "pass your KernelBench checkout (it holds KernelBench/level1 ... level4), or set KERNELBENCH_ROOT");
  }
  const std::string folder = "level" + std::to_string(level);
  for (const fs::path& base : {root, root / "KernelBench"}) {
    if (fs::is_directory(base / folder, ec)) return base / folder;
  }
  return fail("--kernelbench-level " + std::to_string(level),
              "no " + folder + " folder in " + root.string() + " or " + (root / "KernelBench").string(),
              "check the level (1 to 4) and that the root is a KernelBench checkout");
}

result<std::vector<kernelbench_problem>> list_kernelbench_problems(const fs::path& root, int level) {
  auto dir = kernelbench_level_dir(root, level);
  if (!dir) return std::unexpected(dir.error());
  static const std::regex problem_file(R"((\d+)_(.+)\.py)");
  std::vector<kernelbench_problem> problems;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(*dir, ec)) {
    const std::string file = entry.path().filename().string();
    std::smatch m;
    if (!entry.is_regular_file(ec) || !std::regex_match(file, m, problem_file)) continue;
    problems.push_back({level, std::stoi(m[1].str()), m[2].str(), entry.path()});
  }
  if (ec) return fail(dir->string(), "cannot list the folder: " + ec.message());
  std::sort(problems.begin(), problems.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (std::size_t i = 1; i < problems.size(); ++i) {
    if (problems[i].id == problems[i - 1].id) {
      return fail(dir->string(), "two problems with id " + std::to_string(problems[i].id) + ": " +
                                     problems[i - 1].file.filename().string() + " and " + problems[i].file.filename().string(),
                  "keep one file per id");
    }
  }
  return problems;
}

result<kernelbench_problem> find_kernelbench_problem(const fs::path& root, int level, int id) {
  auto problems = list_kernelbench_problems(root, level);
  if (!problems) return std::unexpected(problems.error());
  for (const kernelbench_problem& p : *problems) {
    if (p.id == id) return p;
  }
  const std::string range = problems->empty() ? std::string("none")
                                              : std::to_string(problems->front().id) + " to " +
                                                    std::to_string(problems->back().id) + " (" +
                                                    std::to_string(problems->size()) + " problems)";
  return fail("--kernelbench-problem-id " + std::to_string(id),
              "no file " + std::to_string(id) + "_<Name>.py in level " + std::to_string(level) + "; ids there: " + range,
              "pick an id from `ksearch tasks --task kernelbench`");
}

}  // namespace ksearch::tasks
