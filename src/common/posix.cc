#include "ksearch/common/posix.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace ksearch {

namespace {

// strerror_r comes in two flavours: GNU returns the text (maybe not in `buffer`), XSI fills
// `buffer` and returns 0. Overloads pick whichever the C library declared.
[[maybe_unused]] std::string strerror_result(const char* text, const char* /*buffer*/) { return text; }
[[maybe_unused]] std::string strerror_result(int failed, const char* buffer) {
  return failed == 0 ? std::string(buffer) : std::string();
}

}  // namespace

void unique_fd::reset(int fd) noexcept {
  // Never retried on EINTR: Linux releases the descriptor even then, and a retry could close a
  // descriptor another thread has just been given.
  if (fd_ >= 0 && fd_ != fd) ::close(fd_);
  fd_ = fd;
}

std::string errno_text(int code) {
  std::array<char, 256> buffer{};
  std::string text = strerror_result(::strerror_r(code, buffer.data(), buffer.size()), buffer.data());
  return text.empty() ? "error " + std::to_string(code) : text;
}

result<pipe_ends> make_pipe() {
  int fds[2] = {-1, -1};
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail("pipe2", errno_text(errno));
  return pipe_ends{unique_fd(fds[0]), unique_fd(fds[1])};
}

result<void> set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return fail("fcntl(F_SETFL, O_NONBLOCK)", errno_text(errno));
  }
  return {};
}

long write_without_sigpipe(int fd, std::string_view bytes) {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
  sigset_t pending;
  sigpending(&pending);
  const bool pending_before = sigismember(&pending, SIGPIPE) == 1;

  const ssize_t written = ::write(fd, bytes.data(), bytes.size());
  const int saved = errno;
  if (written < 0 && saved == EPIPE && !pending_before) {
    const timespec no_wait{0, 0};
    while (sigtimedwait(&pipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = saved;
  return written;
}

result<void> write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const long n = write_without_sigpipe(fd, bytes);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd out{fd, POLLOUT, 0};
      ::poll(&out, 1, -1);
    } else if (n < 0 && errno != EINTR) {
      return fail("write(fd " + std::to_string(fd) + ")", errno_text(errno));
    } else if (n == 0) {
      return fail("write(fd " + std::to_string(fd) + ")", "wrote nothing");
    }
  }
  return {};
}

}  // namespace ksearch
