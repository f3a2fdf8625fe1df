// ksearch/common/posix.h — owned file descriptors and the POSIX chores every module repeats.
//
// A raw descriptor leaks on the first early return, strerror() shares one buffer between threads,
// and write(2) may stop early, fail with EINTR, or raise SIGPIPE on a pipe nobody reads. unique_fd
// owns a descriptor, errno_text() is the thread-safe text, and write_all() / write_without_sigpipe()
// turn a gone reader into EPIPE instead of a dead process.
//
// Thread-safety: unique_fd is a plain value (one owner). The functions may be called from any
// thread; the writes change the calling thread's signal mask for the duration of one write(2).
#pragma once

#include <string>
#include <string_view>

#include "ksearch/common/error.h"

namespace ksearch {

/// Owns one file descriptor and closes it when destroyed; -1 means none. Move-only.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives the descriptor up without closing it; this object holds none afterwards.
  [[nodiscard]] int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  /// Closes the descriptor held, if any, and takes `fd` (-1: none).
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

/// The text of errno value `code` ("No such file or directory"), without strerror's shared buffer.
[[nodiscard]] std::string errno_text(int code);

/// Both ends of a pipe, close-on-exec.
struct pipe_ends {
  unique_fd read;
  unique_fd write;
};

/// A new pipe (pipe2 with O_CLOEXEC). Error subject: "pipe2".
[[nodiscard]] result<pipe_ends> make_pipe();

/// Adds O_NONBLOCK to `fd`'s status flags. Error subject: "fcntl(F_SETFL, O_NONBLOCK)".
[[nodiscard]] result<void> set_nonblocking(int fd);

/// One write(2) of `bytes` to `fd` with SIGPIPE blocked for the calling thread, so a pipe whose
/// reader is gone gives EPIPE instead of killing the process (a SIGPIPE raised by this write is
/// consumed; one that was already pending stays pending). Returns what write(2) returns, with errno
/// set as it left it.
[[nodiscard]] long write_without_sigpipe(int fd, std::string_view bytes);

/// Writes all of `bytes` to `fd`: retries EINTR and short writes, waits while a non-blocking `fd`
/// is full, and never raises SIGPIPE (see write_without_sigpipe). Error: subject "write(fd N)", the
/// problem is errno's text (EPIPE when the reader is gone); part of `bytes` may have been written.
[[nodiscard]] result<void> write_all(int fd, std::string_view bytes);

}  // namespace ksearch
