#include "ksearch/eval/gpu_timer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "ksearch/eval/nvrtc_compiler.h"

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
  return method + ", cold L2 (" + size + " read through L2 before each call, outside the events)";
}

// Reads every 8-byte word through L2 (ld.global.cg), which leaves L2 holding clean lines of this
// buffer only. The comparison keeps the loads alive; it practically never writes.
constexpr const char* flush_source = R"(
extern "C" __global__ void ksearch_l2_flush(const unsigned long long* __restrict__ data, unsigned long long n,
                                           unsigned long long* sink) {
  unsigned long long acc = 0;
  const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
  for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n; i += stride) {
    acc ^= __ldcg(data + i);
  }
  if (acc == 0x9e3779b97f4a7c15ULL) *sink = acc;
}
)";
constexpr unsigned flush_blocks = 2048;
constexpr unsigned flush_threads = 256;

}  // namespace

result<gpu_timer> gpu_timer::create(const cuda_driver& driver, std::size_t l2_bytes, const std::string& arch) {
  auto stream = cuda_stream::create(driver, CU_STREAM_NON_BLOCKING);
  if (!stream) return std::unexpected(std::move(stream.error()));
  auto start = cuda_event::create(driver);
  if (!start) return std::unexpected(std::move(start.error()));
  auto stop = cuda_event::create(driver);
  if (!stop) return std::unexpected(std::move(stop.error()));
  auto flush_buffer = device_buffer::allocate(driver, std::max(2 * l2_bytes, kMinFlushBytes));
  if (!flush_buffer) return std::unexpected(std::move(flush_buffer.error()));
  // Defined contents once; the flushes only read them.
  KSEARCH_CU_TRY(driver, cuMemsetD8, flush_buffer->get(), 0x5A, flush_buffer->size());
  auto sink = device_buffer::allocate(driver, sizeof(unsigned long long));
  if (!sink) return std::unexpected(std::move(sink.error()));
  auto compiled = compile_cuda({.source = flush_source, .file_name = "ksearch_l2_flush.cu", .arch = arch, .extra_options = {}});
  if (!compiled) return std::unexpected(std::move(compiled.error()));
  auto module = cuda_module::load(driver, compiled->cubin);
  if (!module) return std::unexpected(std::move(module.error()));
  auto kernel = module->function("ksearch_l2_flush");
  if (!kernel) return std::unexpected(std::move(kernel.error()));
  return gpu_timer(&driver, std::move(*stream), std::move(*start), std::move(*stop), std::move(*flush_buffer),
                   std::move(*sink), std::move(*module), *kernel);
}

result<void> gpu_timer::flush() {
  // Queued on the timing stream: it completes before the start event, and the GPU is still busy
  // with it while the host submits the launch, so submission latency stays out of the sample.
  CUdeviceptr data = flush_buffer_.get();
  unsigned long long words = flush_buffer_.size() / sizeof(unsigned long long);
  CUdeviceptr sink = sink_.get();
  void* params[] = {&data, &words, &sink};
  KSEARCH_CU_TRY(*driver_, cuLaunchKernel, flush_kernel_, flush_blocks, 1, 1, flush_threads, 1, 1, 0, stream_.get(),
                 params, nullptr);
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
                                      const warmup_params& warmup, const between_samples_fn& between) {
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
  std::string stopped_between;
  while (true) {
    if (between) {
      auto go_on = between(run.samples_ms.size());
      if (!go_on) return std::unexpected(std::move(go_on.error()));
      if (!*go_on) {
        stopped_between = "stopped by the check between samples after " + std::to_string(run.samples_ms.size()) + " samples";
        break;
      }
    }
    auto ms = sample(launch, flush_l2);
    if (!ms) return std::unexpected(std::move(ms.error()));
    run.samples_ms.push_back(*ms);
    stopper->add(*ms);
    if (stopper->is_finished(ms_since(sampling_start))) break;
  }
  run.wall_ms = ms_since(sampling_start);

  // 3. Summary.
  run.summary = summarize(run.samples_ms);
  run.summary.stop_reason = stopped_between.empty() ? stopper->stop_reason() : stopped_between;
  return run;
}

}  // namespace ksearch::eval
