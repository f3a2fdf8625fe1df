// ksearch/eval/gpu/shared_memory_scrub.h — fills every SM's shared memory with NaN bits.
//
// Shared memory is not cleared between kernels: a kernel that reads a slot it never wrote gets
// whatever the kernel before it left there, often zeros on an idle GPU, so a missing write (or a
// masked row that multiplies 0 by an unwritten value) can pass by luck and fail on another machine.
// Before each checked call the evaluator queues this scrub: a block per SM at the device's largest
// opt-in dynamic shared memory (carveout at its maximum) writes 0xFF into every byte, NaN in every
// floating type and -1 in integers, so such a read fails every time (eval/workload_evaluation.h).
//
// Thread-safety: one thread, with the context it was made in current.
#pragma once

#include <cstddef>
#include <string>

#include "ksearch/common/error.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/driver_handles.h"

namespace ksearch::eval {

class shared_memory_scrub {
 public:
  /// Compiles and loads the scrub kernel for `device` in the current context.
  [[nodiscard]] static result<shared_memory_scrub> create(const cuda_driver& driver, const device_info& device);

  /// Queues the scrub on `stream`; does not wait.
  [[nodiscard]] result<void> queue(CUstream stream) const;

  [[nodiscard]] std::size_t bytes_per_block() const { return bytes_; }

 private:
  shared_memory_scrub(const cuda_driver& driver, cuda_module module, CUfunction kernel, std::size_t bytes, int blocks)
      : driver_(&driver), module_(std::move(module)), kernel_(kernel), bytes_(bytes), blocks_(blocks) {}

  const cuda_driver* driver_;
  cuda_module module_;  // holds kernel_
  CUfunction kernel_ = nullptr;
  std::size_t bytes_ = 0;  // dynamic shared memory of each block
  int blocks_ = 0;
};

}  // namespace ksearch::eval
