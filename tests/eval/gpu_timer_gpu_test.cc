// Needs a CUDA device; skips with the reason where there is none.
#include "ksearch/eval/gpu/gpu_timer.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <type_traits>

#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/driver_handles.h"

#include "support/gpu_fixture.h"

namespace ksearch::eval {
namespace {

static_assert(std::is_nothrow_move_constructible_v<gpu_timer>);
static_assert(!std::is_copy_constructible_v<gpu_timer>);

// spin_ns waits on the global timer (nanoseconds, independent of the SM clock); spin_cycles on the
// SM clock; read_all reads n floats (so that the data lands in L2) and writes a value that depends
// on them, so the loads cannot be dropped.
constexpr const char* kKernels = R"(
extern "C" __global__ void spin_ns(unsigned long long duration_ns) {
  unsigned long long start, now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (now - start < duration_ns);
}

extern "C" __global__ void spin_cycles(long long cycles) {
  const long long start = clock64();
  while (clock64() - start < cycles) {
  }
}

extern "C" __global__ void empty_kernel() {}

extern "C" __global__ void read_all(const float4* data, unsigned long long n4, float* out) {
  float sum = 0.f;
  for (unsigned long long i = blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += gridDim.x * blockDim.x) {
    const float4 v = data[i];
    sum += v.x + v.y + v.z + v.w;
  }
  if (sum == 12345.f) *out = sum;
}
)";

class GpuTimerGpu : public test_support::gpu_context_fixture {
 protected:
  void SetUp() override {
    gpu_context_fixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto device = driver_->describe_device(0);
    ASSERT_TRUE(device.has_value()) << device.error().to_string();
    device_ = *device;
    auto compiled = compile_cuda({.source = kKernels, .file_name = "gpu_timer_test.cu", .arch = device_.nvrtc_arch(),
                                  .extra_options = {}});
    ASSERT_TRUE(compiled.has_value()) << compiled.error().to_string();
    auto loaded = cuda_module::load(*driver_, compiled->cubin);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
    module_.emplace(std::move(*loaded));
    auto timer = gpu_timer::create(*driver_, device_.l2_bytes, device_.nvrtc_arch());
    ASSERT_TRUE(timer.has_value()) << timer.error().to_string();
    timer_.emplace(std::move(*timer));
  }

  void TearDown() override {
    timer_.reset();
    module_.reset();
    gpu_context_fixture::TearDown();
  }

  [[nodiscard]] CUfunction kernel(const char* name) const {
    auto function = module_->function(name);
    EXPECT_TRUE(function.has_value()) << function.error().to_string();
    return function.value_or(nullptr);
  }

  // A launch callback for `function` on one block of `threads` threads (or `blocks` blocks) with
  // `params`.
  [[nodiscard]] std::function<result<void>(CUstream)> launcher(CUfunction function, void** params,
                                                                unsigned int blocks = 1,
                                                                unsigned int threads = 1) const {
    return [this, function, params, blocks, threads](CUstream stream) -> result<void> {
      KSEARCH_CU_TRY(*driver_, cuLaunchKernel, function, blocks, 1, 1, threads, 1, 1, 0, stream, params, nullptr);
      return {};
    };
  }

  static void print(const char* what, const timing_run& run) {
    std::cout << "[ timing   ] " << what << ": median " << run.summary.median_ms << " ms, mean "
              << run.summary.mean_ms << " ms, noise " << run.summary.rel_noise * 100 << "%, "
              << run.summary.samples << " samples, " << run.warmup_calls << " warm-up calls; "
              << run.summary.stop_reason << "\n             clock " << run.summary.clock << ", events median "
              << run.summary.event_median_ms << " ms; " << run.method << "\n";
  }

