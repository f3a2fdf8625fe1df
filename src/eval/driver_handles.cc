#include "ksearch/eval/driver_handles.h"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

namespace ksearch::eval {
namespace {

// Destructors cannot return an error, and a failing release (say, after a kernel fault made the
// context unusable) must not abort the search either: it is logged and the handle forgotten.
void log_release_failure(const cuda_driver& driver, const char* call, CUresult status) noexcept {
  if (status == CUDA_SUCCESS) return;
  try {
    spdlog::warn("{}", driver.describe_failure(call, static_cast<int>(status)));
  } catch (...) {  // logging is best effort here; the destructor must stay noexcept
  }
}

}  // namespace

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
    log_release_failure(*driver_, "cuCtxSetCurrent", api.cuCtxSetCurrent(nullptr));
  }
  log_release_failure(*driver_, "cuDevicePrimaryCtxRelease", api.cuDevicePrimaryCtxRelease(device_));
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

cuda_module::cuda_module(cuda_module&& other) noexcept
    : driver_(std::exchange(other.driver_, nullptr)), module_(std::exchange(other.module_, nullptr)) {}

cuda_module& cuda_module::operator=(cuda_module&& other) noexcept {
  if (this != &other) {
    reset();
    driver_ = std::exchange(other.driver_, nullptr);
    module_ = std::exchange(other.module_, nullptr);
  }
  return *this;
}

cuda_module::~cuda_module() { reset(); }

void cuda_module::reset() noexcept {
  if (module_ == nullptr) return;
  log_release_failure(*driver_, "cuModuleUnload", driver_->api().cuModuleUnload(module_));
  module_ = nullptr;
}

result<CUfunction> cuda_module::function(const char* name) const {
  CUfunction function = nullptr;
  if (const CUresult status = driver_->api().cuModuleGetFunction(&function, module_, name);
      status != CUDA_SUCCESS) {
    error failure = driver_->call_failed("cuModuleGetFunction", static_cast<int>(status));
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

device_buffer::device_buffer(device_buffer&& other) noexcept
    : driver_(std::exchange(other.driver_, nullptr)),
      pointer_(std::exchange(other.pointer_, 0)),
      bytes_(std::exchange(other.bytes_, 0)) {}

device_buffer& device_buffer::operator=(device_buffer&& other) noexcept {
  if (this != &other) {
    reset();
    driver_ = std::exchange(other.driver_, nullptr);
    pointer_ = std::exchange(other.pointer_, 0);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

device_buffer::~device_buffer() { reset(); }

void device_buffer::reset() noexcept {
  if (pointer_ == 0) return;
  log_release_failure(*driver_, "cuMemFree", driver_->api().cuMemFree(pointer_));
  pointer_ = 0;
  bytes_ = 0;
}

result<void> device_buffer::check_size(const char* operation, std::size_t bytes) const {
  if (bytes > bytes_) {
    return fail(operation, "copying " + std::to_string(bytes) + " bytes into or out of a " +
                               std::to_string(bytes_) + "-byte device buffer");
  }
  return {};
}

result<void> device_buffer::upload(const void* host, std::size_t bytes) const {
  if (auto fits = check_size("cuMemcpyHtoD", bytes); !fits) return fits;
  KSEARCH_CU_TRY(*driver_, cuMemcpyHtoD, pointer_, host, bytes);
  return {};
}

result<void> device_buffer::download(void* host, std::size_t bytes) const {
  if (auto fits = check_size("cuMemcpyDtoH", bytes); !fits) return fits;
  KSEARCH_CU_TRY(*driver_, cuMemcpyDtoH, host, pointer_, bytes);
  return {};
}

result<void> device_buffer::fill(unsigned char value) const {
  KSEARCH_CU_TRY(*driver_, cuMemsetD8, pointer_, value, bytes_);
  return {};
}

// ---- cuda_stream --------------------------------------------------------------------------------

result<cuda_stream> cuda_stream::create(const cuda_driver& driver, unsigned int flags) {
  CUstream stream = nullptr;
  KSEARCH_CU_TRY(driver, cuStreamCreate, &stream, flags);
  return cuda_stream(&driver, stream);
}

cuda_stream::cuda_stream(cuda_stream&& other) noexcept
    : driver_(std::exchange(other.driver_, nullptr)), stream_(std::exchange(other.stream_, nullptr)) {}

cuda_stream& cuda_stream::operator=(cuda_stream&& other) noexcept {
  if (this != &other) {
    reset();
    driver_ = std::exchange(other.driver_, nullptr);
    stream_ = std::exchange(other.stream_, nullptr);
  }
  return *this;
}

cuda_stream::~cuda_stream() { reset(); }

void cuda_stream::reset() noexcept {
  if (stream_ == nullptr) return;
  log_release_failure(*driver_, "cuStreamDestroy", driver_->api().cuStreamDestroy(stream_));
  stream_ = nullptr;
}

result<void> cuda_stream::synchronize() const {
  KSEARCH_CU_TRY(*driver_, cuStreamSynchronize, stream_);
  return {};
}

// ---- cuda_event ---------------------------------------------------------------------------------

result<cuda_event> cuda_event::create(const cuda_driver& driver, unsigned int flags) {
  CUevent event = nullptr;
  KSEARCH_CU_TRY(driver, cuEventCreate, &event, flags);
  return cuda_event(&driver, event);
}

cuda_event::cuda_event(cuda_event&& other) noexcept
    : driver_(std::exchange(other.driver_, nullptr)), event_(std::exchange(other.event_, nullptr)) {}

cuda_event& cuda_event::operator=(cuda_event&& other) noexcept {
  if (this != &other) {
    reset();
    driver_ = std::exchange(other.driver_, nullptr);
    event_ = std::exchange(other.event_, nullptr);
  }
  return *this;
}

cuda_event::~cuda_event() { reset(); }

void cuda_event::reset() noexcept {
  if (event_ == nullptr) return;
  log_release_failure(*driver_, "cuEventDestroy", driver_->api().cuEventDestroy(event_));
  event_ = nullptr;
}

result<void> cuda_event::record(CUstream stream) const {
  KSEARCH_CU_TRY(*driver_, cuEventRecord, event_, stream);
  return {};
}

result<void> cuda_event::synchronize() const {
  KSEARCH_CU_TRY(*driver_, cuEventSynchronize, event_);
  return {};
}

result<float> cuda_event::elapsed_ms(const cuda_event& start, const cuda_event& end) {
  float ms = 0;
  KSEARCH_CU_TRY(*start.driver_, cuEventElapsedTime, &ms, start.event_, end.event_);
  return ms;
}

}  // namespace ksearch::eval
