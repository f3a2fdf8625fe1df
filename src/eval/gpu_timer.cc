#include "ksearch/eval/gpu_timer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

namespace ksearch::eval {
namespace {

using wall_clock = std::chrono::steady_clock;

double ms_since(wall_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(wall_clock::now() - start).count();
}

std::string describe_method(bool flush_l2, std::size_t flush_bytes) {
  std::string method = "CUDA events around each call on one stream";
  if (!flush_l2) return method + ", warm L2 (no flush)";
  char size[32];
  std::snprintf(size, sizeof size, "%zu MiB", flush_bytes >> 20);
  return method + ", cold L2 (" + size + " cuMemsetD8Async before each call, outside the events)";
}

}  // namespace

result<gpu_timer> gpu_timer::create(const cuda_driver& driver, std::size_t l2_bytes) {
  auto stream = cuda_stream::create(driver, CU_STREAM_NON_BLOCKING);
  if (!stream) return std::unexpected(std::move(stream.error()));
  auto start = cuda_event::create(driver);
  if (!start) return std::unexpected(std::move(start.error()));
  auto stop = cuda_event::create(driver);
  if (!stop) return std::unexpected(std::move(stop.error()));
  auto flush_buffer = device_buffer::allocate(driver, std::max(2 * l2_bytes, kMinFlushBytes));
  if (!flush_buffer) return std::unexpected(std::move(flush_buffer.error()));
  return gpu_timer(&driver, std::move(*stream), std::move(*start), std::move(*stop), std::move(*flush_buffer));
}

result<void> gpu_timer::flush() {
  flush_value_ ^= 1;
  // Queued on the timing stream: it completes before the start event, and the GPU is still busy
  // with it while the host submits the launch, so submission latency stays out of the sample.
  KSEARCH_CU_TRY(*driver_, cuMemsetD8Async, flush_buffer_.get(), flush_value_, flush_buffer_.size(), stream_.get());
  return {};
}

result<double> gpu_timer::sample(const std::function<result<void>(CUstream)>& launch, bool flush_l2) {
  if (flush_l2) {
    if (auto flushed = flush(); !flushed) return std::unexpected(std::move(flushed.error()));
  }
  if (auto recorded = start_.record(stream_.get()); !recorded) return std::unexpected(std::move(recorded.error()));
  if (auto launched = launch(stream_.get()); !launched) {
    // Drain what was queued before the failure so the next measurement starts on an idle stream.
    static_cast<void>(stream_.synchronize());
    return std::unexpected(std::move(launched.error()));
  }
  if (auto recorded = stop_.record(stream_.get()); !recorded) return std::unexpected(std::move(recorded.error()));
  if (auto finished = stop_.synchronize(); !finished) return std::unexpected(std::move(finished.error()));
  auto elapsed = cuda_event::elapsed_ms(start_, stop_);
  if (!elapsed) return std::unexpected(std::move(elapsed.error()));
  return static_cast<double>(*elapsed);
}

result<timing_run> gpu_timer::measure(const std::function<result<void>(CUstream)>& launch,
                                      const criterion_params& criterion, bool flush_l2,
                                      const warmup_params& warmup) {
  timing_run run;
  run.l2_flushed = flush_l2;
  run.method = describe_method(flush_l2, flush_buffer_.size());

  // 1. Warm-up, timed the same way so that it also warms the flush path.
  const auto warmup_start = wall_clock::now();
  double warmup_gpu_ms = 0;
  while (true) {
    auto ms = sample(launch, flush_l2);
    if (!ms) return std::unexpected(std::move(ms.error()));
    ++run.warmup_calls;
    warmup_gpu_ms += *ms;
    const bool enough = run.warmup_calls >= warmup.min_calls && warmup_gpu_ms >= warmup.min_gpu_ms;
    if (enough || ms_since(warmup_start) >= warmup.max_wall_ms) break;
  }

  // 2. Samples until the criterion stops them.
  auto stopper = make_criterion(criterion);
  const auto sampling_start = wall_clock::now();
  while (true) {
    auto ms = sample(launch, flush_l2);
    if (!ms) return std::unexpected(std::move(ms.error()));
    run.samples_ms.push_back(*ms);
    stopper->add(*ms);
    if (stopper->is_finished(ms_since(sampling_start))) break;
  }
  run.wall_ms = ms_since(sampling_start);

  // 3. Summary.
  run.summary = summarize(run.samples_ms);
  run.summary.stop_reason = stopper->stop_reason();
  return run;
}

}  // namespace ksearch::eval
