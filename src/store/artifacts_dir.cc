#include "ksearch/store/artifacts_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace ksearch::store {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// Writes `content` to `target` through a temp file + fsync + rename, as every snapshot is written.
result<void> write_probe(const fs::path& target, const std::string& content) {
  const fs::path temp = target.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(temp.string(), "open failed: " + errno_text());
  const bool written = ::write(fd, content.data(), content.size()) ==
                       static_cast<ssize_t>(content.size());
  const int write_errno = errno;
  const bool synced = written && ::fsync(fd) == 0;
  const int sync_errno = errno;
  ::close(fd);
  if (!written || !synced) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return fail(temp.string(), std::string(written ? "fsync" : "write") + " failed: " +
                                   std::strerror(written ? sync_errno : write_errno));
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    return fail(target.string(), "rename failed: " + errno_text());
  }
  return {};
}

}  // namespace

result<writable_check> check_writable(const fs::path& dir) {
  writable_check check;
  std::error_code ec;
  check.absolute_path = fs::absolute(dir, ec);
  if (ec) return fail(dir.string(), "cannot resolve path: " + ec.message());

  if (!fs::exists(check.absolute_path, ec)) {
    fs::create_directories(check.absolute_path, ec);
    if (ec) return fail(check.absolute_path.string(), "cannot create folder: " + ec.message());
    check.created = true;
  } else if (!fs::is_directory(check.absolute_path, ec)) {
    return fail(check.absolute_path.string(), "exists but is not a folder");
  }

  const fs::path probe = check.absolute_path / (".ksearch-write-probe-" + std::to_string(::getpid()));
  if (auto written = write_probe(probe, "ksearch write probe\n"); !written) {
    return std::unexpected(written.error());
  }
  fs::remove(probe, ec);
  if (ec) return fail(probe.string(), "cannot remove probe file: " + ec.message());

  check.free_bytes = fs::space(check.absolute_path, ec).available;
  return check;
}

}  // namespace ksearch::store
