#include "ksearch/bench/tool_lookup.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "ksearch/common/subprocess.h"

namespace ksearch::bench {

namespace fs = std::filesystem;

namespace {

// "2025.1.10" -> {2025, 1, 10}; text that is not a number counts as 0 (sorts oldest).
std::vector<long> version_numbers(const std::string& text) {
  std::vector<long> numbers;
  long current = 0;
  bool in_number = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      current = current * 10 + (c - '0');
      in_number = true;
    } else if (in_number) {
      numbers.push_back(current);
      current = 0;
      in_number = false;
    }
  }
  if (in_number) numbers.push_back(current);
  return numbers;
}

}  // namespace

bool is_executable_file(const fs::path& file) {
  std::error_code ec;
  return fs::is_regular_file(file, ec) && ::access(file.c_str(), X_OK) == 0;
}

std::optional<fs::path> find_in_path(std::string_view name, std::string_view search_path) {
  while (true) {
    const std::size_t colon = search_path.find(':');
    const std::string_view folder = search_path.substr(0, colon);
    if (!folder.empty()) {
      const fs::path candidate = fs::path(folder) / name;
      if (is_executable_file(candidate)) return candidate;
    }
    if (colon == std::string_view::npos) return std::nullopt;
    search_path.remove_prefix(colon + 1);
  }
}

std::vector<fs::path> nsight_compute_installs(const fs::path& root) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path ncu = it->path() / "ncu";
    if (is_executable_file(ncu)) found.push_back(ncu);
  }
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return version_numbers(a.parent_path().filename().string()) > version_numbers(b.parent_path().filename().string());
  });
  return found;
}

result<std::optional<fs::path>> find_tool(std::string_view name, const std::string& given, std::string_view flag,
                                          const std::vector<fs::path>& fallbacks) {
  if (!given.empty()) {
    if (!is_executable_file(given)) {
      return fail(std::string(flag) + " " + given, "not an executable file",
                  "give the path of " + std::string(name) + ", or leave the flag out to search for it");
    }
    return std::optional<fs::path>(given);
  }
  const char* path = std::getenv("PATH");
  if (auto hit = find_in_path(name, path != nullptr ? path : ""); hit) return hit;
  for (const fs::path& fallback : fallbacks) {
    if (is_executable_file(fallback)) return std::optional<fs::path>(fallback);
  }
  return std::optional<fs::path>();
}

std::string tool_version(const fs::path& tool, std::chrono::milliseconds timeout) {
  auto ran = run_command({tool.string(), "--version"}, {.timeout = timeout, .max_output_bytes = 65536});
  if (!ran || !ran->succeeded()) return {};
  std::string_view text = ran->out;
  std::string last;
  std::string versioned;  // nvcc's "... release 13.0, V13.0.88" or ncu's "Version 2025.1.0.0 ..."
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) last = line;
    if (line.find("release ") != std::string_view::npos || line.starts_with("Version ")) versioned = line;
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
  }
  return versioned.empty() ? last : versioned;
}

}  // namespace ksearch::bench
