// ksearch/eval/gpu/cuda_driver.h — the CUDA Driver API, loaded at run time.
//
// ksearch never links libcuda: machines without a GPU (CI, laptops) have no libcuda.so.1, and a
// binary linked against the driver stub would not even start there. `cuda_driver::load()` opens
// libcuda.so.1 with dlopen, resolves every entry point through cuGetProcAddress, each at the ABI
// version <cuda.h> declares (as PyTorch and Triton do), and calls cuInit. Where there is no driver or no device it
// returns an error that says so; nothing else in ksearch needs the driver to start.
//
// Thread-safety: a loaded cuda_driver is immutable and may be shared between threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "ksearch/common/error.h"

namespace ksearch::eval {

namespace detail {
struct driver_api;  // the resolved function table; see eval/gpu/detail/driver_api.h
}

/// What ksearch needs to know about one GPU to compile and launch for it.
struct device_info {
  int ordinal = 0;
  std::string name;                   // "NVIDIA H100 80GB HBM3"
  int cc_major = 0;                   // compute capability, e.g. 9
  int cc_minor = 0;                   //                      and 0
  int sm_count = 0;                   // multiprocessors
  std::size_t total_memory_bytes = 0;
  std::size_t max_smem_optin_bytes = 0;  // largest dynamic shared memory a block can opt into
  std::size_t l2_bytes = 0;
  double dram_bandwidth_bytes_per_s = 0;  // peak, from the memory clock and bus width; 0 if unknown

  /// NVRTC target for this device: "sm_90a" on Hopper (the arch-specific variant, so wgmma and
  /// setmaxnreg are usable), "sm_XY" elsewhere.
  [[nodiscard]] std::string nvrtc_arch() const;
};

class cuda_driver {
 public:
  /// Opens libcuda.so.1, resolves the API and runs cuInit(0). Errors: no driver library ("no CUDA
  /// driver"), a driver older than the toolkit ksearch was built with, or cuInit failing (for
  /// example no device visible).
  [[nodiscard]] static result<std::shared_ptr<const cuda_driver>> load();

  ~cuda_driver();
  cuda_driver(const cuda_driver&) = delete;
  cuda_driver& operator=(const cuda_driver&) = delete;

  /// Driver version as cuDriverGetVersion reports it, e.g. 13000 for CUDA 13.0.
  [[nodiscard]] int version() const { return version_; }
  /// Number of visible devices (honours CUDA_VISIBLE_DEVICES).
  [[nodiscard]] int device_count() const { return device_count_; }
  [[nodiscard]] result<device_info> describe_device(int ordinal) const;

  /// The resolved entry points, for the rest of eval/ (module loading, launches, memory).
  [[nodiscard]] const detail::driver_api& api() const { return *api_; }

  /// "CUDA_ERROR_OUT_OF_MEMORY (out of memory)": the CUresult's name and the driver's text for it.
  [[nodiscard]] std::string result_text(int cu_result) const;
  /// "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)" style text for a CUresult.
  [[nodiscard]] std::string describe_failure(const char* call, int cu_result) const;
  /// The error value for a failed driver call: subject `call` ("cuModuleLoadData"), problem
  /// result_text(cu_result).
  [[nodiscard]] error call_failed(const char* call, int cu_result) const;

 private:
  cuda_driver() = default;
  void* library_ = nullptr;  // dlopen handle, closed in the destructor
  std::unique_ptr<detail::driver_api> api_;
  int version_ = 0;
  int device_count_ = 0;
};

}  // namespace ksearch::eval
