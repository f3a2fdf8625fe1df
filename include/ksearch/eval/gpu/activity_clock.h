// ksearch/eval/gpu/activity_clock.h — reads each timed call's GPU time from CUPTI activity records.
//
// An activity_recording turns on CUPTI's activity records for kernels, memsets and copies (with
// the driver API records that carry external correlation ids) for as long as it lives. The timer
// brackets each call's launches with open_call()/close_call(), which push and pop an id of its
// own on the calling thread, then, once the calls' stream has been synchronised, collect() flushes
// CUPTI's buffers and returns each call's span (eval/gpu/activity_ledger.h): the GPU timestamps of its
// first activity's start and last activity's end. The L2 flush and anything else queued outside
// the bracket is not part of it.
//
// One recording per process at a time: CUPTI's activity state is global. start() fails when one
// is already open, when another tool holds CUPTI (Nsight Compute, Nsight Systems), or when the
// libcupti loaded at run time is not the version ksearch was built against (its record layouts
// would differ); the timer then reads CUDA events instead and says why.
// Contexts: records are collected for every context of the process.
// Thread-safety: open_call/close_call act on the calling thread's id stack; a recording is used by
// one thread at a time. CUPTI's buffer callbacks may run on its own thread; they lock.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/gpu/activity_ledger.h"

namespace ksearch::eval {

class activity_recording {
 public:
  /// Starts recording for this process. Error: see above (subject "CUPTI").
  [[nodiscard]] static result<activity_recording> start();
  ~activity_recording();
  activity_recording(activity_recording&& other) noexcept;
  activity_recording& operator=(activity_recording&&) = delete;
  activity_recording(const activity_recording&) = delete;
  activity_recording& operator=(const activity_recording&) = delete;

  /// Opens the next call: GPU work this thread queues until close_call() belongs to it.
  [[nodiscard]] result<std::uint64_t> open_call();
  [[nodiscard]] result<void> close_call();
  /// The spans of calls `ids`, in order, once their work has finished (the caller has synchronised
  /// their stream). One flush of CUPTI's buffers serves them all, so reading calls in batches is
  /// cheaper than one at a time.
  [[nodiscard]] result<std::vector<activity_span>> collect(std::span<const std::uint64_t> ids);

 private:
  activity_recording() = default;
  bool active_ = false;
};

}  // namespace ksearch::eval
