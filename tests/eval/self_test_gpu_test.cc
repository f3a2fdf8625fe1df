// Needs a CUDA device; skips with the reason where there is none.
#include "ksearch/eval/gpu/self_test.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <iostream>
#include <memory>

#include "ksearch/eval/gpu/cuda_driver.h"

#include "support/gpu_fixture.h"

namespace ksearch::eval {
namespace {

using SelfTestGpu = test_support::gpu_fixture;

TEST_F(SelfTestGpu, DeviceZeroLooksLikeARealGpu) {
  auto device = driver_->describe_device(0);
  ASSERT_TRUE(device.has_value()) << device.error().to_string();
  EXPECT_EQ(device->ordinal, 0);
  EXPECT_FALSE(device->name.empty());
  EXPECT_GE(device->cc_major, 7);
  EXPECT_GE(device->cc_minor, 0);
  EXPECT_GT(device->sm_count, 0);
  EXPECT_GT(device->total_memory_bytes, std::size_t{1} << 30);
  EXPECT_GE(device->max_smem_optin_bytes, std::size_t{48} << 10);
  EXPECT_GT(device->l2_bytes, std::size_t{1} << 20);
  EXPECT_TRUE(device->nvrtc_arch().starts_with("sm_")) << device->nvrtc_arch();
  std::cout << "[ device   ] " << device->name << ", cc " << device->cc_major << "." << device->cc_minor
            << ", " << device->sm_count << " SMs, " << (device->total_memory_bytes >> 20) << " MiB, L2 "
            << (device->l2_bytes >> 10) << " KiB, smem opt-in " << (device->max_smem_optin_bytes >> 10)
            << " KiB, arch " << device->nvrtc_arch() << ", driver " << driver_->version() << "\n";
}

TEST_F(SelfTestGpu, DeviceOutOfRangeIsAnError) {
  auto device = driver_->describe_device(999);
  ASSERT_FALSE(device.has_value());
  EXPECT_EQ(device.error().subject, "device 999");
  EXPECT_FALSE(run_device_self_test(*driver_, 999).has_value());
}

TEST_F(SelfTestGpu, SelfTestPassesOnDeviceZero) {
  auto report = run_device_self_test(*driver_, 0);
  ASSERT_TRUE(report.has_value()) << report.error().to_string();
  EXPECT_EQ(report->arch, driver_->describe_device(0)->nvrtc_arch());
  EXPECT_EQ(report->elements, std::size_t{1} << 20);
  EXPECT_GT(report->compile_ms, 0.0);
  EXPECT_GT(report->kernel_ms, 0.0);
  std::cout << "[ report   ] arch " << report->arch << ", compile " << report->compile_ms << " ms, kernel "
            << report->kernel_ms << " ms, " << report->elements << " elements\n";
}

TEST_F(SelfTestGpu, SelfTestRunsAgainAfterReleasingTheContext) {
  // Each run retains and releases the primary context; a second run must find it usable again.
  for (int run = 0; run < 2; ++run) {
    auto report = run_device_self_test(*driver_, 0);
    ASSERT_TRUE(report.has_value()) << "run " << run << ": " << report.error().to_string();
  }
}

}  // namespace
}  // namespace ksearch::eval
