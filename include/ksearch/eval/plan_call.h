// ksearch/eval/plan_call.h — one call of a solution: its buffers and its launches, queued on a stream.
//
// A call of a solution is its resolved launch plan (eval/plan/launch_plan.h) replayed on device buffers:
// the definition's tensors (inputs shared by reference and candidate, outputs per solution) and
// the plan's workspaces. queue_call puts the workspace initialisation and every step (memsets and
// kernel launches, clustered or cooperative ones through cuLaunchKernelEx) on a stream without
// waiting; the helpers around it allocate, poison, synchronise and download.
//
// Thread-safety: one thread (the evaluator's), with the context current.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/check/dtype.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/driver_handles.h"
#include "ksearch/eval/loaded_solution.h"
#include "ksearch/eval/plan/launch_plan.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::eval {

struct tensor_buffer {
  std::string name;
  dtype type = dtype::float32;
  std::size_t count = 0;
  device_buffer buffer;
  [[nodiscard]] std::size_t bytes() const { return count * size_bytes(type); }
};

// Device pointers of one call, in plan order.
struct call_buffers {
  const std::vector<tensor_buffer>* inputs;
  const std::vector<tensor_buffer>* outputs;
  const std::vector<device_buffer>* workspaces;
};

/// A buffer per tensor of `specs` (scalars skipped) sized for workload `w`; never 0 bytes.
[[nodiscard]] result<std::vector<tensor_buffer>> allocate_tensors(const cuda_driver& driver,
                                                                  const std::vector<tasks::tensor_spec>& specs,
                                                                  const tasks::workload& w);
/// A buffer per workspace of the resolved plan; the error names the workspace and its size.
[[nodiscard]] result<std::vector<device_buffer>> allocate_workspaces(const cuda_driver& driver, const resolved_plan& plan);

/// Queues one call of the solution on `stream`: workspace initialisation, then the steps.
[[nodiscard]] result<void> queue_call(const cuda_driver& driver, const loaded_solution& solution,
                                      const resolved_plan& plan, const call_buffers& b, CUstream stream);

[[nodiscard]] result<void> synchronize(const cuda_driver& driver, CUstream stream);
/// Every tensor's bytes, copied to the host (after a synchronize).
[[nodiscard]] result<std::vector<std::vector<std::byte>>> download(const std::vector<tensor_buffer>& tensors);
/// Fills every tensor with `byte` on `stream`.
[[nodiscard]] result<void> poison(const std::vector<tensor_buffer>& tensors, std::uint8_t byte, CUstream stream,
                                  const cuda_driver& driver);
/// Fills every workspace the plan does not initialise (`init` unset) with `byte` on `stream`: a
/// call that reads one before writing it reads garbage, not what an earlier call left.
[[nodiscard]] result<void> poison_uninitialised(const resolved_plan& plan, const std::vector<device_buffer>& workspaces,
                                                std::uint8_t byte, CUstream stream, const cuda_driver& driver);

}  // namespace ksearch::eval
