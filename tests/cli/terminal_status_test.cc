// The status line of `ksearch run`: when it is drawn, what it says, and that it stays off the
// output when it is not wanted. Drawing goes to a pipe (not a terminal), read after the fact.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ksearch/cli/terminal_status.h"

namespace ksearch::cli {
namespace {

constexpr std::string_view erase = "\r\033[K";

// A pipe whose read end is drained after the writer is done.
class pipe_capture {
 public:
  pipe_capture() { EXPECT_EQ(::pipe2(fds_, O_CLOEXEC), 0); }
  ~pipe_capture() {
    for (const int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  pipe_capture(const pipe_capture&) = delete;
  pipe_capture& operator=(const pipe_capture&) = delete;

  [[nodiscard]] int write_fd() const { return fds_[1]; }
  /// Closes the write end and returns everything written to it.
  std::string finish() {
    ::close(fds_[1]);
    fds_[1] = -1;
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds_[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
    return text;
  }

 private:
  int fds_[2] = {-1, -1};
};

// Writes each log message's text to a descriptor, as the stderr sink would.
class fd_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit fd_sink(int fd) : fd_(fd) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    const std::string text = "LOG " + std::string(message.payload.data(), message.payload.size()) + "\n";
    EXPECT_EQ(::write(fd_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void flush_() override {}

 private:
  int fd_;
};

TEST(TerminalStatus, IsWantedOnlyOnATerminalWithACapableTermAndOutsideCi) {
  EXPECT_TRUE(wants_status_line(true, "xterm-256color", nullptr));
  EXPECT_FALSE(wants_status_line(false, "xterm-256color", nullptr)) << "a pipe or a log file";
  EXPECT_FALSE(wants_status_line(true, "dumb", nullptr));
  EXPECT_FALSE(wants_status_line(true, nullptr, nullptr));
  EXPECT_FALSE(wants_status_line(true, "", nullptr));
  EXPECT_FALSE(wants_status_line(true, "xterm", "true"));
  EXPECT_FALSE(wants_status_line(true, "xterm", "")) << "CI set, even empty";
}

TEST(TerminalStatus, LineShowsTheStepItsDetailAndTheElapsedTime) {
  EXPECT_EQ(status_line("round 3: waiting for the LLM (debug)", "", 12.34, 120),
            "round 3: waiting for the LLM (debug) (12.3 s)");
  EXPECT_EQ(status_line("round 3: evaluating", "workload 2/5 ab12", 0.26, 120),
            "round 3: evaluating — workload 2/5 ab12 (0.3 s)");
  EXPECT_EQ(status_line("a\rb", "c\033[2Jd", 1, 80), "a?b — c?[2Jd (1.0 s)") << "control characters cannot move the cursor";
}

TEST(TerminalStatus, LineIsCutToTheWidthLessOneColumnKeepingTheTime) {
  const std::string line = status_line("round 12: evaluating", "workload 3/5 0123456789abcdef0123456789abcdef", 4.2, 40);
  EXPECT_EQ(line, "round 12: evaluating — workloa… (4.2 s)");
  // 39 characters; "—" and "…" are one column each but three bytes.
  std::size_t columns = 0;
  for (const char c : line) columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  EXPECT_EQ(columns, 39u);
  EXPECT_EQ(status_line("round 12: evaluating", "", 4.2, 8), "round 1") << "a tiny terminal gets what fits";
  EXPECT_EQ(status_line("x", "", 4.2, 0), "");
}

TEST(TerminalStatus, WritesNothingWhenDisabled) {
  pipe_capture out;
  {
    terminal_status status(out.write_fd(), /*enabled=*/false);
    EXPECT_FALSE(status.enabled());
    status.begin("round 1: waiting for the LLM (action)");
    status.detail("workload 1/3 w1");
    status.end();
    spdlog::logger logger("test", std::make_shared<fd_sink>(out.write_fd()));
    status.guard_logger(logger);
    status.begin("round 1: evaluating");
    logger.info("a log line");
  }
  EXPECT_EQ(out.finish(), "LOG a log line\n") << "only the log line, which is not the status line's";
}

TEST(TerminalStatus, StderrUnderTestIsNotATerminalSoTheDefaultIsQuiet) {
  if (::isatty(STDERR_FILENO) != 0) GTEST_SKIP() << "stderr is a terminal here (run by hand)";
  terminal_status status;
  EXPECT_FALSE(status.enabled());
}

TEST(TerminalStatus, DrawsWhileAStepRunsAndErasesTheLineAtItsEnd) {
  pipe_capture out;
  {
    terminal_status status(out.write_fd(), /*enabled=*/true);
    status.detail("before any step: ignored");
    status.begin("round 1: evaluating");
    status.detail("workload 1/2 w1");
    status.end();
  }
  const std::string text = out.finish();
  EXPECT_EQ(text.find("ignored"), std::string::npos);
  EXPECT_TRUE(text.starts_with(std::string(erase) + "round 1: evaluating (0.")) << text;
  EXPECT_NE(text.find(std::string(erase) + "round 1: evaluating — workload 1/2 w1 ("), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with(erase)) << "nothing is left on the screen";
  EXPECT_EQ(text.find('\n'), std::string::npos) << "one line, redrawn in place";
}

TEST(TerminalStatus, RedrawsTheElapsedTimeWhileTheStepLasts) {
  pipe_capture out;
  {
    terminal_status status(out.write_fd(), /*enabled=*/true);
    status.begin("round 1: waiting for the LLM (action)");
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    status.end();
  }
  const std::string text = out.finish();
  std::size_t draws = 0;
  for (std::size_t at = text.find("waiting for the LLM"); at != std::string::npos; at = text.find("waiting for the LLM", at + 1)) {
    ++draws;
  }
  EXPECT_GE(draws, 2u) << "begin() and at least one tick: " << text;
}

TEST(TerminalStatus, ALogMessageDuringAStepFirstErasesTheStatusLine) {
  pipe_capture out;
  auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<fd_sink>(out.write_fd()));
  {
    terminal_status status(out.write_fd(), /*enabled=*/true);
    status.guard_logger(*logger);
    status.guard_logger(*logger);  // a second call wraps nothing twice (it would deadlock)
    status.begin("round 2: waiting for the LLM (debug)");
    logger->warn("LLM call failed (attempt 1); retrying");
    status.end();
    logger->info("round 2/5 PASSED");
  }
  logger->info("after the status is gone");  // the guarded sink outlives it
  const std::string text = out.finish();
  EXPECT_NE(text.find(" s)" + std::string(erase) + "LOG LLM call failed (attempt 1); retrying\n"),
            std::string::npos)
      << text;
  EXPECT_TRUE(text.ends_with("LOG round 2/5 PASSED\nLOG after the status is gone\n")) << text;
}

}  // namespace
}  // namespace ksearch::cli
