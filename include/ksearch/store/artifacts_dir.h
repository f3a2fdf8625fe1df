// ksearch/store/artifacts_dir.h — the root folder a search writes into (--artifacts-dir).
#pragma once

#include <cstdint>
#include <filesystem>

#include "ksearch/common/error.h"

namespace ksearch::store {

struct writable_check {
  std::filesystem::path absolute_path;  // the folder, resolved
  bool created = false;                 // true when the check had to create it
  std::uintmax_t free_bytes = 0;        // space left on its file system [bytes]
};

/// Makes sure `dir` exists and takes a durable write: creates it if needed, writes a probe file
/// the way every snapshot is written (temp file, fsync, rename), then removes the probe. Errors
/// name the folder and the failing system call.
[[nodiscard]] result<writable_check> check_writable(const std::filesystem::path& dir);

}  // namespace ksearch::store
