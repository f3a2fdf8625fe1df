// ksearch/eval/isolation/worker_process.h — the parent side of an isolated worker: spawn, call with a
// watchdog, kill, restart.
//
// Every candidate is evaluated in a child process, because an illegal address or a trap poisons
// the CUDA context for good and a kernel can hang forever. A worker_process owns one child that
// speaks the protocol of worker_protocol.h and keeps the search's state safe from it:
//   - call() sends one request and waits for its reply with a deadline. Past the deadline the
//     child's whole process group is SIGKILLed and reaped (worker_failure::timeout); a child that
//     dies mid-call is reaped and reported with its exit code or signal (worker_failure::crashed).
//     Either way the next call() starts a fresh process first, so the caller just keeps calling.
//   - The child's stdout and stderr are drained while waiting (a child printing in a loop never
//     blocks on a full pipe) into a ring buffer of the last few KB, which every failure carries.
//   - The command is an argv the caller chooses: the ksearch binary in worker mode, or the same
//     behind a launcher (`srun -u --gres=gpu:1 ...`, `ssh host ...`) with worker_channel::stdio.
//     Extra environment entries (CUDA_VISIBLE_DEVICES for one worker per GPU) and a working
//     folder are per worker.
//
// The child is started in its own process group (so killing it takes its grandchildren along),
// with default signal dispositions and an empty signal mask, no other descriptors of the parent,
// and stdin on /dev/null (inherited_fds channel). Writes to the child never raise SIGPIPE in the
// parent: the write path blocks it for the calling thread and reports EPIPE as the child's death.
// No threads are started. The parent must not reap children it did not start with waitpid(-1)
// (or ignore SIGCHLD), or the exit status is lost; that is reported as an unknown status.
//
// Thread-safety: one worker_process is used by one thread at a time; separate objects may be
// used from separate threads (one worker per GPU).
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/eval/isolation/worker_protocol.h"

namespace ksearch::eval {

/// Why a call did not return a result. The evaluator maps timeout to TIMEOUT and crashed to
/// RUNTIME_ERROR.
enum class worker_failure {
  start_failed,   // the process could not be started or did not answer ping; nothing was sent
  timeout,        // no reply before the deadline; the process group was killed
  crashed,        // the process died (or closed its channel) before replying
  protocol,       // an unreadable, oversized or mismatched reply: the process was killed; or a
                  // request over max_message_bytes, refused before sending: the worker stays up
  handler_error,  // the handler answered {"ok": false}; the worker is fine and keeps running
};

/// "start_failed", "timeout", "crashed", "protocol", "handler_error".
[[nodiscard]] std::string_view to_string(worker_failure kind);

struct worker_error {
  worker_failure kind = worker_failure::crashed;
  error detail;             // subject names the worker and the request: "worker pid 12, request 3 'run'"
  std::string output_tail;  // the child's last stdout+stderr bytes (at most output_tail_bytes)
  int exit_code = -1;       // crashed: the code it exited with, -1 when it did not exit normally
  int signal = 0;           // crashed: the signal that killed it (SIGSEGV, SIGABRT, ...), 0 when none

  /// detail.to_string() plus the output tail when there is one.
  [[nodiscard]] std::string to_string() const;
};

template <class T>
using worker_result = std::expected<T, worker_error>;

/// How requests and replies travel between the parent and the child.
enum class worker_channel {
  inherited_fds,  // two extra pipes as the child's fds 3 (requests) and 4 (replies); stdout and
                  // stderr are captured. KSEARCH_WORKER_FDS=3,4.
  stdio,          // the child's stdin/stdout carry the protocol, stderr is captured; for launchers
                  // that pass no descriptors. KSEARCH_WORKER_FDS=stdio (ssh drops it: put
                  // `--protocol stdio` or equivalent in the remote command).
};

struct worker_options {
  std::vector<std::string> argv;           // argv[0]: a path, or a name looked up in PATH
  std::map<std::string, std::string> env;  // set in the child (an empty value sets it empty)
  std::vector<std::string> unset_env;      // removed from the child's environment
  std::filesystem::path working_dir;       // empty: the parent's
  worker_channel channel = worker_channel::inherited_fds;
  std::chrono::milliseconds start_timeout{10'000};  // spawn until the ping reply (each (re)start)
  std::chrono::milliseconds exit_grace{500};        // after EOF, wait this long for the child to exit
                                                    // before SIGKILL (stop(), a closed channel)
  std::size_t output_tail_bytes = 4096;             // ring buffer size for the child's output
  std::size_t max_message_bytes = max_worker_message_bytes;  // largest request or reply
  /// Optional: every chunk of the child's stdout/stderr as it is drained (for example to log
  /// it). Called from inside call(), start() and stop() on the calling thread.
  std::function<void(std::string_view)> on_output;
};

class worker_process {
 public:
  /// Spawns the child and waits for its ping reply (start_timeout). Fails with start_failed:
  /// empty argv, executable not found, working_dir missing, spawn failing, a child that exits,
  /// hangs or answers with another protocol version.
  [[nodiscard]] static worker_result<worker_process> start(worker_options options);

  /// Closes the request channel (the worker's loop ends), waits up to exit_grace, then SIGKILLs
  /// the process group and reaps it.
  ~worker_process();
  worker_process(worker_process&& other) noexcept;
  worker_process& operator=(worker_process&& other) noexcept;
  worker_process(const worker_process&) = delete;
  worker_process& operator=(const worker_process&) = delete;

  /// Sends `request` (a JSON object with a string "type"; "id" is assigned here) and returns the
  /// reply's "result". `timeout` covers sending and waiting, not a restart: a worker that is dead
  /// (after a failure or stop(), or found dead when the call begins) is replaced first, within
  /// start_timeout, and a failed restart returns start_failed. After timeout, crashed and protocol
  /// failures the worker is dead until the next call; handler_error leaves it running. Throws
  /// std::invalid_argument for a request that is not an object with a string "type" (a caller bug)
  /// and std::logic_error on a moved-from object.
  [[nodiscard]] worker_result<worker_message> call(const worker_message& request, std::chrono::milliseconds timeout);

  /// Ends the child as the destructor does; the next call() starts a new one.
  void stop() noexcept;

  /// True while a child is running and no failure was seen since it started (a child that died
  /// while idle is only noticed by the next call()).
  [[nodiscard]] bool alive() const;
  /// How many times a fresh process replaced a dead one (the first start is not counted).
  [[nodiscard]] int restarts() const;
  /// The child's process id (the launcher's, behind a prefix); 0 when none is running.
  [[nodiscard]] int pid() const;
  /// The last output_tail_bytes of the current (or last dead) child's stdout+stderr, cut to start
  /// at a UTF-8 character boundary. Cleared when a new child starts.
  [[nodiscard]] std::string recent_output() const;

 private:
  struct state;
  explicit worker_process(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;  // null after a move
};

}  // namespace ksearch::eval
