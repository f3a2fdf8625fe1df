// ksearch/common/scratch_dir.h — a private temporary folder for the files ksearch hands to a child
// process (a kernel source for nvcc, ncu's CSV log, a compile request for the bounded compiler),
// removed with everything in it when the owner goes away.
//
// Thread-safety: one owner; the folder's name is unique (mkdtemp), so separate owners never collide.
#pragma once

#include <filesystem>
#include <string>

#include "ksearch/common/error.h"

namespace ksearch {

class scratch_dir {
 public:
  /// Creates <temp>/<prefix>XXXXXX (temp: $TMPDIR or /tmp). Error: the folder cannot be made.
  [[nodiscard]] static result<scratch_dir> create(const std::string& prefix);

  ~scratch_dir();  // removes the folder and its contents; failures are ignored (it is scratch)
  scratch_dir(scratch_dir&& other) noexcept;
  scratch_dir& operator=(scratch_dir&& other) noexcept;
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /// Writes `content` to path()/name and returns the full path. Error: the write failed.
  [[nodiscard]] result<std::filesystem::path> write(const std::string& name, const std::string& content) const;

 private:
  explicit scratch_dir(std::filesystem::path path) : path_(std::move(path)) {}
  void remove() noexcept;
  std::filesystem::path path_;  // empty after a move
};

}  // namespace ksearch
