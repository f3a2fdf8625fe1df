// ksearch/eval/isolation/evaluation_service.h — evaluations run in an isolated worker process.
//
// The service owns one worker (`ksearch __worker`, see src/cli/cmd_worker.cc) for one GPU and
// sends it evaluation requests. Whatever a candidate does to the worker becomes a result, never
// the caller's problem: a watchdog timeout is TIMEOUT, a crash (illegal address, trap, abort) is
// RUNTIME_ERROR with the worker's last output, and the next request runs in a fresh worker. After
// any RUNTIME_ERROR the worker is replaced too, since a CUDA fault poisons its context for good.
// A worker killed from outside (SIGKILL, SIGTERM, SIGHUP: an operator, the OOM killer, a
// scheduler's preemption; a kernel cannot send signals) did not fail the candidate: the request is
// run again once in a fresh worker, so the round is not lost.
// An error is returned only for harness failures (no GPU, a broken reference).
// While a worker evaluates, it reports its steps on stderr (progress lines, eval/evaluator.h);
// the service hands them to on_progress, for a front end to show.
//
// Thread-safety: one thread at a time per service.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/eval_request.h"
#include "ksearch/eval/eval_result.h"

namespace ksearch::eval {

struct evaluation_service_options {
  std::vector<std::string> worker_argv;           // empty: this executable with "__worker --device N"
  std::vector<std::string> launcher;              // a command the worker is started through, e.g.
                                                  // {"srun", "-u", "--gres=gpu:1", "--ntasks=1"}; empty:
                                                  // directly. With a launcher the protocol runs over the
                                                  // worker's stdin/stdout (worker_channel::stdio)
  int device = 0;                                 // CUDA device ordinal inside the worker
  std::chrono::milliseconds timeout{300'000};     // per evaluation request (FlashInfer's default)
  /// Optional: the text of each progress line of the worker ("compiling", "workload 2/5 <uuid>"),
  /// as it comes. Called on the calling thread from inside create(), evaluate() and the destructor.
  std::function<void(std::string_view)> on_progress;
};

/// Picks the progress lines out of a worker's output, which arrives in chunks that may cut lines
/// anywhere: for each complete line starting with progress_marker, calls `on_progress` with the
/// rest of the line (without the '\n'). Other output is skipped, and not kept: a line is dropped
/// as soon as it cannot be a progress line or grows past max_line_bytes.
class progress_line_scanner {
 public:
  static constexpr std::size_t max_line_bytes = 4096;

  explicit progress_line_scanner(std::function<void(std::string_view)> on_progress)
      : on_progress_(std::move(on_progress)) {}
  void feed(std::string_view chunk);

 private:
  std::function<void(std::string_view)> on_progress_;
  std::string line_;       // the current line so far, while it may be a progress line
  bool skipping_ = false;  // the current line is not one: ignore it up to its '\n'
};

/// `output` without its progress lines (a failure's log keeps what the candidate and the harness
/// printed, not which workload was running).
[[nodiscard]] std::string without_progress_lines(std::string_view output);

class evaluation_service {
 public:
  [[nodiscard]] static result<std::unique_ptr<evaluation_service>> create(evaluation_service_options options);
  ~evaluation_service();
  evaluation_service(const evaluation_service&) = delete;
  evaluation_service& operator=(const evaluation_service&) = delete;

  [[nodiscard]] result<eval_result> evaluate(const eval_request& request);
  /// Worker processes started so far beyond the first (crashes, timeouts, faults).
  [[nodiscard]] int restarts() const;
  /// The running worker's process id, 0 when none runs (for diagnostics and tests).
  [[nodiscard]] int worker_pid() const;

 private:
  struct state;
  explicit evaluation_service(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

}  // namespace ksearch::eval
