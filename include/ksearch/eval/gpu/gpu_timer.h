// ksearch/eval/gpu/gpu_timer.h — times GPU work on one stream, cold L2 by default.
//
// A gpu_timer owns what a measurement needs, as nvbench's cold measurement does: a non-blocking
// stream, one pair of events (reused: every sample is waited for before the next starts) and an
// L2 flush buffer of max(2 x L2, 256 MiB), the size FlashInfer, Triton and KernelBench overwrite.
// measure() runs
//   1. warm-up: calls until warmup_params say enough (count and GPU time, capped in wall time),
//      so module loading, first-touch and clock ramp-up stay out of the numbers;
//   2. samples: [flush L2] -> start event -> launch(stream) -> stop event -> wait -> read,
//      until the stopping criterion (eval/gpu/timing_stats.h) says stop;
//   3. the summary (mean, median, noise, ...) with the criterion's stop reason and the clock.
// Each sample is read with the clock asked for (eval/gpu/timing_clock.h). With cupti, the launches are
// also bracketed by a CUPTI call id (eval/gpu/activity_clock.h) and the sample is the span of the GPU
// work they queued; the events are read too and their median reported beside it, so the front
// end's share of a short call stays visible. When CUPTI cannot record, or reports nothing for a
// call, the whole measurement is read from the events and the summary says why.
// The flush is a kernel that reads the whole buffer through L2, queued on the timing stream just
// before the start event, outside the events; the GPU is still busy with it while the host submits
// the launch, so submission latency stays out of the sample too (as with Triton's do_bench). It
// reads rather than writes (FlashInfer and Triton zero the buffer) because a written buffer leaves
// L2 full of dirty lines whose write-back then lands inside the next sample: on an H200 that made
// a 16 us memory-bound kernel read 30% slower than Nsight Compute's gpu__time_duration.
// Only work queued on the stream handed to `launch` is inside the events; the CUPTI span takes
// any work the launch queued, on any stream.
//
// Contexts: the context current when create() is called must be current on the calling thread for
// every call, and the timer must be destroyed before that context is released.
// Thread-safety: a gpu_timer is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/gpu/activity_clock.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/detail/driver_api.h"
#include "ksearch/eval/gpu/driver_handles.h"
#include "ksearch/eval/gpu/timing_clock.h"
#include "ksearch/eval/gpu/timing_stats.h"

namespace ksearch::eval {

struct warmup_params {
  std::size_t min_calls = 3;
  double min_gpu_ms = 10;     // keep warming up until the calls add up to this much GPU time
  double max_wall_ms = 1000;  // but never longer than this (after at least one call)
};

struct timing_run {
  timing_summary summary;                // statistics of samples_ms, with the stop reason and the clock
  std::vector<double> samples_ms;        // every sample, in the order taken, read with summary.clock [ms]
  std::vector<double> event_samples_ms;  // the same calls read with CUDA events [ms]
  bool l2_flushed = false;
  std::size_t warmup_calls = 0;
  double wall_ms = 0;              // wall time of the sampling phase [milliseconds]
  std::string method;              // how the samples were taken, for the record
};

/// Work between samples, outside the timed region: called after the warm-up and after each
/// sample has finished, with the index of the sample about to be taken. Returns false to stop
/// sampling there (GPUMode's recheck mode draws fresh inputs and checks the last output here).
using between_samples_fn = std::function<result<bool>(std::size_t next_sample)>;

class gpu_timer {
 public:
  static constexpr std::size_t kMinFlushBytes = std::size_t{256} << 20;

  /// Creates the stream, the events, the flush buffer (max(2 * l2_bytes, 256 MiB)) and the flush
  /// kernel (compiled with NVRTC for `arch`) in the current context.
  [[nodiscard]] static result<gpu_timer> create(const cuda_driver& driver, std::size_t l2_bytes, const std::string& arch);

  /// Times `launch`, which must queue its work on the stream it is given and not synchronise it,
  /// reading each sample with `clock` (falling back to CUDA events, see above).
  /// An error from `launch` (or from the work it queued, seen when the stop event is waited for)
  /// aborts the measurement and is returned as is.
  /// `between`, when set, runs before each sample (see between_samples_fn); its time is outside
  /// the samples but inside the criterion's wall-clock budget. An error from it aborts the
  /// measurement; false ends it with the samples taken so far.
  [[nodiscard]] result<timing_run> measure(const std::function<result<void>(CUstream)>& launch,
                                           const criterion_params& criterion, bool flush_l2,
                                           timing_clock clock = timing_clock::cupti, const warmup_params& warmup = {},
                                           const between_samples_fn& between = {});

  /// The stream measure() hands to `launch`, for untimed work that must be ordered with it.
  [[nodiscard]] CUstream stream() const { return stream_.get(); }
  [[nodiscard]] std::size_t flush_bytes() const { return flush_buffer_.size(); }

 private:
  gpu_timer(const cuda_driver* driver, cuda_stream stream, cuda_event start, cuda_event stop,
            device_buffer flush_buffer, device_buffer sink, cuda_module flush_module, CUfunction flush_kernel)
      : driver_(driver),
        stream_(std::move(stream)),
        start_(std::move(start)),
        stop_(std::move(stop)),
        flush_buffer_(std::move(flush_buffer)),
        sink_(std::move(sink)),
        flush_module_(std::move(flush_module)),
        flush_kernel_(flush_kernel) {}

  struct sample_times {
    double event_ms = 0;
    std::uint64_t call = 0;  // its CUPTI call id when `recording` was given, to collect its span with
    std::string cupti_error;  // CUPTI refused to bracket the call: it is read from the events
  };
  /// One timed call, with the flush before it when `flush_l2`, bracketed by a CUPTI call id when
  /// `recording` is set. Errors are the launch's or the events'; CUPTI's go to cupti_error.
  [[nodiscard]] result<sample_times> sample(const std::function<result<void>(CUstream)>& launch, bool flush_l2,
                                            activity_recording* recording);
  [[nodiscard]] result<void> flush();

  const cuda_driver* driver_ = nullptr;
  cuda_stream stream_;
  cuda_event start_;
  cuda_event stop_;
  device_buffer flush_buffer_;
  device_buffer sink_;        // where the flush kernel would write its (never used) checksum
  cuda_module flush_module_;  // holds flush_kernel_
  CUfunction flush_kernel_ = nullptr;
};

}  // namespace ksearch::eval
