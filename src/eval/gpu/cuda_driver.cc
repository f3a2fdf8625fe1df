// Implementation details
//
// load() runs in steps, each returning early with an error that names what failed:
//   1. dlopen libcuda.so.1 (absent on GPU-less machines: the one error most users will see);
//   2. dlsym cuGetProcAddress, the only symbol taken by name from the library;
//   3. resolve the whole table, each entry point at the ABI version that <cuda.h> declares (see
//      detail/driver_api.h for why not simply CUDA_VERSION);
//   4. refuse a driver older than the toolkit's major version (cubins and entry points of the newer
//      toolkit would not load, with far less readable errors later);
//   5. cuInit(0), then count the devices.
// The cuda_driver object exists from step 1 on, so its destructor closes the library on every
// early return.

#include "ksearch/eval/gpu/cuda_driver.h"

#include <dlfcn.h>

#include <string>
#include <utility>

#include "ksearch/eval/gpu/detail/driver_api.h"

namespace ksearch::eval {
namespace {

constexpr const char* kDriverLibrary = "libcuda.so.1";

// <cuda.h> maps cuGetProcAddress to cuGetProcAddress_v2 (CUDA 12.0+, with a symbolStatus
// argument). Drivers before 12.0 export only the original, which <cuda.h> no longer declares.
using get_proc_address_v2_fn = decltype(&::cuGetProcAddress);
using get_proc_address_v1_fn = CUresult (*)(const char* symbol, void** pfn, int cuda_version,
                                            cuuint64_t flags);

/// "13.0" for 13000.
std::string cuda_version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

/// Looks entry points up through the driver's cuGetProcAddress.
class proc_resolver {
 public:
  [[nodiscard]] static result<proc_resolver> find(void* library) {
    proc_resolver resolver;
    if (void* v2 = dlsym(library, "cuGetProcAddress_v2")) {
      resolver.v2_ = reinterpret_cast<get_proc_address_v2_fn>(v2);
    } else if (void* v1 = dlsym(library, "cuGetProcAddress")) {
      resolver.v1_ = reinterpret_cast<get_proc_address_v1_fn>(v1);
    } else {
      return fail(kDriverLibrary, "has no cuGetProcAddress: the NVIDIA driver is too old",
                  "install a driver for CUDA " + cuda_version_text(CUDA_VERSION) + " or newer");
    }
    return resolver;
  }

  /// Stores the entry point `name` (the plain name, "cuMemAlloc") at ABI `version` into `slot`.
  template <class Fn>
  [[nodiscard]] result<void> resolve(const char* name, int version, Fn& slot) const {
    void* entry = nullptr;
    CUdriverProcAddressQueryResult found = CU_GET_PROC_ADDRESS_SUCCESS;
    const CUresult status =
        v2_ != nullptr ? v2_(name, &entry, version, CU_GET_PROC_ADDRESS_DEFAULT, &found)
                       : v1_(name, &entry, version, CU_GET_PROC_ADDRESS_DEFAULT);
    if (status != CUDA_SUCCESS || found != CU_GET_PROC_ADDRESS_SUCCESS || entry == nullptr) {
      std::string problem;
      if (found == CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT) {
        // The symbol first appeared after `version`: the pin in detail/driver_api.h is wrong.
        problem = "the entry point is newer than the requested ABI version " + cuda_version_text(version);
      } else if (found == CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND) {
        problem = "the driver has no such entry point";
      } else {
        // cuGetErrorName may not be resolved yet, so only the number can be given.
        problem = "failed with CUresult " + std::to_string(static_cast<int>(status));
      }
      return fail(std::string("cuGetProcAddress(\"") + name + "\")", std::move(problem),
                  "install a driver for CUDA " + cuda_version_text(CUDA_VERSION) + " or newer");
    }
    slot = reinterpret_cast<Fn>(entry);
    return {};
  }

