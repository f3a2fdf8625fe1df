// ksearch/eval/gpu/detail/owned_handle.h — the one move-only owner behind cuda_module, device_buffer,
// cuda_stream and cuda_event (see driver_handles.h, which includes this).
#pragma once

#include <utility>

#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/detail/driver_api.h"

namespace ksearch::eval::detail {

/// Logs a failed release. Destructors cannot return an error, and a failing release (say, after a
/// kernel fault made the context unusable) must not abort the search: it is logged and forgotten.
void log_release_failure(const cuda_driver& driver, const char* call, CUresult status) noexcept;

/// Owns one driver handle: releases it exactly once (`Release::release(api, handle)`, logged as
/// `Release::call` on failure) and holds the null handle after being moved from. The driver that
/// made the handle must outlive the owner.
template <class Handle, class Release>
class owned_handle {
 public:
  owned_handle() = default;
  owned_handle(const cuda_driver* driver, Handle handle) : driver_(driver), handle_(handle) {}
  owned_handle(owned_handle&& other) noexcept
      : driver_(std::exchange(other.driver_, nullptr)), handle_(std::exchange(other.handle_, Handle{})) {}
  owned_handle& operator=(owned_handle&& other) noexcept {
    if (this != &other) {
      reset();
      driver_ = std::exchange(other.driver_, nullptr);
      handle_ = std::exchange(other.handle_, Handle{});
    }
    return *this;
  }
  owned_handle(const owned_handle&) = delete;
  owned_handle& operator=(const owned_handle&) = delete;
  ~owned_handle() { reset(); }

  void reset() noexcept {
    if (handle_ == Handle{}) return;
    log_release_failure(*driver_, Release::call, Release::release(driver_->api(), handle_));
    handle_ = Handle{};
  }

  [[nodiscard]] Handle get() const { return handle_; }
  [[nodiscard]] const cuda_driver& driver() const { return *driver_; }

 private:
  const cuda_driver* driver_ = nullptr;
  Handle handle_{};
};

struct module_release {
  static constexpr const char* call = "cuModuleUnload";
  static CUresult release(const driver_api& api, CUmodule m) { return api.cuModuleUnload(m); }
};
struct buffer_release {
  static constexpr const char* call = "cuMemFree";
  static CUresult release(const driver_api& api, CUdeviceptr p) { return api.cuMemFree(p); }
};
struct stream_release {
  static constexpr const char* call = "cuStreamDestroy";
  static CUresult release(const driver_api& api, CUstream s) { return api.cuStreamDestroy(s); }
};
struct event_release {
  static constexpr const char* call = "cuEventDestroy";
  static CUresult release(const driver_api& api, CUevent e) { return api.cuEventDestroy(e); }
};

}  // namespace ksearch::eval::detail
