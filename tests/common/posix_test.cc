// Owned descriptors, errno text and writes, on real pipes.
#include "ksearch/common/posix.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>
#include <utility>

#include "support/read_fd.h"

namespace ksearch {
namespace {

using test_support::read_to_end;

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(PosixUniqueFd, ClosesWhenDestroyedAndNotWhenReleased) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe.has_value()) << pipe.error().to_string();
  const int read_end = pipe->read.get();
  const int write_end = pipe->write.get();
  {
    const unique_fd owner(pipe->read.release());
    EXPECT_FALSE(pipe->read);
    EXPECT_EQ(pipe->read.get(), -1);
    EXPECT_TRUE(is_open(read_end));
  }
  EXPECT_FALSE(is_open(read_end));
  const int raw = pipe->write.release();
  EXPECT_TRUE(is_open(write_end));
  EXPECT_EQ(::close(raw), 0);
}

TEST(PosixUniqueFd, MovesOwnershipAndResetClosesTheOldDescriptor) {
  auto first = make_pipe();
  auto second = make_pipe();
  ASSERT_TRUE(first.has_value() && second.has_value());
  const int a = first->read.get();
  const int b = second->read.get();

  unique_fd moved(std::move(first->read));
  EXPECT_EQ(moved.get(), a);
  EXPECT_FALSE(first->read);

  moved = std::move(second->read);  // a is closed, b is owned
  EXPECT_FALSE(is_open(a));
  EXPECT_EQ(moved.get(), b);
  EXPECT_TRUE(is_open(b));

  moved.reset();
  EXPECT_FALSE(moved);
  EXPECT_FALSE(is_open(b));
}

TEST(PosixErrnoText, GivesTheSystemsText) {
  EXPECT_EQ(errno_text(ENOENT), "No such file or directory");
  EXPECT_EQ(errno_text(EPIPE), "Broken pipe");
  EXPECT_NE(errno_text(987654).find("987654"), std::string::npos);  // unknown codes keep their number
}

TEST(PosixMakePipe, EndsAreCloseOnExecAndConnected) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe.has_value()) << pipe.error().to_string();
  EXPECT_NE(::fcntl(pipe->read.get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(::fcntl(pipe->write.get(), F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_TRUE(write_all(pipe->write.get(), "through").has_value());
  pipe->write.reset();
  EXPECT_EQ(read_to_end(pipe->read.get()), "through");
}

TEST(PosixSetNonblocking, AnEmptyPipeNoLongerBlocksTheReader) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe.has_value());
  ASSERT_TRUE(set_nonblocking(pipe->read.get()).has_value());
  char byte = 0;
  errno = 0;
  EXPECT_EQ(::read(pipe->read.get(), &byte, 1), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_FALSE(set_nonblocking(-1).has_value());
}

TEST(PosixWriteAll, WaitsForAFullNonBlockingPipeUntilEverythingIsWritten) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe.has_value());
  ASSERT_TRUE(set_nonblocking(pipe->write.get()).has_value());
  std::string data(std::size_t{4} << 20, '\0');  // many times a pipe's buffer: short writes and EAGAIN
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  std::string received;
  std::thread reader([&] { received = read_to_end(pipe->read.get()); });
  const auto written = write_all(pipe->write.get(), data);
  pipe->write.reset();
  reader.join();
  ASSERT_TRUE(written.has_value()) << written.error().to_string();
  EXPECT_EQ(received.size(), data.size());
  EXPECT_TRUE(received == data);
}

TEST(PosixWriteAll, APipeWithoutReaderIsAnErrorNotSigpipe) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe.has_value());
  pipe->read.reset();
  const auto written = write_all(pipe->write.get(), "hello");
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().problem, errno_text(EPIPE));
  EXPECT_EQ(written.error().subject, "write(fd " + std::to_string(pipe->write.get()) + ")");
  // The SIGPIPE the write raised was consumed, not left pending for someone to trip over.
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST(PosixWriteWithoutSigpipe, GivesEpipeAndLeavesNoSignalPending) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe.has_value());
  pipe->read.reset();
  errno = 0;
  EXPECT_EQ(write_without_sigpipe(pipe->write.get(), "hello"), -1);
  EXPECT_EQ(errno, EPIPE);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST(PosixWriteAll, ABadDescriptorIsAnError) {
  const auto written = write_all(-1, "x");
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().problem, errno_text(EBADF));
}

}  // namespace
}  // namespace ksearch