 private:
  get_proc_address_v2_fn v2_ = nullptr;
  get_proc_address_v1_fn v1_ = nullptr;
};

}  // namespace

std::string device_info::nvrtc_arch() const {
  // The "a" targets enable the instructions that exist only on that exact chip (wgmma and
  // setmaxnreg on 9.0, tcgen05 on 10.0). Their cubins run on nothing else, which is fine: ksearch
  // compiles for the device it is about to run on.
  const bool arch_specific = (cc_major == 9 || cc_major == 10) && cc_minor == 0;
  return "sm_" + std::to_string(cc_major) + std::to_string(cc_minor) + (arch_specific ? "a" : "");
}

result<std::shared_ptr<const cuda_driver>> cuda_driver::load() {
  std::shared_ptr<cuda_driver> driver(new cuda_driver());
  driver->api_ = std::make_unique<detail::driver_api>();
  detail::driver_api& api = *driver->api_;

  // 1. Open the library.
  dlerror();  // clear a stale message so the one below belongs to this dlopen
  driver->library_ = dlopen(kDriverLibrary, RTLD_NOW | RTLD_LOCAL);
  if (driver->library_ == nullptr) {
    const char* why = dlerror();
    return fail(kDriverLibrary, std::string("no CUDA driver: ") + (why != nullptr ? why : "dlopen failed"),
                "install the NVIDIA driver, or run on a GPU machine; compile-only commands work without it");
  }

  // 2. Find cuGetProcAddress.
  auto resolver = proc_resolver::find(driver->library_);
  if (!resolver) return std::unexpected(std::move(resolver.error()));

  // 3. Resolve the whole table. A driver older than a pinned version hands out its own older
  // variant, so an old driver gets past this step and is named by the clearer check below.
#define KSEARCH_RESOLVE(name, version)                                           \
  if (auto resolved = resolver->resolve(#name, version, api.name); !resolved) { \
    return std::unexpected(std::move(resolved.error()));                         \
  }
  KSEARCH_DRIVER_ENTRY_POINTS(KSEARCH_RESOLVE)
#undef KSEARCH_RESOLVE

  // 4. Check the driver is at least as new as the toolkit's major version.
  int version = 0;
  KSEARCH_CU_TRY(*driver, cuDriverGetVersion, &version);
  if (version / 1000 < CUDA_VERSION / 1000) {
    return fail("cuDriverGetVersion",
                "the NVIDIA driver supports CUDA " + cuda_version_text(version) +
                    ", older than CUDA " + cuda_version_text(CUDA_VERSION) + " that ksearch was built with",
                "install a driver for CUDA " + std::to_string(CUDA_VERSION / 1000) +
                    " or newer (nvidia-smi shows which CUDA version the driver supports)");
  }
  driver->version_ = version;

  // 5. Initialise and count devices.
  if (const CUresult status = api.cuInit(0); status != CUDA_SUCCESS) {
    return fail("cuInit", driver->result_text(static_cast<int>(status)),
                "check that nvidia-smi lists a GPU and that CUDA_VISIBLE_DEVICES does not hide it");
  }
  KSEARCH_CU_TRY(*driver, cuDeviceGetCount, &driver->device_count_);
  return std::shared_ptr<const cuda_driver>(std::move(driver));
}

cuda_driver::~cuda_driver() {
  if (library_ != nullptr) dlclose(library_);
}

result<device_info> cuda_driver::describe_device(int ordinal) const {
  if (ordinal < 0 || ordinal >= device_count_) {
    return fail("device " + std::to_string(ordinal),
                "no such device: " + std::to_string(device_count_) + " visible",
                "use an ordinal from 0 to device count - 1; CUDA_VISIBLE_DEVICES decides which GPUs are visible");
  }
  CUdevice device = 0;
  KSEARCH_CU_TRY(*this, cuDeviceGet, &device, ordinal);

  device_info info;
  info.ordinal = ordinal;
  char name[256] = {};
  KSEARCH_CU_TRY(*this, cuDeviceGetName, name, static_cast<int>(sizeof name), device);
  info.name = name;
  KSEARCH_CU_TRY(*this, cuDeviceGetAttribute, &info.cc_major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
  KSEARCH_CU_TRY(*this, cuDeviceGetAttribute, &info.cc_minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
  KSEARCH_CU_TRY(*this, cuDeviceGetAttribute, &info.sm_count, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
  int smem_optin = 0;
  KSEARCH_CU_TRY(*this, cuDeviceGetAttribute, &smem_optin, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, device);
  info.max_smem_optin_bytes = static_cast<std::size_t>(smem_optin);
  int l2 = 0;
  KSEARCH_CU_TRY(*this, cuDeviceGetAttribute, &l2, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, device);
  info.l2_bytes = static_cast<std::size_t>(l2);
  KSEARCH_CU_TRY(*this, cuDeviceTotalMem, &info.total_memory_bytes, device);
  // Peak DRAM bandwidth: double data rate at the peak memory clock [kHz] over the bus [bits]
  // (H100 SXM: 2619 MHz x 5120 bits = 3.35 TB/s). Unknown when the driver reports neither.
  int memory_khz = 0;
  int bus_bits = 0;
  if (api().cuDeviceGetAttribute(&memory_khz, CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, device) == CUDA_SUCCESS &&
      api().cuDeviceGetAttribute(&bus_bits, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH, device) == CUDA_SUCCESS) {
    info.dram_bandwidth_bytes_per_s = 2.0 * memory_khz * 1e3 * bus_bits / 8.0;
  }
  return info;
}

std::string cuda_driver::result_text(int cu_result) const {
  const auto status = static_cast<CUresult>(cu_result);
  const char* name = nullptr;
  const char* text = nullptr;
  // Both are resolved before any call that could fail is made, but a half-loaded table must still
  // produce a message rather than a crash.
  if (api_ != nullptr && api_->cuGetErrorName != nullptr) api_->cuGetErrorName(status, &name);
  if (api_ != nullptr && api_->cuGetErrorString != nullptr) api_->cuGetErrorString(status, &text);
  std::string out = name != nullptr ? name : "CUresult " + std::to_string(cu_result);
  if (text != nullptr) out += std::string(" (") + text + ")";
  return out;
}

std::string cuda_driver::describe_failure(const char* call, int cu_result) const {
  return std::string(call) + " failed: " + result_text(cu_result);
}

error cuda_driver::call_failed(const char* call, int cu_result) const {
  return error{call, result_text(cu_result), {}};
}

}  // namespace ksearch::eval
