// ksearch/common/paths.h — where ksearch finds its own files, and file-name hygiene.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ksearch {

/// The running executable (/proc/self/exe), or empty if it cannot be read.
[[nodiscard]] std::filesystem::path executable_path();

/// Finds a bundled data folder ("tasks", "prompts") by looking, in order, in $KSEARCH_DATA_DIR,
/// next to the build tree (<exe>/.., <exe>/../..), the install tree (<exe>/../share/ksearch) and
/// the source tree ksearch was built from. Returns nothing when none exists.
[[nodiscard]] std::optional<std::filesystem::path> find_data_dir(std::string_view name);

/// K-Search's "safe name": every character other than [A-Za-z0-9._-] becomes '_'.
[[nodiscard]] std::string safe_name(std::string_view name);

}  // namespace ksearch
