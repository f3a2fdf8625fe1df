// ksearch/eval/check/input_generator.h — random inputs drawn on the GPU, and input checksums.
//
// By default inputs are drawn as FlashInfer-Bench draws them (docs/task-formats.md,
// "FlashInfer-Bench: inputs"): floating types from N(0,1), fp8 from N(0,1) clamped to [-2, 2]
// then converted (saturating, round to nearest even), bool from {0, 1}, int8 uniform in
// [-128, 128), uint8 in [0, 256), other integers uniform in [-1024, 1024). A workload may name
// another distribution for an input
// (tasks/value_distribution.h): normal, cauchy, uniform, randint or a constant, drawn in float32
// and rounded to the dtype. The generator is counter-based (a 64-bit mix of seed and element
// index), so a (seed, element) pair always gives the same value, on any GPU and any launch shape; values differ
// from PyTorch's, the distributions do not.
//
// The checksum is an order-independent hash of a buffer's bytes with their positions; the
// evaluator takes it before and after a candidate's call to prove the inputs were not written.
//
// The kernels are harness code, compiled once per generator with NVRTC. Thread-safety: one
// generator per thread (it owns a scratch buffer); the context it was made in must be current.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ksearch/common/error.h"
#include "ksearch/eval/check/dtype.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/driver_handles.h"
#include "ksearch/tasks/value_distribution.h"

namespace ksearch::eval {

class input_generator {
 public:
  /// Compiles and loads the generator kernels for `arch` in the current context.
  [[nodiscard]] static result<input_generator> create(const cuda_driver& driver, const std::string& arch,
                                                      int num_sms);

  /// Fills `count` elements of `type` at `pointer` with the distribution above for `seed`. Queued
  /// on `stream`; does not wait.
  [[nodiscard]] result<void> fill(CUdeviceptr pointer, dtype type, std::size_t count, std::uint64_t seed,
                                  CUstream stream, const tasks::value_distribution& distribution = {}) const;

  /// Hash of `bytes` bytes at `pointer` (waits for `stream`).
  [[nodiscard]] result<std::uint64_t> checksum(CUdeviceptr pointer, std::size_t bytes, CUstream stream) const;

 private:
  input_generator(const cuda_driver& driver, cuda_module module, device_buffer scratch, int num_sms)
      : driver_(&driver), module_(std::move(module)), scratch_(std::move(scratch)), num_sms_(num_sms) {}
  // A named distribution (not the dtype's default draw); integer types take randint and constant.
  [[nodiscard]] result<void> fill_distribution(CUdeviceptr pointer, dtype type, std::size_t count, std::uint64_t seed,
                                               CUstream stream, const tasks::value_distribution& distribution) const;
  [[nodiscard]] result<void> launch(const char* kernel, std::size_t work_items, void** params, CUstream stream) const;

  const cuda_driver* driver_;
  cuda_module module_;
  device_buffer scratch_;  // 8 bytes: the checksum accumulator
  int num_sms_ = 0;
};

}  // namespace ksearch::eval
