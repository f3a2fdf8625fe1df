#include "ksearch/eval/plan_call.h"

#include <algorithm>
#include <array>

#include "ksearch/eval/gpu/detail/driver_api.h"

namespace ksearch::eval {

namespace {

CUdeviceptr pointer_of(const resolved_arg& arg, const call_buffers& b) {
  switch (arg.kind) {
    case arg_kind::input: return (*b.inputs)[static_cast<std::size_t>(arg.index)].buffer.get();
    case arg_kind::output: return (*b.outputs)[static_cast<std::size_t>(arg.index)].buffer.get();
    case arg_kind::workspace: return (*b.workspaces)[static_cast<std::size_t>(arg.index)].get();
    case arg_kind::scalar: break;
  }
  return 0;
}

}  // namespace

result<std::vector<tensor_buffer>> allocate_tensors(const cuda_driver& driver, const std::vector<tasks::tensor_spec>& specs,
                                                    const tasks::workload& w) {
  std::vector<tensor_buffer> out;
  for (const tasks::tensor_spec& spec : specs) {
    if (spec.is_scalar()) continue;
    auto type = dtype_from_name(spec.dtype, spec.name);
    if (!type) return std::unexpected(type.error());
    const auto count = static_cast<std::size_t>(tasks::element_count(spec, w));
    // cuMemAlloc refuses 0 bytes; an empty tensor still gets a valid (unused) pointer.
    auto buffer = device_buffer::allocate(driver, std::max<std::size_t>(count * size_bytes(*type), 1));
    if (!buffer) return std::unexpected(buffer.error());
    out.push_back(tensor_buffer{spec.name, *type, count, std::move(*buffer)});
  }
  return out;
}

result<std::vector<device_buffer>> allocate_workspaces(const cuda_driver& driver, const resolved_plan& plan) {
  std::vector<device_buffer> out;
  for (const resolved_workspace& ws : plan.workspaces) {
    auto buffer = device_buffer::allocate(driver, static_cast<std::size_t>(ws.bytes));
    if (!buffer) {
      error e = buffer.error();
      e.subject = "workspace '" + ws.name + "' (" + std::to_string(ws.bytes) + " bytes)";
      return std::unexpected(std::move(e));
    }
    out.push_back(std::move(*buffer));
  }
  return out;
}

result<void> queue_call(const cuda_driver& driver, const loaded_solution& solution, const resolved_plan& plan,
                        const call_buffers& b, CUstream stream) {
  for (std::size_t i = 0; i < plan.workspaces.size(); ++i) {
    if (!plan.workspaces[i].init) continue;
    KSEARCH_CU_TRY(driver, cuMemsetD8Async, (*b.workspaces)[i].get(), *plan.workspaces[i].init,
                   static_cast<std::size_t>(plan.workspaces[i].bytes), stream);
  }
  for (const resolved_step& step : plan.steps) {
    const std::string where = "steps[" + std::to_string(step.plan_step) + "]";
    if (step.kind == step_kind::memset) {
      const bool output = step.target_kind == arg_kind::output;
      const std::size_t index = static_cast<std::size_t>(step.target_index);
      const CUdeviceptr target = output ? (*b.outputs)[index].buffer.get() : (*b.workspaces)[index].get();
      const std::size_t bytes = output ? (*b.outputs)[index].bytes() : (*b.workspaces)[index].size();
      KSEARCH_CU_TRY(driver, cuMemsetD8Async, target, step.value, bytes, stream);
      continue;
    }
    std::vector<CUdeviceptr> pointers(step.args.size());
    std::vector<void*> params(step.args.size());
    for (std::size_t i = 0; i < step.args.size(); ++i) {
      const resolved_arg& arg = step.args[i];
      if (arg.kind == arg_kind::scalar) {
        // The launch only reads the parameter bytes; cuLaunchKernel's API is not const-correct.
        params[i] = const_cast<std::byte*>(arg.bytes.data());
      } else {
        pointers[i] = pointer_of(arg, b);
        params[i] = &pointers[i];
      }
    }
    const CUfunction function = solution.functions.at(step.kernel);
    CUresult status = CUDA_SUCCESS;
    const bool clustered = step.cluster != std::array<std::uint32_t, 3>{1, 1, 1};
    if (clustered || step.cooperative) {
      CUlaunchAttribute attributes[2] = {};
      unsigned count = 0;
      if (clustered) {
        attributes[count].id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
        attributes[count].value.clusterDim = {step.cluster[0], step.cluster[1], step.cluster[2]};
        ++count;
      }
      if (step.cooperative) {
        attributes[count].id = CU_LAUNCH_ATTRIBUTE_COOPERATIVE;
        attributes[count].value.cooperative = 1;
        ++count;
      }
      CUlaunchConfig config = {};
      config.gridDimX = step.grid[0];
      config.gridDimY = step.grid[1];
      config.gridDimZ = step.grid[2];
      config.blockDimX = step.block[0];
      config.blockDimY = step.block[1];
      config.blockDimZ = step.block[2];
      config.sharedMemBytes = step.dyn_smem;
      config.hStream = stream;
      config.attrs = attributes;
      config.numAttrs = count;
      status = driver.api().cuLaunchKernelEx(&config, function, params.data(), nullptr);
    } else {
      status = driver.api().cuLaunchKernel(function, step.grid[0], step.grid[1], step.grid[2], step.block[0],
                                           step.block[1], step.block[2], step.dyn_smem, stream, params.data(), nullptr);
    }
    if (status != CUDA_SUCCESS) {
      error e = driver.call_failed(clustered || step.cooperative ? "cuLaunchKernelEx" : "cuLaunchKernel", static_cast<int>(status));
      e.subject = where + " (kernel '" + step.kernel + "'): " + e.subject;
      return std::unexpected(std::move(e));
    }
  }
  return {};
}

result<void> synchronize(const cuda_driver& driver, CUstream stream) {
  KSEARCH_CU_TRY(driver, cuStreamSynchronize, stream);
  return {};
}

result<std::vector<std::vector<std::byte>>> download(const std::vector<tensor_buffer>& tensors) {
  std::vector<std::vector<std::byte>> host;
  for (const tensor_buffer& t : tensors) {
    std::vector<std::byte> bytes(t.bytes());
    if (!bytes.empty()) {
      if (auto copied = t.buffer.download(bytes.data(), bytes.size()); !copied) return std::unexpected(copied.error());
    }
    host.push_back(std::move(bytes));
  }
  return host;
}

result<void> poison(const std::vector<tensor_buffer>& tensors, std::uint8_t byte, CUstream stream,
                    const cuda_driver& driver) {
  for (const tensor_buffer& t : tensors) {
    KSEARCH_CU_TRY(driver, cuMemsetD8Async, t.buffer.get(), byte, t.bytes(), stream);
  }
  return {};
}

result<void> poison_uninitialised(const resolved_plan& plan, const std::vector<device_buffer>& workspaces,
                                  std::uint8_t byte, CUstream stream, const cuda_driver& driver) {
  for (std::size_t i = 0; i < plan.workspaces.size() && i < workspaces.size(); ++i) {
    if (plan.workspaces[i].init) continue;
    KSEARCH_CU_TRY(driver, cuMemsetD8Async, workspaces[i].get(), byte, workspaces[i].size(), stream);
  }
  return {};
}

}  // namespace ksearch::eval
