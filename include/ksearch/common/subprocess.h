// ksearch/common/subprocess.h — starting child processes, and running a tool to completion.
//
// Every child ksearch starts (an evaluation worker, the Python oracle, nvcc, ncu, the KernelBench
// importer) starts the same way, through spawn_process:
//  * it leads its own process group, so that a timeout can kill it with everything it started;
//  * it begins with an empty signal mask and every signal at its default, whatever the parent had
//    blocked or ignored;
//  * it inherits only the descriptors it is given: stdin is /dev/null unless mapped, and every
//    descriptor above the highest mapped one is closed in the child, those some library opened
//    without O_CLOEXEC included.
// run_command builds on it for tools that run to completion: stdout and stderr collected apart (up
// to a limit, the rest read and dropped so the tool never blocks), and at the deadline the whole
// group SIGKILLed and reaped. Output that a left-over grandchild keeps open is read for at most a
// short grace after the program exits, so a daemonised descendant cannot hold the caller either.
//
// The caller must not reap children it did not start (waitpid(-1), SIGCHLD ignored): the exit
// status would be lost.
// Thread-safety: independent calls may run on separate threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch {

// ---- starting a child ------------------------------------------------------------------------

/// A descriptor the child gets: its descriptor `child` is a copy of this process's `parent`.
struct child_fd {
  int child = -1;
  int parent = -1;
};

struct spawn_options {
  std::vector<std::string> argv;                // argv[0]: a path, or a name looked up in PATH
  std::optional<std::vector<std::string>> env;  // "NAME=value" entries; nullopt: this process's
  std::vector<child_fd> fds;                    // stdin is /dev/null unless it is listed here
  std::filesystem::path working_dir;            // empty: this process's
};

/// Starts argv[0] as described above and returns its pid (also its process group id). A name
/// without '/' is looked up in the PATH of `env` when it sets one, else in this process's PATH.
/// Errors (subject: the program): argv is empty, the name is not found in PATH, or posix_spawn
/// failed ("cannot start: <errno text>").
[[nodiscard]] result<pid_t> spawn_process(const spawn_options& options);

/// How a child ended.
struct exit_status {
  int code = -1;   // the exit code; -1 when a signal ended it
  int signal = 0;  // the signal that ended it, 0 when none
};

/// waitpid's status word as an exit_status.
[[nodiscard]] exit_status decode_wait_status(int raw);

/// Waits for child `pid` to end and reaps it (EINTR retried). nullopt when it cannot be waited for
/// (someone else reaped it).
[[nodiscard]] std::optional<exit_status> reap(pid_t pid);

/// SIGKILLs the process group that `pid` leads, then reaps `pid`. The group is killed before the
/// reap, so its id cannot have been reused yet.
std::optional<exit_status> kill_group_and_reap(pid_t pid);

// ---- running a tool to completion -----------------------------------------------------------

struct command_options {
  std::chrono::milliseconds timeout{60'000};             // from start to kill [ms]
  std::size_t max_output_bytes = std::size_t{64} << 20;  // per stream; the rest is dropped
  std::optional<std::vector<std::string>> env;           // "NAME=value" entries; nullopt: this process's
};

struct command_result {
  int exit_code = -1;      // the exit status; -1 when a signal ended the program
  int signal = 0;          // the signal that ended it, 0 when none
  bool timed_out = false;  // killed at the deadline
  std::string out;         // stdout (the first max_output_bytes)
  std::string err;         // stderr (likewise)
  double wall_ms = 0;      // from spawn to exit [ms]

  [[nodiscard]] bool succeeded() const { return !timed_out && exit_code == 0; }
  /// "exit code 2", "killed by signal 9", "timed out after 60 s": for messages.
  [[nodiscard]] std::string describe_end() const;
};

/// Runs argv[0] (a path, or a name looked up in PATH) with the rest as arguments, stdin on
/// /dev/null. An error only when the program cannot be started (see spawn_process); everything
/// after that, a timeout included, is in the result.
[[nodiscard]] result<command_result> run_command(const std::vector<std::string>& argv,
                                                 const command_options& options = {});

}  // namespace ksearch
