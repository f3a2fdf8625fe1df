#include "ksearch/eval/gpu/self_test.h"

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "ksearch/eval/gpu/detail/driver_api.h"
#include "ksearch/eval/gpu/driver_handles.h"

namespace ksearch::eval {
namespace {

constexpr const char* kKernelFile = "ksearch_self_test.cu";
constexpr const char* kKernelName = "ksearch_self_test_axpy";
constexpr const char* kKernelSource = R"(
extern "C" __global__ void ksearch_self_test_axpy(unsigned int n, float a, const float* x, float* y) {
  const unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}
)";

constexpr unsigned int kElements = 1u << 20;
constexpr unsigned int kBlockSize = 256;
constexpr float kScale = 3.0f;

// Small integers: every a*x+y below is an integer under 2^24, exact in float whether or not the
// compiler fuses it into an FMA, so the GPU's result must equal the host's bit for bit.
float x_value(unsigned int i) { return static_cast<float>(i % 1000); }
float y_value(unsigned int i) { return static_cast<float>(i % 512) - 256.0f; }

template <class T>
std::unexpected<error> forward(result<T>& failed) {
  return std::unexpected(std::move(failed.error()));
}

}  // namespace

result<compile_output> compile_self_test_kernel(const std::string& arch) {
  return compile_cuda(compile_request{.source = kKernelSource, .file_name = kKernelFile, .arch = arch,
                                      .extra_options = {}});
}

result<self_test_report> run_device_self_test(const cuda_driver& driver, int ordinal) {
  self_test_report report;

  // 1. Compile for this device.
  auto device = driver.describe_device(ordinal);
  if (!device) return forward(device);
  report.arch = device->nvrtc_arch();
  auto compiled = compile_self_test_kernel(report.arch);
  if (!compiled) return forward(compiled);
  report.compile_ms = compiled->compile_ms;

  // 2. Context. Declared before every other driver object so it is released after all of them.
  auto context = primary_context::retain(driver, ordinal);
  if (!context) return forward(context);
  if (auto current = context->make_current(); !current) return forward(current);

  // 3. Load the kernel.
  auto loaded = cuda_module::load(driver, compiled->cubin);
  if (!loaded) return forward(loaded);
  auto kernel = loaded->function(kKernelName);
  if (!kernel) return forward(kernel);

  // 4. Inputs on the host and the device.
  std::vector<float> x(kElements);
  std::vector<float> y(kElements);
  for (unsigned int i = 0; i < kElements; ++i) {
    x[i] = x_value(i);
    y[i] = y_value(i);
  }
  const std::size_t bytes = kElements * sizeof(float);
  auto x_device = device_buffer::allocate(driver, bytes);
  if (!x_device) return forward(x_device);
  auto y_device = device_buffer::allocate(driver, bytes);
  if (!y_device) return forward(y_device);
  if (auto copied = x_device->upload(x.data(), bytes); !copied) return forward(copied);
  if (auto copied = y_device->upload(y.data(), bytes); !copied) return forward(copied);

  // 5. Launch and wait.
  unsigned int n = kElements;
  float a = kScale;
  CUdeviceptr x_pointer = x_device->get();
  CUdeviceptr y_pointer = y_device->get();
  void* params[] = {&n, &a, &x_pointer, &y_pointer};
  const auto start = std::chrono::steady_clock::now();
  KSEARCH_CU_TRY(driver, cuLaunchKernel, *kernel, (kElements + kBlockSize - 1) / kBlockSize, 1, 1,
                 kBlockSize, 1, 1, 0, nullptr, params, nullptr);
  KSEARCH_CU_TRY(driver, cuCtxSynchronize);
  report.kernel_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  // 6. Compare with the host.
  std::vector<float> got(kElements);
  if (auto copied = y_device->download(got.data(), bytes); !copied) return forward(copied);
  std::size_t wrong = 0;
  std::size_t first_wrong = 0;
  for (unsigned int i = 0; i < kElements; ++i) {
    if (got[i] != kScale * x[i] + y[i] && wrong++ == 0) first_wrong = i;
  }
  if (wrong != 0) {
    return fail("self-test kernel (" + report.arch + ")",
                "y[" + std::to_string(first_wrong) + "] is " + std::to_string(got[first_wrong]) +
                    " on the GPU but " + std::to_string(kScale * x[first_wrong] + y[first_wrong]) +
                    " on the host; " + std::to_string(wrong) + " of " + std::to_string(kElements) +
                    " elements differ",
                "the toolkit, driver and device disagree: check that the driver supports this toolkit "
                "and that the GPU is healthy (nvidia-smi -q)");
  }
  report.elements = kElements;
  return report;
}

}  // namespace ksearch::eval
