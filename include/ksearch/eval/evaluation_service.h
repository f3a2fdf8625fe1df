// ksearch/eval/evaluation_service.h — evaluations run in an isolated worker process.
//
// The service owns one worker (`ksearch __worker`, see src/cli/cmd_worker.cc) for one GPU and
// sends it evaluation requests. Whatever a candidate does to the worker becomes a result, never
// the caller's problem: a watchdog timeout is TIMEOUT, a crash (illegal address, trap, abort) is
// RUNTIME_ERROR with the worker's last output, and the next request runs in a fresh worker. After
// any RUNTIME_ERROR the worker is replaced too, since a CUDA fault poisons its context for good.
// An error is returned only for harness failures (no GPU, a broken reference).
//
// Thread-safety: one thread at a time per service.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/eval_result.h"
#include "ksearch/eval/evaluator.h"

namespace ksearch::eval {

struct evaluation_service_options {
  std::vector<std::string> worker_argv;           // empty: this executable with "__worker"
  int device = 0;                                 // CUDA device ordinal inside the worker
  std::chrono::milliseconds timeout{300'000};     // per evaluation request (FlashInfer's default)
};

class evaluation_service {
 public:
  [[nodiscard]] static result<std::unique_ptr<evaluation_service>> create(evaluation_service_options options);
  ~evaluation_service();
  evaluation_service(const evaluation_service&) = delete;
  evaluation_service& operator=(const evaluation_service&) = delete;

  [[nodiscard]] result<eval_result> evaluate(const eval_request& request);
  /// Worker processes started so far beyond the first (crashes, timeouts, faults).
  [[nodiscard]] int restarts() const;

 private:
  struct state;
  explicit evaluation_service(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

}  // namespace ksearch::eval
