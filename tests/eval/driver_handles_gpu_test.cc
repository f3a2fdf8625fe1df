// Needs a CUDA device; skips with the reason where there is none.
#include "ksearch/eval/gpu/driver_handles.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/self_test.h"

#include "support/gpu_fixture.h"

namespace ksearch::eval {
namespace {

static_assert(std::is_nothrow_move_constructible_v<primary_context>);
static_assert(std::is_nothrow_move_constructible_v<cuda_module>);
static_assert(std::is_nothrow_move_constructible_v<device_buffer>);
static_assert(std::is_nothrow_move_constructible_v<cuda_stream>);
static_assert(std::is_nothrow_move_constructible_v<cuda_event>);
static_assert(!std::is_copy_constructible_v<device_buffer>);
static_assert(!std::is_copy_constructible_v<primary_context>);

// The self-test kernel: y[i] = a * x[i] + y[i] over n floats.
constexpr const char* kAxpy = "ksearch_self_test_axpy";

class DriverHandlesGpu : public test_support::gpu_context_fixture {
 protected:
  [[nodiscard]] result<cuda_module> load_self_test_module() const {
    auto device = driver_->describe_device(0);
    if (!device) return std::unexpected(device.error());
    auto compiled = compile_self_test_kernel(device->nvrtc_arch());
    if (!compiled) return std::unexpected(compiled.error());
    return cuda_module::load(*driver_, compiled->cubin);
  }
};

TEST_F(DriverHandlesGpu, ContextIsCurrentUntilReleased) {
  CUcontext current = nullptr;
  ASSERT_EQ(driver_->api().cuCtxGetCurrent(&current), CUDA_SUCCESS);
  EXPECT_EQ(current, context_->get());
  context_.reset();
  ASSERT_EQ(driver_->api().cuCtxGetCurrent(&current), CUDA_SUCCESS);
  EXPECT_EQ(current, nullptr);
}

TEST_F(DriverHandlesGpu, BufferFillUploadDownloadRoundTrip) {
  constexpr std::size_t kBytes = 4096;
  auto buffer = device_buffer::allocate(*driver_, kBytes);
  ASSERT_TRUE(buffer.has_value()) << buffer.error().to_string();
  EXPECT_NE(buffer->get(), 0u);
  EXPECT_EQ(buffer->size(), kBytes);

  ASSERT_TRUE(buffer->fill(0xAB).has_value());
  std::vector<unsigned char> back(kBytes, 0);
  ASSERT_TRUE(buffer->download(back.data(), kBytes).has_value());
  EXPECT_EQ(back, std::vector<unsigned char>(kBytes, 0xAB));

  std::vector<unsigned char> pattern(kBytes);
  std::iota(pattern.begin(), pattern.end(), static_cast<unsigned char>(0));
  ASSERT_TRUE(buffer->upload(pattern.data(), kBytes).has_value());
  ASSERT_TRUE(buffer->download(back.data(), kBytes).has_value());
  EXPECT_EQ(back, pattern);
}

TEST_F(DriverHandlesGpu, CopiesLargerThanTheBufferAreRefused) {
  auto buffer = device_buffer::allocate(*driver_, 16);
  ASSERT_TRUE(buffer.has_value()) << buffer.error().to_string();
  std::vector<unsigned char> host(32);
  auto up = buffer->upload(host.data(), host.size());
  ASSERT_FALSE(up.has_value());
  EXPECT_EQ(up.error().subject, "cuMemcpyHtoD");
  auto down = buffer->download(host.data(), host.size());
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().subject, "cuMemcpyDtoH");
  EXPECT_FALSE(device_buffer::allocate(*driver_, 0).has_value());
}

TEST_F(DriverHandlesGpu, MovedFromBufferHoldsNothing) {
  auto first = device_buffer::allocate(*driver_, 256);
  auto second = device_buffer::allocate(*driver_, 512);
  ASSERT_TRUE(first.has_value() && second.has_value());
  const CUdeviceptr first_pointer = first->get();

  device_buffer moved(std::move(*first));
  EXPECT_EQ(first->get(), 0u);
  EXPECT_EQ(first->size(), 0u);
  EXPECT_EQ(moved.get(), first_pointer);

  *second = std::move(moved);  // frees second's old allocation, takes first's
  EXPECT_EQ(moved.get(), 0u);
  EXPECT_EQ(second->get(), first_pointer);
  EXPECT_EQ(second->size(), 256u);
  std::vector<unsigned char> host(256);
  EXPECT_TRUE(second->download(host.data(), host.size()).has_value());
}

TEST_F(DriverHandlesGpu, ModuleFindsItsKernelAndNamesAMissingOne) {
  auto module = load_self_test_module();
  ASSERT_TRUE(module.has_value()) << module.error().to_string();
  auto kernel = module->function(kAxpy);
  ASSERT_TRUE(kernel.has_value()) << kernel.error().to_string();
  int registers = 0;
  ASSERT_EQ(driver_->api().cuFuncGetAttribute(&registers, CU_FUNC_ATTRIBUTE_NUM_REGS, *kernel), CUDA_SUCCESS);
  EXPECT_GT(registers, 0);

  auto missing = module->function("no_such_kernel");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().subject, "cuModuleGetFunction");
  EXPECT_TRUE(missing.error().problem.starts_with("CUDA_ERROR_NOT_FOUND")) << missing.error().problem;
  EXPECT_NE(missing.error().problem.find("no_such_kernel"), std::string::npos);
}

