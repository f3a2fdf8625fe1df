#include "ksearch/eval/gpu/driver_handles.h"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

namespace ksearch::eval {

void detail::log_release_failure(const cuda_driver& driver, const char* call, CUresult status) noexcept {
  if (status == CUDA_SUCCESS) return;
  try {
    spdlog::warn("{}", driver.describe_failure(call, static_cast<int>(status)));
  } catch (...) {  // logging is best effort here; the destructor must stay noexcept
  }
}

// ---- primary_context ----------------------------------------------------------------------------

result<primary_context> primary_context::retain(const cuda_driver& driver, int ordinal) {
  CUdevice device = 0;
  KSEARCH_CU_TRY(driver, cuDeviceGet, &device, ordinal);
  CUcontext context = nullptr;
  KSEARCH_CU_TRY(driver, cuDevicePrimaryCtxRetain, &context, device);
  return primary_context(&driver, device, context);
}

primary_context::primary_context(primary_context&& other) noexcept
    : driver_(std::exchange(other.driver_, nullptr)),
      device_(std::exchange(other.device_, 0)),
      context_(std::exchange(other.context_, nullptr)) {}

primary_context& primary_context::operator=(primary_context&& other) noexcept {
  if (this != &other) {
    reset();
    driver_ = std::exchange(other.driver_, nullptr);
    device_ = std::exchange(other.device_, 0);
    context_ = std::exchange(other.context_, nullptr);
  }
  return *this;
}

primary_context::~primary_context() { reset(); }

void primary_context::reset() noexcept {
  if (context_ == nullptr) return;
  const detail::driver_api& api = driver_->api();
  CUcontext current = nullptr;
  if (api.cuCtxGetCurrent(&current) == CUDA_SUCCESS && current == context_) {
    detail::log_release_failure(*driver_, "cuCtxSetCurrent", api.cuCtxSetCurrent(nullptr));
  }
  detail::log_release_failure(*driver_, "cuDevicePrimaryCtxRelease", api.cuDevicePrimaryCtxRelease(device_));
  context_ = nullptr;
}

result<void> primary_context::make_current() const {
  KSEARCH_CU_TRY(*driver_, cuCtxSetCurrent, context_);
  return {};
}

// ---- cuda_module --------------------------------------------------------------------------------

result<cuda_module> cuda_module::load(const cuda_driver& driver, std::string_view image) {
  if (image.empty()) return fail("cuModuleLoadData", "the module image is empty");
  CUmodule loaded = nullptr;
  KSEARCH_CU_TRY(driver, cuModuleLoadData, &loaded, image.data());
  return cuda_module(&driver, loaded);
}

result<CUfunction> cuda_module::function(const char* name) const {
  CUfunction function = nullptr;
  if (const CUresult status = module_.driver().api().cuModuleGetFunction(&function, module_.get(), name);
      status != CUDA_SUCCESS) {
    error failure = module_.driver().call_failed("cuModuleGetFunction", static_cast<int>(status));
    failure.problem += std::string(" looking up kernel '") + name + "'";
    failure.fix = "declare the kernel extern \"C\" __global__ so its name is not mangled";
    return std::unexpected(std::move(failure));
  }
  return function;
}

// ---- device_buffer ------------------------------------------------------------------------------

result<device_buffer> device_buffer::allocate(const cuda_driver& driver, std::size_t bytes) {
  // cuMemAlloc rejects 0 bytes with a bare CUDA_ERROR_INVALID_VALUE; say what was wrong instead.
  if (bytes == 0) return fail("cuMemAlloc", "asked for 0 bytes");
  CUdeviceptr pointer = 0;
  KSEARCH_CU_TRY(driver, cuMemAlloc, &pointer, bytes);
  return device_buffer(&driver, pointer, bytes);
}

result<void> device_buffer::check_size(const char* operation, std::size_t bytes) const {
  if (bytes > size()) {
    return fail(operation, "copying " + std::to_string(bytes) + " bytes into or out of a " +
                               std::to_string(size()) + "-byte device buffer");
  }
  return {};
}

result<void> device_buffer::upload(const void* host, std::size_t bytes) const {
  if (auto fits = check_size("cuMemcpyHtoD", bytes); !fits) return fits;
  KSEARCH_CU_TRY(pointer_.driver(), cuMemcpyHtoD, pointer_.get(), host, bytes);
  return {};
}

result<void> device_buffer::download(void* host, std::size_t bytes) const {
  if (auto fits = check_size("cuMemcpyDtoH", bytes); !fits) return fits;
  KSEARCH_CU_TRY(pointer_.driver(), cuMemcpyDtoH, host, pointer_.get(), bytes);
  return {};
}

result<void> device_buffer::fill(unsigned char value) const {
  KSEARCH_CU_TRY(pointer_.driver(), cuMemsetD8, pointer_.get(), value, bytes_);
  return {};
}

// ---- cuda_stream --------------------------------------------------------------------------------

result<cuda_stream> cuda_stream::create(const cuda_driver& driver, unsigned int flags) {
  CUstream stream = nullptr;
  KSEARCH_CU_TRY(driver, cuStreamCreate, &stream, flags);
  return cuda_stream(&driver, stream);
}

result<void> cuda_stream::synchronize() const {
  KSEARCH_CU_TRY(stream_.driver(), cuStreamSynchronize, stream_.get());
  return {};
}

// ---- cuda_event ---------------------------------------------------------------------------------

result<cuda_event> cuda_event::create(const cuda_driver& driver, unsigned int flags) {
  CUevent event = nullptr;
  KSEARCH_CU_TRY(driver, cuEventCreate, &event, flags);
  return cuda_event(&driver, event);
}

result<void> cuda_event::record(CUstream stream) const {
  KSEARCH_CU_TRY(event_.driver(), cuEventRecord, event_.get(), stream);
  return {};
}

result<void> cuda_event::synchronize() const {
  KSEARCH_CU_TRY(event_.driver(), cuEventSynchronize, event_.get());
  return {};
}

result<float> cuda_event::elapsed_ms(const cuda_event& start, const cuda_event& end) {
  float ms = 0;
  KSEARCH_CU_TRY(start.event_.driver(), cuEventElapsedTime, &ms, start.event_.get(), end.event_.get());
  return ms;
}

}  // namespace ksearch::eval