  device_info device_;
  std::optional<cuda_module> module_;
  std::optional<gpu_timer> timer_;
};

TEST_F(GpuTimerGpu, SpinKernelTimeIsPlausibleAndQuiet) {
  unsigned long long duration_ns = 1'000'000;  // 1 ms
  void* params[] = {&duration_ns};
  auto run = timer_->measure(launcher(kernel("spin_ns"), params), criterion_params{}, /*flush_l2=*/true);
  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  print("spin 1 ms", *run);
  EXPECT_TRUE(run->l2_flushed);
  EXPECT_GE(run->warmup_calls, 3u);
  EXPECT_EQ(run->samples_ms.size(), run->summary.samples);
  EXPECT_GE(run->summary.samples, 10u);
  EXPECT_GE(run->summary.median_ms, 0.99);
  EXPECT_LT(run->summary.median_ms, 1.15);
  EXPECT_LT(run->summary.rel_noise, 0.02);
  EXPECT_TRUE(run->summary.stop_reason.starts_with("noise ")) << run->summary.stop_reason;
  EXPECT_GE(timer_->flush_bytes(), gpu_timer::kMinFlushBytes);
  EXPECT_GE(timer_->flush_bytes(), 2 * device_.l2_bytes);
}

TEST_F(GpuTimerGpu, ClockSpinIsNoFasterThanTheTopClockAllows) {
  int clock_khz = 0;
  ASSERT_EQ(driver_->api().cuDeviceGetAttribute(&clock_khz, CU_DEVICE_ATTRIBUTE_CLOCK_RATE, context_->device()),
            CUDA_SUCCESS);
  ASSERT_GT(clock_khz, 0);
  long long cycles = 2'000'000;
  void* params[] = {&cycles};
  auto run = timer_->measure(launcher(kernel("spin_cycles"), params), criterion_params{}, true);
  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  print("spin 2M cycles", *run);
  // The attribute is the top clock: the spin cannot be faster than cycles / top clock, and at any
  // sane clock it is no more than three times slower.
  const double fastest_ms = static_cast<double>(cycles) / clock_khz;
  EXPECT_GE(run->summary.min_ms, 0.98 * fastest_ms);
  EXPECT_LT(run->summary.median_ms, 3 * fastest_ms);
  EXPECT_LT(run->summary.rel_noise, 0.05);
}

TEST_F(GpuTimerGpu, LaunchErrorAbortsTheMeasurementAndTheTimerStaysUsable) {
  int calls = 0;
  auto failing = [&calls](CUstream) -> result<void> {
    if (++calls == 5) return fail("plan step 2", "grid size 0");
    return {};
  };
  auto run = timer_->measure(failing, criterion_params{}, true);
  ASSERT_FALSE(run.has_value());
  EXPECT_EQ(run.error().subject, "plan step 2");
  EXPECT_EQ(run.error().problem, "grid size 0");
  EXPECT_EQ(calls, 5);

  void* no_params[] = {nullptr};
  auto after = timer_->measure(launcher(kernel("empty_kernel"), no_params), criterion_params::sample_count(5), true);
  ASSERT_TRUE(after.has_value()) << after.error().to_string();
  EXPECT_EQ(after->summary.samples, 5u);
}

TEST_F(GpuTimerGpu, FlushStaysOutsideTheSamples) {
  void* no_params[] = {nullptr};
  const auto empty = launcher(kernel("empty_kernel"), no_params);
  auto cold = timer_->measure(empty, criterion_params{}, /*flush_l2=*/true);
  ASSERT_TRUE(cold.has_value()) << cold.error().to_string();
  auto warm = timer_->measure(empty, criterion_params{}, /*flush_l2=*/false);
  ASSERT_TRUE(warm.has_value()) << warm.error().to_string();
  print("empty, flushed", *cold);
  print("empty, not flushed", *warm);
  // Overwriting >= 256 MiB takes over 50 us even at H200's 4.8 TB/s; an empty kernel a few us.
  EXPECT_LT(cold->summary.median_ms, 0.03);
  EXPECT_LT(warm->summary.median_ms, 0.03);
  EXPECT_FALSE(warm->l2_flushed);
  EXPECT_NE(cold->method.find("cold L2"), std::string::npos) << cold->method;
  EXPECT_NE(warm->method.find("warm L2"), std::string::npos) << warm->method;
}

TEST_F(GpuTimerGpu, FlushMakesTheNextReadComeFromMemory) {
  // Half the L2: resident after one read when nothing flushes it.
  const std::size_t bytes = (device_.l2_bytes / 2) & ~std::size_t{15};
  ASSERT_GT(bytes, 0u);
  auto data = device_buffer::allocate(*driver_, bytes);
  auto out = device_buffer::allocate(*driver_, sizeof(float));
  ASSERT_TRUE(data.has_value() && out.has_value());
  ASSERT_TRUE(data->fill(0).has_value());
  CUdeviceptr data_pointer = data->get();
  CUdeviceptr out_pointer = out->get();
  unsigned long long n4 = bytes / 16;
  void* params[] = {&data_pointer, &n4, &out_pointer};
  const auto read = launcher(kernel("read_all"), params, static_cast<unsigned int>(4 * device_.sm_count), 256);

  auto cold = timer_->measure(read, criterion_params{}, true);
  ASSERT_TRUE(cold.has_value()) << cold.error().to_string();
  auto warm = timer_->measure(read, criterion_params{}, false);
  ASSERT_TRUE(warm.has_value()) << warm.error().to_string();
  print("read L2/2, flushed", *cold);
  print("read L2/2, not flushed", *warm);
  EXPECT_GT(cold->summary.median_ms, warm->summary.median_ms);
}

TEST_F(GpuTimerGpu, GpumodeCriterionKeepsItsCaps) {
  unsigned long long duration_ns = 200'000;  // 0.2 ms
  void* params[] = {&duration_ns};
  auto run = timer_->measure(launcher(kernel("spin_ns"), params), criterion_params::gpumode(100), false);
  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  print("spin 0.2 ms, gpumode", *run);
  EXPECT_GE(run->summary.samples, 3u);
  EXPECT_LE(run->summary.samples, 100u);
  EXPECT_FALSE(run->summary.stop_reason.empty());
}

TEST_F(GpuTimerGpu, CuptiReadsTheKernelItselfAndTheEventsAddTheFrontEnd) {
  unsigned long long duration_ns = 20'000;  // 20 us
  void* params[] = {&duration_ns};
  auto run = timer_->measure(launcher(kernel("spin_ns"), params), criterion_params{}, true, timing_clock::cupti);
  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  print("spin 20 us, cupti", *run);
  ASSERT_EQ(run->summary.clock, "cupti") << run->method;
  EXPECT_TRUE(run->summary.clock_note.empty()) << run->summary.clock_note;
  EXPECT_EQ(run->event_samples_ms.size(), run->samples_ms.size());
  // The spin waits 20 us on the global timer (whose ticks may be coarse): CUPTI sees that and the
  // kernel's own start-up only.
  EXPECT_GE(run->summary.median_ms, 0.0195);
  EXPECT_LT(run->summary.median_ms, 0.0215);
  // The events enclose the same kernel plus the front end's latency, call by call.
  EXPECT_GT(run->summary.event_median_ms, run->summary.median_ms);
  for (std::size_t i = 0; i < run->samples_ms.size(); ++i) {
    EXPECT_GE(run->event_samples_ms[i], run->samples_ms[i] * 0.999) << "sample " << i;
  }
}

TEST_F(GpuTimerGpu, CuptiSpanCoversEveryStepOfTheCallAndTheGapsBetween) {
  auto scratch = device_buffer::allocate(*driver_, std::size_t{1} << 20);
  ASSERT_TRUE(scratch.has_value()) << scratch.error().to_string();
  unsigned long long duration_ns = 10'000;
  void* params[] = {&duration_ns};
  const CUfunction spin = kernel("spin_ns");
  // A two-kernel plan with a workspace memset first, as split-KV attention runs.
  auto plan = [&](CUstream stream) -> result<void> {
    KSEARCH_CU_TRY(*driver_, cuMemsetD8Async, scratch->get(), 0, scratch->size(), stream);
    KSEARCH_CU_TRY(*driver_, cuLaunchKernel, spin, 1, 1, 1, 1, 1, 1, 0, stream, params, nullptr);
    KSEARCH_CU_TRY(*driver_, cuLaunchKernel, spin, 1, 1, 1, 1, 1, 1, 0, stream, params, nullptr);
    return {};
  };
  auto run = timer_->measure(plan, criterion_params{}, true, timing_clock::cupti);
  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  print("memset + 2 x spin 10 us, cupti", *run);
  ASSERT_EQ(run->summary.clock, "cupti") << run->method;
  EXPECT_GE(run->summary.min_ms, 0.0195);
  EXPECT_LT(run->summary.median_ms, 0.030);
  EXPECT_LE(run->summary.median_ms, run->summary.event_median_ms);
}

TEST_F(GpuTimerGpu, EventsClockWhenAskedForIt) {
  unsigned long long duration_ns = 20'000;
  void* params[] = {&duration_ns};
  auto run = timer_->measure(launcher(kernel("spin_ns"), params), criterion_params::sample_count(20), true,
                             timing_clock::cuda_events);
  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  print("spin 20 us, events", *run);
  EXPECT_EQ(run->summary.clock, "events");
  EXPECT_EQ(run->samples_ms, run->event_samples_ms);
  EXPECT_DOUBLE_EQ(run->summary.event_median_ms, run->summary.median_ms);
  EXPECT_NE(run->method.find("CUDA events around each call"), std::string::npos) << run->method;
}

TEST_F(GpuTimerGpu, ACallThatQueuesNoGpuWorkMovesTheMeasurementToEvents) {
  int calls = 0;
  unsigned long long duration_ns = 5'000;
  void* params[] = {&duration_ns};
  const CUfunction spin = kernel("spin_ns");
  // Work for the first 12 calls (3 warm-up, 9 samples), then nothing: CUPTI has no span to give.
  auto launch = [&](CUstream stream) -> result<void> {
    if (++calls > 12) return {};
    KSEARCH_CU_TRY(*driver_, cuLaunchKernel, spin, 1, 1, 1, 1, 1, 1, 0, stream, params, nullptr);
    return {};
  };
  const warmup_params three_calls{.min_calls = 3, .min_gpu_ms = 0, .max_wall_ms = 1000};
  auto run = timer_->measure(launch, criterion_params::sample_count(15), true, timing_clock::cupti, three_calls);
  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  print("spin then nothing, cupti", *run);
  EXPECT_EQ(run->summary.clock, "events");
  EXPECT_NE(run->summary.clock_note.find("CUPTI reported no GPU work"), std::string::npos) << run->summary.clock_note;
  EXPECT_EQ(run->samples_ms, run->event_samples_ms) << "every sample on one clock, the earlier ones too";
  EXPECT_EQ(run->summary.samples, 15u);
}

TEST_F(GpuTimerGpu, ASecondRecordingInTheProcessFallsBackToEvents) {
  auto held = activity_recording::start();
  ASSERT_TRUE(held.has_value()) << held.error().to_string();
  void* no_params[] = {nullptr};
  auto run = timer_->measure(launcher(kernel("empty_kernel"), no_params), criterion_params::sample_count(5), true,
                             timing_clock::cupti);
  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  EXPECT_EQ(run->summary.clock, "events");
  EXPECT_NE(run->summary.clock_note.find("another measurement"), std::string::npos) << run->summary.clock_note;
}

}  // namespace
}  // namespace ksearch::eval
