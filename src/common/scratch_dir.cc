#include "ksearch/common/scratch_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <fstream>
#include <system_error>
#include <utility>

#include "ksearch/common/posix.h"

namespace ksearch {

namespace fs = std::filesystem;

result<scratch_dir> scratch_dir::create(const std::string& prefix) {
  std::error_code ec;
  const fs::path temp = fs::temp_directory_path(ec);
  if (ec) return fail("temporary folder", ec.message(), "set TMPDIR to a writable folder");
  std::string pattern = (temp / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail("mkdtemp " + pattern, errno_text(errno), "set TMPDIR to a writable folder");
  }
  return scratch_dir(fs::path(pattern));
}

scratch_dir::~scratch_dir() { remove(); }

scratch_dir::scratch_dir(scratch_dir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

scratch_dir& scratch_dir::operator=(scratch_dir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

void scratch_dir::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
  path_.clear();
}

result<fs::path> scratch_dir::write(const std::string& name, const std::string& content) const {
  const fs::path file = path_ / name;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return fail(file.string(), "cannot write the file");
  return file;
}

}  // namespace ksearch
