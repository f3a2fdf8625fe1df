// ksearch/eval/gpu/driver_handles.h — move-only owners of driver objects: a retained primary context,
// a loaded module, a device buffer, a stream and an event.
//
// Each owner is made by a static function returning result<owner> (the error names the driver
// call), releases its handle exactly once in a noexcept destructor (a failing release is logged,
// never thrown) and holds nothing after being moved from. Every owner keeps a pointer to the
// cuda_driver that made it: the driver must outlive it.
//
// Contexts: modules, buffers, streams and events are made in the context current on the calling
// thread, and must be destroyed before the primary_context that holds that context is released.
// Declaring the primary_context first in a scope gives that order.
//
// Thread-safety: an owner is used by one thread at a time.
#pragma once

#include <cstddef>
#include <string_view>

#include "ksearch/common/error.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/detail/driver_api.h"
#include "ksearch/eval/gpu/detail/owned_handle.h"

namespace ksearch::eval {

/// A reference on a device's primary context (the context the CUDA runtime also uses).
class primary_context {
 public:
  /// Retains device `ordinal`'s primary context; does not make it current.
  [[nodiscard]] static result<primary_context> retain(const cuda_driver& driver, int ordinal);

  primary_context(primary_context&& other) noexcept;
  primary_context& operator=(primary_context&& other) noexcept;
  primary_context(const primary_context&) = delete;
  primary_context& operator=(const primary_context&) = delete;
  /// Releases the reference; if the context is current on this thread it is unset first, so the
  /// thread is not left with a context that may be torn down.
  ~primary_context();

  /// Makes the context current on the calling thread.
  [[nodiscard]] result<void> make_current() const;
  [[nodiscard]] CUcontext get() const { return context_; }
  [[nodiscard]] CUdevice device() const { return device_; }

 private:
  primary_context(const cuda_driver* driver, CUdevice device, CUcontext context)
      : driver_(driver), device_(device), context_(context) {}
  void reset() noexcept;

  const cuda_driver* driver_ = nullptr;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
};

/// A module loaded from a cubin into the current context.
class cuda_module {
 public:
  /// Loads `image` (a cubin, as compile_cuda returns it) with cuModuleLoadData.
  [[nodiscard]] static result<cuda_module> load(const cuda_driver& driver, std::string_view image);

  /// The kernel named `name` (an extern "C" name, or a mangled one). The handle lives as long as
  /// the module.
  [[nodiscard]] result<CUfunction> function(const char* name) const;
  [[nodiscard]] CUmodule get() const { return module_.get(); }

 private:
  cuda_module(const cuda_driver* driver, CUmodule loaded) : module_(driver, loaded) {}

  detail::owned_handle<CUmodule, detail::module_release> module_;
};

/// Device memory from cuMemAlloc, with synchronous copies in and out.
class device_buffer {
 public:
  /// Allocates `bytes` (> 0) in the current context.
  [[nodiscard]] static result<device_buffer> allocate(const cuda_driver& driver, std::size_t bytes);

  /// Copies `bytes` from `host` to the start of the buffer; `bytes` must not exceed size().
  [[nodiscard]] result<void> upload(const void* host, std::size_t bytes) const;
  /// Copies `bytes` from the start of the buffer to `host`; `bytes` must not exceed size().
  [[nodiscard]] result<void> download(void* host, std::size_t bytes) const;
  /// Sets every byte of the buffer to `value`.
  [[nodiscard]] result<void> fill(unsigned char value) const;

  [[nodiscard]] CUdeviceptr get() const { return pointer_.get(); }
  /// Size in bytes; 0 once moved from.
  [[nodiscard]] std::size_t size() const { return pointer_.get() == 0 ? 0 : bytes_; }

 private:
  device_buffer(const cuda_driver* driver, CUdeviceptr pointer, std::size_t bytes)
      : pointer_(driver, pointer), bytes_(bytes) {}
  [[nodiscard]] result<void> check_size(const char* operation, std::size_t bytes) const;

  detail::owned_handle<CUdeviceptr, detail::buffer_release> pointer_;
  std::size_t bytes_ = 0;
};

/// A stream of the current context.
class cuda_stream {
 public:
  /// `flags` as for cuStreamCreate (CU_STREAM_DEFAULT or CU_STREAM_NON_BLOCKING).
  [[nodiscard]] static result<cuda_stream> create(const cuda_driver& driver,
                                                  unsigned int flags = CU_STREAM_DEFAULT);

  /// Waits until all work queued on the stream has finished.
  [[nodiscard]] result<void> synchronize() const;
  [[nodiscard]] CUstream get() const { return stream_.get(); }

 private:
  cuda_stream(const cuda_driver* driver, CUstream stream) : stream_(driver, stream) {}

  detail::owned_handle<CUstream, detail::stream_release> stream_;
};

/// An event of the current context, for timing work on a stream.
class cuda_event {
 public:
  /// `flags` as for cuEventCreate; the default records timing.
  [[nodiscard]] static result<cuda_event> create(const cuda_driver& driver,
                                                 unsigned int flags = CU_EVENT_DEFAULT);

  /// Queues the event on `stream` (null: the context's default stream).
  [[nodiscard]] result<void> record(CUstream stream) const;
  /// Waits until the event has completed.
  [[nodiscard]] result<void> synchronize() const;
  /// GPU time from `start` to `end`, both recorded and completed [milliseconds].
  [[nodiscard]] static result<float> elapsed_ms(const cuda_event& start, const cuda_event& end);
  [[nodiscard]] CUevent get() const { return event_.get(); }

 private:
  cuda_event(const cuda_driver* driver, CUevent event) : event_(driver, event) {}

  detail::owned_handle<CUevent, detail::event_release> event_;
};

}  // namespace ksearch::eval
