#include "ksearch/eval/gpu/shared_memory_scrub.h"

#include <algorithm>

#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/eval/gpu/detail/driver_api.h"

namespace ksearch::eval {

namespace {

// Volatile stores: nothing reads the shared memory afterwards, so plain stores could be dropped.
constexpr const char* scrub_source = R"(
extern "C" __global__ void ksearch_smem_scrub(unsigned int words) {
  extern __shared__ unsigned int smem[];
  volatile unsigned int* slots = smem;
  for (unsigned int i = threadIdx.x; i < words; i += blockDim.x) slots[i] = 0xFFFFFFFFu;
}
)";
constexpr unsigned scrub_threads = 1024;
// Two waves of one block per SM (no two fit), so every SM runs at least one scrub block.
constexpr int waves = 2;

}  // namespace

result<shared_memory_scrub> shared_memory_scrub::create(const cuda_driver& driver, const device_info& device) {
  auto compiled = compile_cuda({.source = scrub_source, .file_name = "ksearch_smem_scrub.cu", .arch = device.nvrtc_arch(),
                                .extra_options = {}});
  if (!compiled) return std::unexpected(std::move(compiled.error()));
  auto module = cuda_module::load(driver, compiled->cubin);
  if (!module) return std::unexpected(std::move(module.error()));
  auto kernel = module->function("ksearch_smem_scrub");
  if (!kernel) return std::unexpected(std::move(kernel.error()));
  const std::size_t bytes = std::max<std::size_t>(device.max_smem_optin_bytes, 48 << 10) / 4 * 4;
  KSEARCH_CU_TRY(driver, cuFuncSetAttribute, *kernel, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                 static_cast<int>(bytes));
  KSEARCH_CU_TRY(driver, cuFuncSetAttribute, *kernel, CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT,
                 static_cast<int>(CU_SHAREDMEM_CARVEOUT_MAX_SHARED));
  return shared_memory_scrub(driver, std::move(*module), *kernel, bytes, std::max(1, device.sm_count) * waves);
}

result<void> shared_memory_scrub::queue(CUstream stream) const {
  unsigned int words = static_cast<unsigned int>(bytes_ / 4);
  void* params[] = {&words};
  KSEARCH_CU_TRY(*driver_, cuLaunchKernel, kernel_, static_cast<unsigned>(blocks_), 1, 1, scrub_threads, 1, 1,
                 static_cast<unsigned>(bytes_), stream, params, nullptr);
  return {};
}

}  // namespace ksearch::eval
