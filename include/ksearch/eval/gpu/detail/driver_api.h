// ksearch/eval/gpu/detail/driver_api.h — the driver entry points ksearch resolved at run time.
//
// Only eval/ includes this header: it is the one place outside NVRTC code that sees <cuda.h>.
// cuda_driver::load() fills a driver_api through cuGetProcAddress; nothing here links libcuda.
//
// Each entry point is listed once, as X(name, version). `version` pins the ABI: cuGetProcAddress
// returns the newest variant of `name` not newer than the version it is asked for, and the
// member's type is cudaTypedefs.h's PFN_<name>_v<version>. Asking for CUDA_VERSION instead would
// be wrong: CUDA 13.0 added a cuCtxSynchronize that takes a CUcontext, while <cuda.h> still
// declares the old one without arguments, so a call made through the 13.0 pointer passes garbage
// for the context (seen as CUDA_ERROR_CONTEXT_IS_DESTROYED). Each version below is the one whose
// signature <cuda.h> declares, and a static_assert keeps it so when the toolkit changes.
//
// Why an X-macro: the name is needed both as the plain string handed to cuGetProcAddress
// ("cuMemAlloc"; it does not know "cuMemAlloc_v2") and as a token that <cuda.h> renames to the
// current ABI (cuMemAlloc -> cuMemAlloc_v2). A macro argument is expanded where it is used as a
// token, but not where it is stringised with # or pasted with ##, so one list yields every
// spelling, and the table and its resolution cannot drift apart.
#pragma once

#include <cuda.h>
#include <cudaTypedefs.h>

#include <expected>
#include <type_traits>

#include "ksearch/common/error.h"

namespace ksearch::eval::detail {

// clang-format off
#define KSEARCH_DRIVER_ENTRY_POINTS(X)                                                           \
  /* set-up and errors */                                                                        \
  X(cuInit, 2000) X(cuDriverGetVersion, 2020) X(cuGetErrorName, 6000) X(cuGetErrorString, 6000)  \
  /* devices */                                                                                  \
  X(cuDeviceGetCount, 2000) X(cuDeviceGet, 2000) X(cuDeviceGetName, 2000)                        \
  X(cuDeviceGetAttribute, 2000) X(cuDeviceTotalMem, 3020)                                        \
  /* contexts */                                                                                 \
  X(cuDevicePrimaryCtxRetain, 7000) X(cuDevicePrimaryCtxRelease, 11000)                          \
  X(cuCtxSetCurrent, 4000) X(cuCtxGetCurrent, 4000) X(cuCtxSynchronize, 2000)                    \
  /* modules */                                                                                  \
  X(cuModuleLoadData, 2000) X(cuModuleUnload, 2000) X(cuModuleGetFunction, 2000)                 \
  X(cuFuncGetAttribute, 2020) X(cuFuncSetAttribute, 9000) X(cuFuncGetParamInfo, 12040)          \
  /* memory */                                                                                   \
  X(cuMemAlloc, 3020) X(cuMemFree, 3020) X(cuMemcpyHtoD, 3020) X(cuMemcpyDtoH, 3020)             \
  X(cuMemsetD8, 3020) X(cuMemGetInfo, 3020) X(cuMemsetD8Async, 3020) X(cuMemcpyDtoD, 3020)      \
  /* launches, streams, events */                                                                \
  X(cuLaunchKernel, 4000) X(cuLaunchKernelEx, 11060) X(cuStreamCreate, 2000)                    \
  X(cuStreamDestroy, 4000)                                                                       \
  X(cuStreamSynchronize, 2000) X(cuEventCreate, 2000) X(cuEventDestroy, 4000)                    \
  X(cuEventRecord, 2000) X(cuEventSynchronize, 2000) X(cuEventElapsedTime, 12080)
// clang-format on

#define KSEARCH_DRIVER_CHECK_ABI(name, version)                                         \
  static_assert(std::is_same_v<PFN_##name##_v##version, decltype(&::name)>,             \
                #name " version " #version " is not the signature <cuda.h> declares; " \
                "pick the version that matches it (see cudaTypedefs.h)");
KSEARCH_DRIVER_ENTRY_POINTS(KSEARCH_DRIVER_CHECK_ABI)
#undef KSEARCH_DRIVER_CHECK_ABI

/// One function pointer per entry point, null until resolved. Call through the member named like
/// the API function: `api.cuMemAlloc(&ptr, bytes)` (the macro in <cuda.h> renames both sides).
struct driver_api {
#define KSEARCH_DRIVER_MEMBER(name, version) PFN_##name##_v##version name = nullptr;
  KSEARCH_DRIVER_ENTRY_POINTS(KSEARCH_DRIVER_MEMBER)
#undef KSEARCH_DRIVER_MEMBER
};

struct driver_entry_point {
  const char* name;  // the plain name passed to cuGetProcAddress: "cuMemAlloc", never "..._v2"
  int version;       // the cudaVersion passed with it, e.g. 3020
};

/// Every entry point of driver_api, in member order.
inline constexpr driver_entry_point driver_entry_points[] = {
#define KSEARCH_DRIVER_ENTRY(name, version) driver_entry_point{#name, version},
    KSEARCH_DRIVER_ENTRY_POINTS(KSEARCH_DRIVER_ENTRY)
#undef KSEARCH_DRIVER_ENTRY
};

}  // namespace ksearch::eval::detail

/// Calls `driver.api().fn(args...)` and, unless it returns CUDA_SUCCESS, returns from the enclosing
/// function (which returns some result<T>) with an error whose subject is the call's plain name
/// ("cuModuleLoadData") and whose problem is the CUresult's name and text. `driver` is a
/// ksearch::eval::cuda_driver (its full definition must be visible).
#define KSEARCH_CU_TRY(driver, fn, ...)                                                      \
  do {                                                                                       \
    if (const CUresult ksearch_cu_status = (driver).api().fn(__VA_ARGS__);                   \
        ksearch_cu_status != CUDA_SUCCESS) {                                                 \
      return std::unexpected((driver).call_failed(#fn, static_cast<int>(ksearch_cu_status))); \
    }                                                                                        \
  } while (false)
