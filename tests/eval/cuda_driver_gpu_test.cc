// Needs a CUDA device; skips with the reason where there is none.
#include "ksearch/eval/gpu/cuda_driver.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <iostream>
#include <memory>
#include <string>

#include "ksearch/eval/gpu/detail/driver_api.h"
#include "ksearch/eval/gpu/driver_handles.h"

#include "support/gpu_fixture.h"

namespace ksearch::eval {
namespace {

using CudaDriverGpu = test_support::gpu_fixture;

TEST_F(CudaDriverGpu, VersionIsAtLeastTheToolkitMajor) {
  EXPECT_GE(driver_->version() / 1000, CUDA_VERSION / 1000);
}

TEST_F(CudaDriverGpu, FailuresAreNamedWithTheDriversText) {
  EXPECT_EQ(driver_->result_text(CUDA_ERROR_OUT_OF_MEMORY), "CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
  EXPECT_EQ(driver_->describe_failure("cuMemAlloc", CUDA_ERROR_OUT_OF_MEMORY),
            "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
  const error failure = driver_->call_failed("cuInit", CUDA_ERROR_NO_DEVICE);
  EXPECT_EQ(failure.subject, "cuInit");
  EXPECT_TRUE(failure.problem.starts_with("CUDA_ERROR_NO_DEVICE (")) << failure.problem;
  // Not a CUresult at all: still a message, with the number.
  EXPECT_EQ(driver_->result_text(987654), "CUresult 987654");
}

TEST_F(CudaDriverGpu, MemoryInfoAgreesWithDescribeDevice) {
  auto device = driver_->describe_device(0);
  ASSERT_TRUE(device.has_value()) << device.error().to_string();
  auto context = primary_context::retain(*driver_, 0);
  ASSERT_TRUE(context.has_value()) << context.error().to_string();
  ASSERT_TRUE(context->make_current().has_value());
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  ASSERT_EQ(driver_->api().cuMemGetInfo(&free_bytes, &total_bytes), CUDA_SUCCESS);
  EXPECT_LE(free_bytes, total_bytes);
  EXPECT_LE(total_bytes, device->total_memory_bytes);
  EXPECT_GT(total_bytes, device->total_memory_bytes / 100 * 99) << "cuMemGetInfo vs cuDeviceTotalMem";
}

TEST_F(CudaDriverGpu, TheDramPeakComesFromTheMemoryClockAndBusWidth) {
  auto device = driver_->describe_device(0);
  ASSERT_TRUE(device.has_value()) << device.error().to_string();
  std::cout << "[ device   ] " << device->name << ": DRAM peak " << device->dram_bandwidth_bytes_per_s / 1e12 << " TB/s\n";
  // Every GPU ksearch targets has between 0.3 TB/s (a laptop) and 10 TB/s (beyond B200).
  EXPECT_GT(device->dram_bandwidth_bytes_per_s, 0.3e12);
  EXPECT_LT(device->dram_bandwidth_bytes_per_s, 10e12);
  if (device->name.find("H100") != std::string::npos && device->name.find("HBM3") != std::string::npos) {
    EXPECT_NEAR(device->dram_bandwidth_bytes_per_s, 3.35e12, 0.1e12) << "the H100 SXM datasheet's 3.35 TB/s";
  }
}

TEST_F(CudaDriverGpu, ImpossibleAllocationIsAnErrorNamingTheCall) {
  auto context = primary_context::retain(*driver_, 0);
  ASSERT_TRUE(context.has_value()) << context.error().to_string();
  ASSERT_TRUE(context->make_current().has_value());
  auto buffer = device_buffer::allocate(*driver_, std::size_t{1} << 52);  // 4 PiB
  ASSERT_FALSE(buffer.has_value());
  EXPECT_EQ(buffer.error().subject, "cuMemAlloc");
  EXPECT_TRUE(buffer.error().problem.starts_with("CUDA_ERROR_")) << buffer.error().problem;
  std::cout << "[ error    ] " << buffer.error().to_string() << "\n";
  // The failure is not sticky: the context still works.
  auto small = device_buffer::allocate(*driver_, 1024);
  EXPECT_TRUE(small.has_value()) << small.error().to_string();
}

}  // namespace
}  // namespace ksearch::eval
