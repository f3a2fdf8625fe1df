#include "ksearch/store/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>

namespace ksearch::store {

namespace fs = std::filesystem;

namespace {

result<void> make_parent(const fs::path& file) {
  if (!file.has_parent_path()) return {};
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return fail(file.parent_path().string(), "cannot create folder: " + ec.message());
  return {};
}

}  // namespace

result<void> write_file_atomic(const fs::path& file, std::string_view content) {
  if (auto made = make_parent(file); !made) return made;
  // pid + a per-process counter: two writers of one file, in one process or several, never share a temp.
  static std::atomic<unsigned long> counter{0};
  const fs::path temp = file.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  unique_fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return fail(temp.string(), "open: " + errno_text(errno), "check that the folder is writable");
  if (auto written = write_all(fd.get(), content); !written) {
    fd.reset();
    ::unlink(temp.c_str());
    return fail(temp.string(), "write: " + written.error().problem, "check the disk space");
  }
  if (::fsync(fd.get()) != 0) {
    const int saved = errno;
    fd.reset();
    ::unlink(temp.c_str());
    return fail(temp.string(), "fsync: " + errno_text(saved));
  }
  fd.reset();
  if (::rename(temp.c_str(), file.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    return fail(file.string(), "rename: " + errno_text(saved));
  }
  return {};
}

result<std::string> read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(file.string(), "cannot open for reading", "check the path");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(file.string(), "read failed");
  return text.str();
}

result<std::unique_ptr<line_appender>> line_appender::open(const fs::path& file) {
  if (auto made = make_parent(file); !made) return std::unexpected(made.error());
  unique_fd fd(::open(file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return fail(file.string(), "open: " + errno_text(errno), "check that the folder is writable");
  // A crash mid-write leaves a last line without '\n'; end it so the next record stands alone.
  struct stat info {};
  if (::fstat(fd.get(), &info) == 0 && info.st_size > 0) {
    char last = '\n';
    if (::pread(fd.get(), &last, 1, info.st_size - 1) == 1 && last != '\n') {
      if (auto ended = write_all(fd.get(), "\n"); !ended) return fail(file.string(), "write: " + ended.error().problem);
    }
  }
  return std::unique_ptr<line_appender>(new line_appender(file, std::move(fd)));
}

line_appender::~line_appender() = default;

result<void> line_appender::append(std::string_view line) {
  std::string whole(line);
  whole += '\n';
  if (auto written = write_all(fd_.get(), whole); !written) {
    return fail(path_.string(), "write: " + written.error().problem, "check the disk space");
  }
  if (::fsync(fd_.get()) != 0) return fail(path_.string(), "fsync: " + errno_text(errno));
  return {};
}

result<jsonl_contents> read_jsonl(const fs::path& file) {
  jsonl_contents contents;
  std::error_code ec;
  if (!fs::exists(file, ec)) return contents;
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(file.string(), "cannot open for reading");
  std::string text;
  std::size_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      contents.records.push_back({line, json::parse(text)});
    } catch (const json::parse_error& e) {
      contents.skipped.push_back(file.string() + ":" + std::to_string(line) + ": not JSON (" + e.what() + ")");
    }
  }
  if (in.bad()) return fail(file.string(), "read failed");
  return contents;
}

}  // namespace ksearch::store
