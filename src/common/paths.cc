#include "ksearch/common/paths.h"

#include <cstdlib>
#include <system_error>
#include <vector>

namespace ksearch {

namespace fs = std::filesystem;

fs::path executable_path() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path{} : exe;
}

std::optional<fs::path> find_data_dir(std::string_view name) {
  std::vector<fs::path> roots;
  if (const char* env = std::getenv("KSEARCH_DATA_DIR"); env != nullptr && *env != '\0') {
    roots.emplace_back(env);
  }
  if (fs::path exe = executable_path(); !exe.empty()) {
    const fs::path dir = exe.parent_path();
    roots.push_back(dir.parent_path());                       // build/ksearch -> repo root
    roots.push_back(dir.parent_path().parent_path());         // build/tests/x -> repo root
    roots.push_back(dir.parent_path() / "share" / "ksearch");  // <prefix>/bin -> <prefix>/share
  }
  roots.emplace_back(KSEARCH_SOURCE_DIR);
  for (const fs::path& root : roots) {
    std::error_code ec;
    const fs::path candidate = root / name;
    if (fs::is_directory(candidate, ec)) return fs::weakly_canonical(candidate, ec);
  }
  return std::nullopt;
}

std::string safe_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
    if (!keep) c = '_';
  }
  return out;
}

}  // namespace ksearch
