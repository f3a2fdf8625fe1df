// ksearch/store/durable_file.h — files that survive a kill -9: atomic snapshots and append-only logs.
//
// A search writes two kinds of files. Snapshots (the world model, the loop's checkpoint, a best
// solution) are replaced whole: write_file_atomic writes a temp file beside the target, fsyncs it
// and renames it over the target, so a reader sees the old content or the new, never a mix.
// Logs (solutions.jsonl, metrics.jsonl, transcript.jsonl) grow by one line per record:
// line_appender writes each line with one write(2) on an O_APPEND descriptor and fsyncs it before
// returning, and when it opens a file whose last line was torn by a crash it ends that line first,
// so the next record starts clean. read_jsonl reads such a log back, skipping (and reporting)
// lines that do not parse instead of failing.
//
// Thread-safety: a line_appender serves one thread; the free functions are independent.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json.h"
#include "ksearch/common/posix.h"

namespace ksearch::store {

/// Replaces `file` with `content` through `<file>.tmp-<pid>` + fsync + rename (parent folders are
/// created). Errors name the file and the failing call; the old content is left untouched.
[[nodiscard]] result<void> write_file_atomic(const std::filesystem::path& file, std::string_view content);

/// Reads a whole file; errors name it.
[[nodiscard]] result<std::string> read_file(const std::filesystem::path& file);

class line_appender {
 public:
  /// Opens `file` for appending (creating it and its folders) and ends a torn last line.
  [[nodiscard]] static result<std::unique_ptr<line_appender>> open(const std::filesystem::path& file);
  ~line_appender();
  line_appender(const line_appender&) = delete;
  line_appender& operator=(const line_appender&) = delete;

  /// Appends `line` and a '\n' (the line must not contain one), then fsyncs.
  [[nodiscard]] result<void> append(std::string_view line);
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  line_appender(std::filesystem::path path, unique_fd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::filesystem::path path_;
  unique_fd fd_;  // O_APPEND
};

struct jsonl_record {
  std::size_t line = 0;  // [1-based]
  json value;
};

struct jsonl_contents {
  std::vector<jsonl_record> records;  // the lines that parsed, in file order
  std::vector<std::string> skipped;   // "FILE:LINE: why" for each line that did not
};

/// Reads a JSON-lines file. A missing file is an empty log, not an error; blank lines are ignored.
[[nodiscard]] result<jsonl_contents> read_jsonl(const std::filesystem::path& file);

}  // namespace ksearch::store
