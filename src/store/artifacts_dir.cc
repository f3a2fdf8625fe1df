#include "ksearch/store/artifacts_dir.h"

#include <unistd.h>

#include <string>
#include <system_error>

#include "ksearch/store/durable_file.h"

namespace ksearch::store {

namespace fs = std::filesystem;

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
  if (auto written = write_file_atomic(probe, "ksearch write probe\n"); !written) {
    return std::unexpected(written.error());
  }
  fs::remove(probe, ec);
  if (ec) return fail(probe.string(), "cannot remove probe file: " + ec.message());

  check.free_bytes = fs::space(check.absolute_path, ec).available;
  return check;
}

}  // namespace ksearch::store
