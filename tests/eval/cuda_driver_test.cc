// Runs everywhere: on a machine without libcuda.so.1 (CI) load() must say so; on a GPU machine it
// must succeed or name the driver call that failed.
#include "ksearch/eval/gpu/cuda_driver.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>

#include "ksearch/eval/gpu/detail/driver_api.h"

namespace ksearch::eval {
namespace {

device_info with_cc(int major, int minor) {
  device_info info;
  info.cc_major = major;
  info.cc_minor = minor;
  return info;
}

TEST(DeviceInfo, NvrtcArchUsesArchSpecificTargetsOnHopperAndBlackwell) {
  EXPECT_EQ(with_cc(9, 0).nvrtc_arch(), "sm_90a");
  EXPECT_EQ(with_cc(10, 0).nvrtc_arch(), "sm_100a");
}

TEST(DeviceInfo, NvrtcArchIsPlainElsewhere) {
  EXPECT_EQ(with_cc(8, 0).nvrtc_arch(), "sm_80");
  EXPECT_EQ(with_cc(8, 6).nvrtc_arch(), "sm_86");
  EXPECT_EQ(with_cc(8, 9).nvrtc_arch(), "sm_89");
  EXPECT_EQ(with_cc(7, 5).nvrtc_arch(), "sm_75");
  EXPECT_EQ(with_cc(10, 3).nvrtc_arch(), "sm_103");
  EXPECT_EQ(with_cc(12, 0).nvrtc_arch(), "sm_120");
}

TEST(CudaDriverApi, EntryPointNamesArePlainApiNames) {
  // cuGetProcAddress knows "cuMemAlloc", not the "cuMemAlloc_v2" that <cuda.h> maps it to.
  bool has_mem_alloc = false;
  bool has_memcpy = false;
  for (const detail::driver_entry_point& entry : detail::driver_entry_points) {
    const std::string_view name = entry.name;
    EXPECT_TRUE(name.starts_with("cu")) << name;
    EXPECT_FALSE(name.ends_with("_v2")) << name;
    EXPECT_FALSE(name.ends_with("_ptds") || name.ends_with("_ptsz")) << name;
    has_mem_alloc = has_mem_alloc || name == "cuMemAlloc";
    has_memcpy = has_memcpy || name == "cuMemcpyHtoD";
  }
  EXPECT_TRUE(has_mem_alloc);
  EXPECT_TRUE(has_memcpy);
}

TEST(CudaDriverApi, VersionsArePinnedAtOrBelowTheToolkit) {
  for (const detail::driver_entry_point& entry : detail::driver_entry_points) {
    EXPECT_GE(entry.version, 2000) << entry.name;
    EXPECT_LE(entry.version, CUDA_VERSION) << entry.name;
  }
}

TEST(CudaDriverApi, TableHasOneMemberPerName) {
  EXPECT_EQ(sizeof(detail::driver_api), std::size(detail::driver_entry_points) * sizeof(void (*)()));
}

TEST(CudaDriverApi, MembersHaveTheSignaturesCudaHDeclares) {
  // cuMemAlloc's member is cuMemAlloc_v2's type (size_t bytes, 64-bit device pointer).
  static_assert(std::is_same_v<decltype(detail::driver_api{}.cuMemAlloc), CUresult (*)(CUdeviceptr*, std::size_t)>);
  static_assert(std::is_same_v<decltype(detail::driver_api{}.cuDeviceTotalMem), CUresult (*)(std::size_t*, CUdevice)>);
  // CUDA 13.0's cuCtxSynchronize takes a CUcontext; <cuda.h> and this table use the one without.
  static_assert(std::is_same_v<decltype(detail::driver_api{}.cuCtxSynchronize), CUresult (*)()>);
  bool pinned_old_synchronize = false;
  for (const detail::driver_entry_point& entry : detail::driver_entry_points) {
    if (std::string_view(entry.name) == "cuCtxSynchronize") pinned_old_synchronize = entry.version < 13000;
  }
  EXPECT_TRUE(pinned_old_synchronize);
}

TEST(CudaDriver, LoadSucceedsOrSaysWhyNot) {
  // Decide independently of load() whether this machine has a driver library.
  void* probe = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  const bool has_library = probe != nullptr;
  if (probe != nullptr) dlclose(probe);

  auto driver = cuda_driver::load();
  if (!has_library) {
    ASSERT_FALSE(driver.has_value());
    EXPECT_EQ(driver.error().subject, "libcuda.so.1");
    EXPECT_TRUE(driver.error().problem.starts_with("no CUDA driver: ")) << driver.error().problem;
    EXPECT_NE(driver.error().problem.find("libcuda.so.1"), std::string::npos) << driver.error().problem;
    EXPECT_FALSE(driver.error().fix.empty());
    return;
  }
  if (!driver) {
    // A library without a usable device (a container without GPUs, say): cuInit names the reason.
    const std::string text = driver.error().to_string();
    EXPECT_TRUE(text.find("cuInit") != std::string::npos || text.find("libcuda.so.1") != std::string::npos ||
                text.find("cuDriverGetVersion") != std::string::npos)
        << text;
    return;
  }
  EXPECT_GE((*driver)->version(), 1000 * (CUDA_VERSION / 1000));
  EXPECT_GE((*driver)->device_count(), 0);
  EXPECT_FALSE((*driver)->describe_device(-1).has_value());
  EXPECT_FALSE((*driver)->describe_device((*driver)->device_count()).has_value());
}

TEST(CudaDriver, LoadingTwiceGivesIndependentDrivers) {
  auto first = cuda_driver::load();
  auto second = cuda_driver::load();
  ASSERT_EQ(first.has_value(), second.has_value());
  if (!first) {
    EXPECT_EQ(first.error().to_string(), second.error().to_string());
    return;
  }
  EXPECT_NE(first->get(), second->get());
  first->reset();  // closing one library handle must leave the other usable
  if ((*second)->device_count() > 0) {
    auto device = (*second)->describe_device(0);
    EXPECT_TRUE(device.has_value()) << device.error().to_string();
  }
}

}  // namespace
}  // namespace ksearch::eval