TEST_F(DriverHandlesGpu, GarbageImageIsAnErrorNamingTheCall) {
  const std::string garbage = "this is neither a cubin nor PTX";
  auto module = cuda_module::load(*driver_, garbage);
  ASSERT_FALSE(module.has_value());
  EXPECT_EQ(module.error().subject, "cuModuleLoadData");
  EXPECT_TRUE(module.error().problem.starts_with("CUDA_ERROR_")) << module.error().problem;
  std::cout << "[ error    ] " << module.error().to_string() << "\n";
  EXPECT_FALSE(cuda_module::load(*driver_, "").has_value());
}

TEST_F(DriverHandlesGpu, EventsTimeAKernelOnAStream) {
  auto module = load_self_test_module();
  ASSERT_TRUE(module.has_value()) << module.error().to_string();
  auto kernel = module->function(kAxpy);
  ASSERT_TRUE(kernel.has_value());
  auto stream = cuda_stream::create(*driver_, CU_STREAM_NON_BLOCKING);
  ASSERT_TRUE(stream.has_value()) << stream.error().to_string();
  auto start = cuda_event::create(*driver_);
  auto stop = cuda_event::create(*driver_);
  ASSERT_TRUE(start.has_value() && stop.has_value());

  constexpr unsigned int kElements = 1u << 24;
  auto x = device_buffer::allocate(*driver_, kElements * sizeof(float));
  auto y = device_buffer::allocate(*driver_, kElements * sizeof(float));
  ASSERT_TRUE(x.has_value() && y.has_value());
  ASSERT_TRUE(x->fill(0).has_value() && y->fill(0).has_value());
  unsigned int n = kElements;
  float a = 2.0f;
  CUdeviceptr x_pointer = x->get();
  CUdeviceptr y_pointer = y->get();
  void* params[] = {&n, &a, &x_pointer, &y_pointer};

  ASSERT_TRUE(start->record(stream->get()).has_value());
  ASSERT_EQ(driver_->api().cuLaunchKernel(*kernel, kElements / 256, 1, 1, 256, 1, 1, 0, stream->get(), params,
                                          nullptr),
            CUDA_SUCCESS);
  ASSERT_TRUE(stop->record(stream->get()).has_value());
  ASSERT_TRUE(stop->synchronize().has_value());
  ASSERT_TRUE(stream->synchronize().has_value());
  auto elapsed = cuda_event::elapsed_ms(*start, *stop);
  ASSERT_TRUE(elapsed.has_value()) << elapsed.error().to_string();
  // 192 MiB of traffic takes well over a microsecond and well under a second on any GPU.
  EXPECT_GT(*elapsed, 0.001f);
  EXPECT_LT(*elapsed, 1000.0f);
}

}  // namespace
}  // namespace ksearch::eval
