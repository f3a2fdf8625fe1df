// ksearch/cli/terminal_status.h — one live status line on a terminal while a long step runs.
//
// The activity observer of `ksearch run` (search/activity.h). While a step is active, a thread of
// its own redraws one line on stderr every 250 ms, and begin() and detail() redraw it at once:
//   "\r\033[K<what> — <detail> (12.3 s)"      (" — <detail>" only once there is one)
// The time runs from begin(). end() erases the line, so the round's log line takes its place. The
// text is cut to the terminal's width less one column: a line that wraps could not be erased.
//
// It draws only when stderr is a terminal (isatty), TERM is set and not "dumb", and CI is unset;
// otherwise every method does nothing, so logs, pipes and CI output stay as they were.
// A log message written during a step would be appended to the status line; guard_logger() makes
// the logger's sinks erase the line first (the next tick draws it again below the message).
//
// Thread-safety: every method may be called from any thread; one mutex guards the state and every
// write to the terminal. The destructor stops and joins the drawing thread and erases the line.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "ksearch/search/activity.h"

namespace spdlog {
class logger;
}

namespace ksearch::cli {

/// Whether a status line should be drawn: on a terminal, with TERM set and not "dumb", and with
/// `ci` (the CI variable) unset. Null strings are unset variables.
[[nodiscard]] bool wants_status_line(bool is_terminal, const char* term, const char* ci);

/// The status text for a terminal `width` columns wide (without the "\r\033[K"):
/// "<what> — <detail> (12.3 s)", at most width - 1 columns; a cut <what> — <detail> ends in "…".
/// Control characters become '?'. One column per UTF-8 character.
[[nodiscard]] std::string status_line(std::string_view what, std::string_view detail, double elapsed_s,
                                      std::size_t width);

class terminal_status final : public search::activity_observer {
 public:
  /// Draws on stderr when wants_status_line() says so for this process.
  terminal_status();
  /// Draws on `fd` when `enabled` (tests: a pipe). The width is `fd`'s terminal's, else 80.
  terminal_status(int fd, bool enabled);
  ~terminal_status() override;
  terminal_status(const terminal_status&) = delete;
  terminal_status& operator=(const terminal_status&) = delete;

  void begin(std::string_view what) override;
  void detail(std::string_view text) override;
  void end() override;

  [[nodiscard]] bool enabled() const;
  /// Wraps each of `logger`'s sinks so that a message first erases the status line. Nothing when
  /// disabled. Call before other threads log (spdlog's sink list is not guarded); the wrappers
  /// share this object's state, so they stay safe to use after it is gone.
  void guard_logger(spdlog::logger& logger);

 private:
  struct state;
  class guarded_sink;
  std::shared_ptr<state> state_;
  std::thread ticker_;  // runs only when enabled
};

}  // namespace ksearch::cli
