// ksearch/eval/isolation/evaluation_pool.h — one evaluation worker per GPU, a candidate's workloads spread
// over them.
//
// The pool owns an evaluation_service (eval/isolation/evaluation_service.h) per device; the workers are
// shared by every evaluate() call. A call hands its request's workloads out one at a time, in
// order: each of its threads (one per worker, at most one per workload) claims a free worker,
// takes the next workload, runs it and gives the worker back (workloads differ in cost by orders
// of magnitude, so a fixed deal would leave GPUs idle). It starts no new workload once one has
// failed, and merges the results in the request's workload order: the first failing workload in
// that order gives the status, as one worker would have reported it (a failure before any
// workload ran, a compile error, comes first). A call that holds no worker goes first when one
// is freed, so candidates evaluated at the same time each get a GPU before one gets a second. A
// thread takes the worker it ran on last when that one is free: a worker keeps the reference's
// and the candidate's cubins between workloads, so mostly only its first one compiles. A worker
// runs one thing at a time and times only on its own GPU, so timing stays serialised per device.
// With one device the pool is exactly one service, which concurrent calls take in turn.
//
// Workers on other hosts: `worker.launcher` prefixes the worker command, e.g.
// {"srun", "-u", "--gres=gpu:1", "--ntasks=1"} inside a Slurm allocation; the worker speaks the same
// protocol over stdin/stdout whatever starts it. Each such worker sees its own GPU as device 0.
//
// Progress lines of all workers go to `worker.on_progress`, one at a time (the pool serialises
// the calls), prefixed with "gpu N: " when there is more than one worker.
//
// Thread-safety: evaluate() and usage() may be called from several threads at once; a call starts
// and joins its own threads. worker() is for diagnostics and tests: its service must not be used
// while the pool evaluates. The pool must outlive every call in progress.
#pragma once

#include <memory>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/eval_request.h"
#include "ksearch/eval/eval_result.h"
#include "ksearch/eval/isolation/evaluation_service.h"

namespace ksearch::eval {

struct evaluation_pool_options {
  evaluation_service_options worker;  // every worker's settings; its device is replaced per worker
  std::vector<int> devices;           // one worker per entry; empty: one worker on worker.device
};

/// How busy one worker was, for the throughput benchmark.
struct worker_usage {
  int device = 0;
  double busy_ms = 0;  // wall time spent inside its evaluations
  int evaluations = 0;
  int restarts = 0;    // as of the end of its last evaluation
};

class evaluation_pool {
 public:
  /// Starts every worker; an error names the device whose worker could not start.
  [[nodiscard]] static result<std::unique_ptr<evaluation_pool>> create(evaluation_pool_options options);
  ~evaluation_pool();
  evaluation_pool(const evaluation_pool&) = delete;
  evaluation_pool& operator=(const evaluation_pool&) = delete;

  [[nodiscard]] result<eval_result> evaluate(const eval_request& request);
  [[nodiscard]] std::size_t size() const;
  /// Counted as each workload ends: workloads still running are not in it yet.
  [[nodiscard]] std::vector<worker_usage> usage() const;
  /// Worker `index`'s service (diagnostics and tests).
  [[nodiscard]] evaluation_service& worker(std::size_t index);

 private:
  struct state;
  explicit evaluation_pool(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

/// Merges the shares' results into one (see the file comment): share_indices[s][j] is the request's
/// index of workload j of share s; shares are given in request order. Exposed for tests.
[[nodiscard]] eval_result merge_shares(const std::vector<eval_result>& shares,
                                       const std::vector<std::vector<std::size_t>>& share_indices);

}  // namespace ksearch::eval
