// ksearch/bench/run_command.h — runs an external tool (nvcc, ncu) to completion, with a deadline.
//
// The benchmark shells out to tools that may hang (a profiler waiting on a GPU, a compiler stuck on
// a file system), and nothing in `ksearch bench` may hang. run_command starts the program in its
// own process group with stdin on /dev/null and no other inherited descriptors, collects stdout and
// stderr, and at the deadline SIGKILLs the whole group (the tool's children too) and reaps it.
// Output that a left-over grandchild keeps open is read for at most a short grace after the program
// exits, so a daemonised descendant cannot hold the caller either.
//
// The caller must not reap children it did not start (waitpid(-1), SIGCHLD ignored): the exit
// status would be lost.
// Thread-safety: independent calls may run on separate threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch::bench {

struct command_options {
  std::chrono::milliseconds timeout{60'000};             // from start to kill [ms]
  std::size_t max_output_bytes = std::size_t{64} << 20;  // per stream; the rest is dropped
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

/// Runs argv[0] (a path, or a name looked up in PATH) with the rest as arguments. An error only when
/// the program cannot be started (subject: the program); everything after that, a timeout included,
/// is in the result.
[[nodiscard]] result<command_result> run_command(const std::vector<std::string>& argv,
                                                 const command_options& options = {});

}  // namespace ksearch::bench
