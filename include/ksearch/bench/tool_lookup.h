// ksearch/bench/tool_lookup.h — finds the external tools the benchmark compares against (nvcc, ncu).
//
// Order: the path given on the command line (which must then exist), the name in $PATH, then fixed
// places where the CUDA Toolkit and Nsight Compute install themselves. A tool found nowhere is not
// an error: the benchmark skips that part and says so.
//
// Thread-safety: reads the environment and the file system, runs `--version`; no state.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch::bench {

/// True for a regular file (or a link to one) that the process may execute.
[[nodiscard]] bool is_executable_file(const std::filesystem::path& file);

/// `name` in the folders of `search_path` (a PATH-style list, "a:b:c"), the first executable hit.
[[nodiscard]] std::optional<std::filesystem::path> find_in_path(std::string_view name, std::string_view search_path);

/// Nsight Compute installs as <root>/<version>/ncu (/opt/nvidia/nsight-compute/2025.1.0/ncu): every
/// such ncu under `root`, newest version first (versions compared number by number).
[[nodiscard]] std::vector<std::filesystem::path> nsight_compute_installs(const std::filesystem::path& root);

/// Finds tool `name`. `given` (from `flag`): used when non-empty, and an error (subject `flag`) when
/// it is not an executable file. Otherwise $PATH, then each of `fallbacks` in order; nullopt when
/// none is there.
[[nodiscard]] result<std::optional<std::filesystem::path>> find_tool(
    std::string_view name, const std::string& given, std::string_view flag,
    const std::vector<std::filesystem::path>& fallbacks);

/// The line of `tool --version` that names the version ("Cuda compilation tools, release 13.0,
/// V13.0.88" for nvcc, "Version 2025.1.0.0 (build ...)" for ncu), else its last non-empty line;
/// empty when it cannot be run or does not finish within `timeout`.
[[nodiscard]] std::string tool_version(const std::filesystem::path& tool, std::chrono::milliseconds timeout);

}  // namespace ksearch::bench
