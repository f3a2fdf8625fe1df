#include "ksearch/eval/gpu/gpu_timer.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include "ksearch/common/elapsed.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"

namespace ksearch::eval {
namespace {

using wall_clock = std::chrono::steady_clock;

std::string describe_method(bool cupti, bool flush_l2, std::size_t flush_bytes) {
  std::string method = cupti ? "CUPTI activity timestamps of each call's GPU work (CUDA events alongside)"
                             : "CUDA events around each call on one stream";
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

result<gpu_timer::sample_times> gpu_timer::sample(const std::function<result<void>(CUstream)>& launch, bool flush_l2,
                                                  activity_recording* recording) {
  if (flush_l2) {
    if (auto flushed = flush(); !flushed) return std::unexpected(std::move(flushed.error()));
  }
  if (auto recorded = start_.record(stream_.get()); !recorded) return std::unexpected(std::move(recorded.error()));
  sample_times times;
  // A CUPTI error is the harness's, never the candidate's: the call is then read from the events.
  if (recording != nullptr) {
    if (auto opened = recording->open_call()) {
      times.call = *opened;
    } else {
      times.cupti_error = opened.error().to_string();
    }
  }
  auto launched = launch(stream_.get());
  if (recording != nullptr && times.cupti_error.empty()) {
    if (auto closed = recording->close_call(); !closed) times.cupti_error = closed.error().to_string();
  }
  if (!launched) {
    // Drain what was queued before the failure so the next measurement starts on an idle stream.
    static_cast<void>(stream_.synchronize());
    return std::unexpected(std::move(launched.error()));
  }
  if (auto recorded = stop_.record(stream_.get()); !recorded) return std::unexpected(std::move(recorded.error()));
  if (auto finished = stop_.synchronize(); !finished) return std::unexpected(std::move(finished.error()));
  auto elapsed = cuda_event::elapsed_ms(start_, stop_);
  if (!elapsed) return std::unexpected(std::move(elapsed.error()));
  times.event_ms = static_cast<double>(*elapsed);
  return times;
}

result<timing_run> gpu_timer::measure(const std::function<result<void>(CUstream)>& launch,
                                      const criterion_params& criterion, bool flush_l2, timing_clock clock,
                                      const warmup_params& warmup, const between_samples_fn& between) {
  timing_run run;
  run.l2_flushed = flush_l2;
  std::string clock_note;  // why the samples are not read with `clock`: what stopped CUPTI
  std::optional<activity_recording> recording;
  if (clock == timing_clock::cupti) {
    auto started = activity_recording::start();
    if (started) {
      recording.emplace(std::move(*started));
    } else {
      clock_note = started.error().to_string();
    }
  }

  // 1. Warm-up, timed the same way so that it also warms the flush path. Its GPU time is read from
  //    the events: it only decides when the warm-up has done enough.
  const auto warmup_start = wall_clock::now();
  double warmup_gpu_ms = 0;
  while (true) {
    auto t = sample(launch, flush_l2, nullptr);
    if (!t) return std::unexpected(std::move(t.error()));
    ++run.warmup_calls;
    warmup_gpu_ms += t->event_ms;
    const bool enough = run.warmup_calls >= warmup.min_calls && warmup_gpu_ms >= warmup.min_gpu_ms;
    if (enough || ms_since(warmup_start) >= warmup.max_wall_ms) break;
  }

  // 2. Samples until the criterion stops them. CUPTI spans are read in batches (one buffer flush
  //    each, which costs tens of microseconds); a batch ends after 16 calls or 1 ms of GPU time, so
  //    the criterion overshoots by little. Calls taken past its stop are not counted, so a fixed
  //    sample count stays exact.
  auto stopper = make_criterion(criterion);
  const auto sampling_start = wall_clock::now();
  std::vector<sample_times> pending;
  double pending_ms = 0;
  bool finished = false;
  // Reads the pending calls on the clock in use and feeds them to the criterion, in order. The
  // first call CUPTI has no span for (a launch that queued nothing, lost records, a CUPTI error)
  // moves the whole measurement to the events, the samples already taken too.
  auto settle = [&]() {
    std::vector<activity_span> spans;
    std::string collect_error;
    if (recording) {
      std::vector<std::uint64_t> ids;
      for (const sample_times& t : pending) ids.push_back(t.call);
      auto collected = recording->collect(ids);
      if (collected) {
        spans = std::move(*collected);
      } else {
        collect_error = collected.error().to_string();
      }
    }
    for (std::size_t i = 0; i < pending.size() && !finished; ++i) {
      double ms = pending[i].event_ms;
      if (recording) {
        std::string why_not = !collect_error.empty()          ? collect_error
                              : !pending[i].cupti_error.empty() ? pending[i].cupti_error
                              : spans[i].activities == 0        ? "CUPTI reported no GPU work for a call"
                                                                : "";
        if (why_not.empty()) {
          ms = spans[i].milliseconds();
        } else {
          recording.reset();
          clock_note = std::move(why_not);
          run.samples_ms = run.event_samples_ms;
          stopper = make_criterion(criterion);
          for (double earlier : run.samples_ms) stopper->add(earlier);
        }
      }
      run.event_samples_ms.push_back(pending[i].event_ms);
      run.samples_ms.push_back(ms);
      stopper->add(ms);
      finished = stopper->is_finished(ms_since(sampling_start));
    }
    pending.clear();
    pending_ms = 0;
  };
  std::string stopped_between;
  while (!finished) {
    if (between) {
      auto go_on = between(run.samples_ms.size() + pending.size());
      if (!go_on) return std::unexpected(std::move(go_on.error()));
      if (!*go_on) {
        stopped_between = "stopped by the check between samples after " +
                          std::to_string(run.samples_ms.size() + pending.size()) + " samples";
        break;
      }
    }
    auto t = sample(launch, flush_l2, recording ? &*recording : nullptr);
    if (!t) return std::unexpected(std::move(t.error()));
    pending.push_back(*t);
    pending_ms += t->event_ms;
    if (!recording || pending.size() >= 16 || pending_ms >= 1.0) settle();
  }
  if (!pending.empty()) settle();
  run.wall_ms = ms_since(sampling_start);

  // 3. Summary.
  run.summary = summarize(run.samples_ms);
  run.summary.stop_reason = stopped_between.empty() ? stopper->stop_reason() : stopped_between;
  run.summary.clock = std::string(to_string(recording ? timing_clock::cupti : timing_clock::cuda_events));
  run.summary.clock_note = clock_note;
  run.summary.event_median_ms = summarize(run.event_samples_ms).median_ms;
  run.method = describe_method(recording.has_value(), flush_l2, flush_buffer_.size());
  if (!clock_note.empty()) run.method += "; read with CUDA events: " + clock_note;
  return run;
}

}  // namespace ksearch::eval
