// Implementation details
//
// evaluate_workload() outlines the work per workload in named steps: resolve, allocate,
// correctness trials, timing, final check, physics check. Buffers: one set of tensor inputs
// shared by both solutions (drawn on the GPU per trial), separate outputs for the reference and
// the candidate, and each solution's own workspaces. The candidate's outputs are filled with poison
// bytes (0xFF, NaN in every floating type, and 0x5A in turn) before every checked call, so an
// element it does not write fails the comparison.
//
// Compiled cubins are kept per worker, keyed by the exact source and architecture: the reference
// (the same in every request of a search) is compiled once per worker, not once per candidate.
// Behind that map sits the on-disk cubin cache (eval/cubin_cache.h), which survives a worker's
// restart and a resumed search. When neither solution is in the map, the reference compiles on a
// second thread while the candidate compiles on this one (std::async: only the first request of a
// worker pays for the thread, and an idle pool would be kept alive in every worker for nothing).
//
// Timing runs on a fresh input set (its own seed) whose reference outputs are computed first and
// whose candidate outputs are poisoned before the first timed call: a kernel that replays a cached
// result, or works only on its first call, leaves wrong or NaN values that the final check sees.

#include "ksearch/eval/evaluator.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

#include "ksearch/eval/compare.h"
#include "ksearch/eval/cubin_cache.h"
#include "ksearch/eval/cuda_driver.h"
#include "ksearch/eval/detail/driver_api.h"
#include "ksearch/eval/driver_handles.h"
#include "ksearch/eval/dtype.h"
#include "ksearch/eval/gpu_timer.h"
#include "ksearch/eval/input_generator.h"
#include "ksearch/eval/launch_plan.h"
#include "ksearch/eval/nvrtc_compiler.h"
#include "ksearch/eval/reference_oracle.h"
#include "ksearch/tasks/fixed_inputs.h"

namespace ksearch::eval {

using nlohmann::json;

struct evaluator::session {
  std::shared_ptr<const cuda_driver> driver;
  device_info device;
  primary_context context;
  input_generator generator;
  gpu_timer timer;
  std::map<std::string, compile_output> compiled;  // key: arch + '\n' + source
  std::unique_ptr<cubin_cache> disk_cache;         // null when KSEARCH_CUBIN_CACHE=off
  std::unique_ptr<reference_oracle> oracle;        // kept across requests: starting torch is slow
  std::string oracle_key;                          // what `oracle` was started for
};

namespace {

// Output poison, alternating between checked calls. 0xFF is NaN in every floating type but -1 in
// integers, which a real -1 in the reference would match; 0x5A gives other values in every type
// (2^54-ish floats, 0x5A5A... integers), so an unwritten element fails in at least one trial.
constexpr std::array<std::uint8_t, 2> poison_bytes{0xFF, 0x5A};
constexpr std::uint32_t default_smem_limit = 48 * 1024;  // dynamic smem allowed without opt-in [bytes]

// Device memory bandwidth for the physics floor when the config gives none [bytes/s]: the
// datasheets' (H100 SXM 3.35 TB/s, H200 4.8 TB/s); anything else gets a generous 8 TB/s, so the
// check can only be too lenient, never fail an honest kernel.
double default_peak_bandwidth(const device_info& device) {
  if (device.name.find("H200") != std::string::npos) return 4.8e12;
  if (device.name.find("H100") != std::string::npos) return 3.35e12;
  return 8e12;
}

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t trial_seed(std::uint64_t base, const std::string& uuid, std::uint64_t trial) {
  std::uint64_t h = mix64(base);
  for (unsigned char c : uuid) h = mix64(h ^ c);
  return mix64(h ^ (trial + 1));
}

struct loaded_solution {
  compile_output compiled;
  cuda_module module;
  std::map<std::string, CUfunction, std::less<>> functions;
  launch_plan plan;
};


// `source`'s cubin from an earlier identical compile in this worker (compile_ms 0, from_cache).
std::optional<compile_output> recall(const std::map<std::string, compile_output>& cache, const std::string& source,
                                     const std::string& arch) {
  auto hit = cache.find(arch + "\n" + source);
  if (hit == cache.end()) return std::nullopt;
  compile_output cached = hit->second;
  cached.compile_ms = 0;  // nothing was compiled this time
  cached.from_cache = true;
  return cached;
}

// Keeps a successful compile for recall. Failures are not kept: they are cheap to repeat and rare
// to repeat.
void remember(std::map<std::string, compile_output>& cache, const std::string& source, const std::string& arch,
              const result<compile_output>& compiled) {
  constexpr std::size_t max_entries = 256;  // a long search: drop everything rather than grow without end
  if (!compiled) return;
  if (cache.size() >= max_entries) cache.clear();
  cache.insert_or_assign(arch + "\n" + source, *compiled);
}

// Compiles `source`, or takes the cubin from this worker's memory, then from the disk cache (`disk`
// may be null).
result<compile_output> compile_cached(std::map<std::string, compile_output>& cache, cubin_cache* disk,
                                      const std::string& source, const std::string& arch) {
  if (auto hit = recall(cache, source, arch)) return std::move(*hit);
  auto compiled =
      eval::compile_cached({.source = source, .file_name = "kernel.cu", .arch = arch, .extra_options = {}}, disk);
  remember(cache, source, arch, compiled);
  return compiled;
}

// The reference's and the candidate's compiles, both at once when neither is in this worker's memory
// (NVRTC programs are independent). Only this thread touches `cache`.
std::array<result<compile_output>, 2> compile_pair(std::map<std::string, compile_output>& cache, cubin_cache* disk,
                                                   const std::string& reference, const std::string& candidate,
                                                   const std::string& arch) {
  const bool both_miss = reference != candidate && !cache.contains(arch + "\n" + reference) &&
                         !cache.contains(arch + "\n" + candidate);
  std::future<result<compile_output>> reference_job;
  if (both_miss) {
    try {
      reference_job = std::async(std::launch::async, [disk, &reference, &arch] {
        return eval::compile_cached({.source = reference, .file_name = "kernel.cu", .arch = arch, .extra_options = {}},
                                    disk);
      });
    } catch (const std::system_error&) {
      // No thread to be had: compile one after the other below.
    }
  }
  if (!reference_job.valid()) {
    auto first = compile_cached(cache, disk, reference, arch);
    return {std::move(first), compile_cached(cache, disk, candidate, arch)};
  }
  auto second = compile_cached(cache, disk, candidate, arch);
  auto first = reference_job.get();
  remember(cache, reference, arch, first);
  return {std::move(first), std::move(second)};
}

// Loads the compiled solution and finds every kernel its plan names. Any failure is the solution's
// own (COMPILE_ERROR for a candidate); a broken plan is reported before a failed compile.
// Each launch's arguments against the kernel's real parameters (count and byte sizes, from
// cuFuncGetParamInfo): a plan that passes an i32 where the kernel takes a long long, or one
// argument too few, would otherwise launch with garbage in the missing bytes.
result<void> check_arguments(const cuda_driver& driver, const loaded_solution& solution) {
  std::string problems;
  for (std::size_t s = 0; s < solution.plan.steps.size(); ++s) {
    const plan_step& step = solution.plan.steps[s];
    if (step.kind != step_kind::launch) continue;
    const CUfunction function = solution.functions.at(step.kernel);
    std::vector<std::size_t> sizes;
    constexpr std::size_t max_params = 4096;  // a kernel's parameter space is at most 32 KB
    for (std::size_t i = 0; i < max_params; ++i) {
      std::size_t offset = 0, size = 0;
      const CUresult status = driver.api().cuFuncGetParamInfo(function, i, &offset, &size);
      if (status == CUDA_ERROR_INVALID_VALUE) break;  // past the last parameter
      if (status != CUDA_SUCCESS) return std::unexpected(driver.call_failed("cuFuncGetParamInfo", static_cast<int>(status)));
      sizes.push_back(size);
    }
    const std::string where = "steps[" + std::to_string(s) + "] ('" + step.kernel + "')";
    if (sizes.size() != step.args.size()) {
      problems += where + ": passes " + std::to_string(step.args.size()) + " arguments, the kernel takes " +
                  std::to_string(sizes.size()) + " parameters\n";
      continue;
    }
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const plan_arg& arg = step.args[i];
      const std::size_t passed = arg.kind == arg_kind::scalar ? byte_size(arg.type) : sizeof(CUdeviceptr);
      if (passed == sizes[i]) continue;
      const std::string what = arg.kind == arg_kind::scalar ? std::string(to_string(arg.type)) : std::string("a pointer");
      problems += where + ": argument " + std::to_string(i + 1) + " is " + what + " (" + std::to_string(passed) +
                  " bytes), but parameter " + std::to_string(i + 1) + " of the kernel is " + std::to_string(sizes[i]) +
                  " bytes\n";
    }
  }
  if (problems.empty()) return {};
  problems.pop_back();
  return fail("launch plan", "arguments do not match the kernels' parameters:\n" + problems,
              "pass one argument per kernel parameter, with the scalar type of its C type (i32 for int, i64 for long long, "
              "f32 for float)");
}

result<loaded_solution> load_solution(const cuda_driver& driver, result<compile_output> compiled,
                                      const solution_code& code, const plan_interface& iface) {
  auto plan = parse_launch_plan_text(code.plan_json, iface);
  if (!plan) return std::unexpected(plan.error());
  if (!compiled) return std::unexpected(compiled.error());
  auto module = cuda_module::load(driver, compiled->cubin);
  if (!module) return std::unexpected(module.error());
  loaded_solution solution{.compiled = std::move(*compiled), .module = std::move(*module), .functions = {},
                           .plan = std::move(*plan)};
  for (const std::string& name : kernel_names(solution.plan)) {
    auto function = solution.module.function(name.c_str());
    if (!function) {
      error e = function.error();
      e.subject = "launch plan";
      e.problem = "kernel '" + name + "' is not in kernel.cu: " + e.problem;
      return std::unexpected(std::move(e));
    }
    solution.functions.emplace(name, *function);
  }
  if (auto checked = check_arguments(driver, solution); !checked) return std::unexpected(checked.error());
  return solution;
}

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

// Raises each kernel's dynamic shared memory limit to what its launches ask for. The 48 KB a
// kernel gets without opting in covers static and dynamic shared memory together, so a kernel with
// 256 bytes of static arrays needs the opt-in for 48 KB of dynamic memory already.
result<void> opt_in_shared_memory(const cuda_driver& driver, const loaded_solution& solution, const resolved_plan& plan) {
  for (const kernel_smem& k : max_dyn_smem_per_kernel(plan)) {
    const CUfunction function = solution.functions.at(k.kernel);
    int static_bytes = 0;
    if (const CUresult status = driver.api().cuFuncGetAttribute(&static_bytes, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, function);
        status != CUDA_SUCCESS) {
      return std::unexpected(driver.call_failed("cuFuncGetAttribute", static_cast<int>(status)));
    }
    if (k.max_dyn_smem + static_cast<std::uint64_t>(static_bytes) <= default_smem_limit) continue;
    if (const CUresult status = driver.api().cuFuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                                                static_cast<int>(k.max_dyn_smem));
        status != CUDA_SUCCESS) {
      error e = driver.call_failed("cuFuncSetAttribute", static_cast<int>(status));
      e.problem += " raising kernel '" + k.kernel + "' to " + std::to_string(k.max_dyn_smem) + " bytes of dynamic shared memory (" +
                   std::to_string(static_bytes) + " bytes static)";
      return std::unexpected(std::move(e));
    }
  }
  return {};
}

CUdeviceptr pointer_of(const resolved_arg& arg, const call_buffers& b) {
  switch (arg.kind) {
    case arg_kind::input: return (*b.inputs)[static_cast<std::size_t>(arg.index)].buffer.get();
    case arg_kind::output: return (*b.outputs)[static_cast<std::size_t>(arg.index)].buffer.get();
    case arg_kind::workspace: return (*b.workspaces)[static_cast<std::size_t>(arg.index)].get();
    case arg_kind::scalar: break;
  }
  return 0;
}

// Queues one call of the solution on `stream`: workspace initialisation, then the steps.
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

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

workload_result failed(const std::string& uuid, eval_status status, std::string log) {
  workload_result r;
  r.uuid = uuid;
  r.status = status;
  r.log = std::move(log);
  return r;
}

std::string error_text(const error& e) { return e.to_string(); }

// One progress line on stderr (evaluator.h). One write(2) of at most PIPE_BUF bytes to a pipe is
// atomic, so the line reaches the parent whole; a failed write is ignored (progress is for display).
void report_progress(std::string_view text) {
  const std::string line = std::string(progress_marker) + std::string(text) + "\n";
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace

result<plan_interface> plan_interface_for(const tasks::definition& def) {
  plan_interface iface;
  for (const tasks::tensor_spec& t : def.inputs) {
    if (t.is_scalar()) {
      auto type = scalar_type_from_dtype(t.dtype);
      if (!type) {
        return fail(def.name + ": inputs." + t.name, "scalar of dtype " + t.dtype + " has no kernel-parameter type",
                    "use int32, int64, float32 or float64 for scalar inputs");
      }
      iface.scalar_inputs.emplace_back(t.name, *type);
    } else {
      iface.tensor_inputs.push_back(t.name);
    }
  }
  for (const tasks::tensor_spec& t : def.outputs) iface.tensor_outputs.push_back(t.name);
  for (const tasks::axis& a : def.axes) iface.axes.push_back(a.name);
  return iface;
}

result<symbol_table> plan_symbols(const tasks::definition& def, const tasks::workload& w) {
  symbol_table symbols;
  for (const auto& [name, value] : w.axes) symbols.set_int(name, value);
  for (const tasks::tensor_spec& t : def.inputs) {
    if (!t.is_scalar()) continue;
    const auto given = w.inputs.find(t.name);
    if (given == w.inputs.end() || given->second.type != tasks::input_source::kind::scalar) {
      return fail("workload " + w.uuid + ": inputs." + t.name, "scalar input without a value",
                  "give it as {\"type\": \"scalar\", \"value\": ...}");
    }
    if (t.dtype.starts_with("float")) {
      symbols.set_float(t.name, given->second.scalar_value);
    } else {
      symbols.set_int(t.name, std::llround(given->second.scalar_value));
    }
  }
  return symbols;
}

// ---------------------------------------------------------------------------------------------

json to_json(const eval_request& request) {
  json workloads = json::array();
  for (const tasks::workload& w : request.workloads) workloads.push_back(json::parse(tasks::to_json(w).dump()));
  auto solution = [](const solution_code& s) { return json{{"name", s.name}, {"source", s.source}, {"plan", s.plan_json}}; };
  const eval_config& c = request.config;
  return {{"definition", tasks::to_json(request.definition).dump()},
          {"workloads", workloads},
          {"reference", solution(request.reference)},
          {"oracle", request.oracle ? json{{"python", request.oracle->python},
                                           {"script", request.oracle->script},
                                           {"call_timeout_s", request.oracle->call_timeout_s}}
                                    : json(nullptr)},
          {"dataset_root", request.dataset_root},
          {"candidate", solution(request.candidate)},
          {"config",
           {{"correctness_trials", c.correctness_trials},
            {"seed", c.seed},
            {"comparator", c.comparator},
            {"atol", c.atol},
            {"rtol", c.rtol},
            {"required_matched_ratio", c.required_matched_ratio},
            {"time_reference", c.time_reference},
            {"time_candidate", c.time_candidate},
            {"recheck", c.recheck},
            {"flush_l2", c.flush_l2},
            {"clock", to_string(c.clock)},
            {"peak_bandwidth_bytes_per_s", c.peak_bandwidth_bytes_per_s},
            {"timing",
             {{"kind", static_cast<int>(c.timing.kind)},
              {"min_samples", c.timing.min_samples},
              {"max_samples", c.timing.max_samples},
              {"target_rel_noise", c.timing.target_rel_noise},
              {"min_gpu_time_ms", c.timing.min_gpu_time_ms},
              {"time_budget_ms", c.timing.time_budget_ms},
              // JSON has no infinity: "no GPU-time cap" travels as null.
              {"max_gpu_time_ms", std::isfinite(c.timing.max_gpu_time_ms) ? json(c.timing.max_gpu_time_ms) : json(nullptr)}}}}}};
}

result<eval_request> eval_request_from_json(const json& doc) {
  if (!doc.is_object() || !doc.contains("definition") || !doc["definition"].is_string()) {
    return fail("evaluation request", "missing the definition (JSON text)");
  }
  eval_request request;
  const auto def_doc = nlohmann::ordered_json::parse(doc["definition"].get<std::string>(), nullptr, false);
  auto def = tasks::parse_definition(def_doc, "request.definition");
  if (!def) return std::unexpected(def.error());
  request.definition = std::move(*def);
  const json workloads = doc.value("workloads", json::array());
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    auto w = tasks::parse_workload(nlohmann::ordered_json::parse(workloads[i].dump()), request.definition,
                                   "request.workloads[" + std::to_string(i) + "]");
    if (!w) return std::unexpected(w.error());
    request.workloads.push_back(std::move(*w));
  }
  auto solution = [](const json& s) {
    return solution_code{s.value("name", ""), s.value("source", ""), s.value("plan", "")};
  };
  request.reference = solution(doc.value("reference", json::object()));
  request.candidate = solution(doc.value("candidate", json::object()));
  if (const auto oracle = doc.find("oracle"); oracle != doc.end() && oracle->is_object()) {
    request.oracle = oracle_reference{oracle->value("python", std::string("python3")), oracle->value("script", std::string()),
                                      oracle->value("call_timeout_s", 600.0)};
  }
  request.dataset_root = doc.value("dataset_root", std::string());
  const json c = doc.value("config", json::object());
  eval_config& config = request.config;
  config.correctness_trials = c.value("correctness_trials", config.correctness_trials);
  config.seed = c.value("seed", config.seed);
  config.comparator = c.value("comparator", config.comparator);
  config.atol = c.value("atol", config.atol);
  config.rtol = c.value("rtol", config.rtol);
  config.required_matched_ratio = c.value("required_matched_ratio", config.required_matched_ratio);
  config.time_reference = c.value("time_reference", config.time_reference);
  config.time_candidate = c.value("time_candidate", config.time_candidate);
  config.recheck = c.value("recheck", config.recheck);
  config.flush_l2 = c.value("flush_l2", config.flush_l2);
  if (c.contains("clock")) {
    auto clock = parse_timing_clock(c.value("clock", std::string()), "config.clock");
    if (!clock) return std::unexpected(clock.error());
    config.clock = *clock;
  }
  config.peak_bandwidth_bytes_per_s = c.value("peak_bandwidth_bytes_per_s", 0.0);
  const json t = c.value("timing", json::object());
  config.timing.kind = static_cast<criterion_kind>(t.value("kind", static_cast<int>(config.timing.kind)));
  config.timing.min_samples = t.value("min_samples", config.timing.min_samples);
  config.timing.max_samples = t.value("max_samples", config.timing.max_samples);
  config.timing.target_rel_noise = t.value("target_rel_noise", config.timing.target_rel_noise);
  config.timing.min_gpu_time_ms = t.value("min_gpu_time_ms", config.timing.min_gpu_time_ms);
  config.timing.time_budget_ms = t.value("time_budget_ms", config.timing.time_budget_ms);
  if (auto cap = t.find("max_gpu_time_ms"); cap != t.end() && cap->is_number()) config.timing.max_gpu_time_ms = cap->get<double>();
  if (config.comparator != "flashinfer" && config.comparator != "allclose" && config.comparator != "allclose_candidate") {
    return fail("config.comparator", "must be flashinfer, allclose or allclose_candidate, got '" + config.comparator + "'");
  }
  if (config.correctness_trials < 1) return fail("config.correctness_trials", "must be at least 1");
  return request;
}

// ---------------------------------------------------------------------------------------------

evaluator::evaluator(std::unique_ptr<session> s) : session_(std::move(s)) {}
evaluator::~evaluator() = default;

result<std::unique_ptr<evaluator>> evaluator::create(int ordinal) {
  auto driver = cuda_driver::load();
  if (!driver) return std::unexpected(driver.error());
  auto device = (*driver)->describe_device(ordinal);
  if (!device) return std::unexpected(device.error());
  auto context = primary_context::retain(**driver, ordinal);
  if (!context) return std::unexpected(context.error());
  if (auto current = context->make_current(); !current) return std::unexpected(current.error());
  auto generator = input_generator::create(**driver, device->nvrtc_arch(), device->sm_count);
  if (!generator) return std::unexpected(generator.error());
  auto timer = gpu_timer::create(**driver, device->l2_bytes, device->nvrtc_arch());
  if (!timer) return std::unexpected(timer.error());
  return std::unique_ptr<evaluator>(new evaluator(std::make_unique<session>(
      session{*driver, *device, std::move(*context), std::move(*generator), std::move(*timer), {},
              cubin_cache::from_environment()})));
}

namespace {

// Everything evaluate_workload needs that stays fixed across workloads.
struct evaluation_context {
  const cuda_driver& driver;
  const device_info& device;
  const input_generator& generator;
  gpu_timer& timer;
  const eval_request& request;
  const loaded_solution* reference;  // the native reference; null when `oracle` runs it
  reference_oracle* oracle;
  const loaded_solution& candidate;
  double peak_bandwidth;
};

result<comparison> compare_output(const eval_config& config, const tensor_buffer& t, const std::vector<std::byte>& got,
                                  const std::vector<std::byte>& expected) {
  const tensor_view candidate{t.type, got.data(), t.count};
  const tensor_view reference{t.type, expected.data(), t.count};
  if (!is_floating(t.type)) return compare_exact(candidate, reference);
  if (config.comparator == "allclose") {
    return compare_allclose(candidate, reference, config.atol, config.rtol, /*nan_inf_parity=*/true);
  }
  if (config.comparator == "allclose_candidate") {  // KernelBench: torch.allclose(ref, new), NaN never equal
    return compare_allclose(candidate, reference, config.atol, config.rtol, /*nan_inf_parity=*/false,
                            relative_to::candidate);
  }
  return compare_flashinfer(candidate, reference, config.atol, config.rtol, config.required_matched_ratio);
}

// The seed of a large input: the definition and the input's name only (see evaluator.h).
std::uint64_t shared_seed(std::uint64_t base, const std::string& definition, const std::string& input) {
  return trial_seed(base, definition + "\n" + input, 0);
}

bool is_shared(const tensor_buffer& t) { return t.bytes() >= shared_input_bytes; }

// Draws the random inputs of one trial on the GPU, each from the workload's distribution for it
// (fixed ones are left alone; scalars are plan symbols already). Large inputs are shared across
// trials only when the oracle is the reference, whose every new draw would cross as a file.
result<void> draw_inputs(const evaluation_context& ctx, const tasks::workload& w, const std::vector<tensor_buffer>& inputs,
                         const std::vector<bool>& fixed, std::uint64_t seed) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (fixed[i]) continue;
    const bool shared = ctx.oracle != nullptr && is_shared(inputs[i]);
    const std::uint64_t input_seed =
        shared ? shared_seed(ctx.request.config.seed, ctx.request.definition.name, inputs[i].name) : mix64(seed + i);
    const auto source = w.inputs.find(inputs[i].name);
    const tasks::value_distribution distribution =
        source != w.inputs.end() ? source->second.distribution : tasks::value_distribution{};
    if (auto filled = ctx.generator.fill(inputs[i].buffer.get(), inputs[i].type, inputs[i].count, input_seed,
                                         ctx.timer.stream(), distribution);
        !filled) {
      return filled;
    }
  }
  return synchronize(ctx.driver, ctx.timer.stream());
}

// Uploads the workload's fixed inputs once; returns which inputs are fixed.
result<std::vector<bool>> upload_fixed_inputs(const evaluation_context& ctx, const tasks::workload& w,
                                              const std::vector<tensor_buffer>& inputs) {
  auto fixed = tasks::fixed_inputs(ctx.request.definition, w, ctx.request.dataset_root);
  if (!fixed) return std::unexpected(fixed.error());
  std::vector<bool> is_fixed(inputs.size(), false);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto found = fixed->find(inputs[i].name);
    if (found == fixed->end()) continue;
    if (found->second.size() != inputs[i].bytes()) {
      return fail("workload " + w.uuid + " input '" + inputs[i].name + "'",
                  "has " + std::to_string(found->second.size()) + " bytes, its shape needs " + std::to_string(inputs[i].bytes()));
    }
    if (!found->second.empty()) {
      if (auto ok = inputs[i].buffer.upload(found->second.data(), found->second.size()); !ok) return std::unexpected(ok.error());
    }
    is_fixed[i] = true;
  }
  return is_fixed;
}

result<std::vector<std::uint64_t>> checksums(const evaluation_context& ctx, const std::vector<tensor_buffer>& inputs) {
  std::vector<std::uint64_t> sums;
  for (const tensor_buffer& t : inputs) {
    auto sum = ctx.generator.checksum(t.buffer.get(), t.bytes(), ctx.timer.stream());
    if (!sum) return std::unexpected(sum.error());
    sums.push_back(*sum);
  }
  return sums;
}

// Compares every output; fills `r` with the worst errors and returns false (with r.log set) on
// the first failing tensor.
result<bool> outputs_match(const evaluation_context& ctx, const std::vector<tensor_buffer>& outputs,
                           const std::vector<std::vector<std::byte>>& got, const std::vector<std::vector<std::byte>>& expected,
                           const std::string& when, workload_result& r) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    auto c = compare_output(ctx.request.config, outputs[i], got[i], expected[i]);
    if (!c) return std::unexpected(c.error());
    r.max_absolute_error = std::max(r.max_absolute_error, c->max_abs_error);
    r.max_relative_error = std::max(r.max_relative_error, c->max_rel_error);
    r.matched_ratio = std::min(r.matched_ratio, c->matched_ratio);
    if (!c->passed) {
      r.status = eval_status::incorrect_numerical;
      r.log = "output '" + outputs[i].name + "' " + when + ": " + c->summary();
      return false;
    }
  }
  return true;
}

// Runs the Python reference on the inputs now on the GPU: large inputs go once, as shared files
// keyed by what makes their bytes (the definition's seed, or for a fixed input its workload).
result<oracle_call_result> ask_oracle(const evaluation_context& ctx, const tasks::workload& w,
                                      const std::vector<tensor_buffer>& inputs, const std::vector<bool>& fixed,
                                      bool time) {
  std::vector<host_tensor> own;
  std::vector<shared_input> shared;
  std::size_t next = 0;
  for (const tasks::tensor_spec& spec : ctx.request.definition.inputs) {
    if (spec.is_scalar()) continue;
    const bool is_fixed = fixed[next];
    const tensor_buffer& t = inputs[next++];
    auto copy_out = [&t]() -> result<std::vector<std::byte>> {
      std::vector<std::byte> bytes(t.bytes());
      if (!bytes.empty()) {
        if (auto ok = t.buffer.download(bytes.data(), bytes.size()); !ok) return std::unexpected(ok.error());
      }
      return bytes;
    };
    const std::vector<std::int64_t> shape = tasks::tensor_shape(spec, w);
    if (is_shared(t)) {
      std::string key = t.name + "/" + std::to_string(t.bytes()) + "/" +
                        (is_fixed ? "workload " + w.uuid
                                  : std::to_string(shared_seed(ctx.request.config.seed, ctx.request.definition.name, t.name)));
      shared.push_back(shared_input{std::move(key), t.name, spec.dtype, shape, copy_out});
      continue;
    }
    auto bytes = copy_out();
    if (!bytes) return std::unexpected(bytes.error());
    own.push_back(host_tensor{t.name, spec.dtype, shape, std::move(*bytes)});
  }
  nlohmann::json scalars = nlohmann::json::object();
  for (const tasks::tensor_spec& spec : ctx.request.definition.inputs) {
    if (!spec.is_scalar()) continue;
    const double value = w.inputs.at(spec.name).scalar_value;
    if (spec.dtype.starts_with("float")) {
      scalars[spec.name] = value;
    } else {
      scalars[spec.name] = std::llround(value);
    }
  }
  // A fixed sample count (KernelBench's perf trials) holds for the reference as for the candidate.
  const criterion_params& timing = ctx.request.config.timing;
  return ctx.oracle->run(own, shared, scalars, time, timing.kind == criterion_kind::fixed ? timing.max_samples : 0);
}

result<workload_result> evaluate_workload(const evaluation_context& ctx, const tasks::workload& w) {
  const tasks::definition& def = ctx.request.definition;
  const eval_config& config = ctx.request.config;
  const cuda_driver& driver = ctx.driver;
  const CUstream stream = ctx.timer.stream();
  const bool native = ctx.reference != nullptr;
  workload_result r;
  r.uuid = w.uuid;

  // 1. Resolve the plans for this workload.
  auto symbols = plan_symbols(def, w);
  if (!symbols) return fail("workload " + w.uuid, error_text(symbols.error()));
  const device_limits limits = device_limits_from(ctx.device);
  std::optional<resolved_plan> reference_plan;
  if (native) {
    auto plan = resolve_launch_plan(ctx.reference->plan, *symbols, limits);
    if (!plan) return fail("reference", "launch plan: " + error_text(plan.error()));
    reference_plan = std::move(*plan);
  }
  auto candidate_plan = resolve_launch_plan(ctx.candidate.plan, *symbols, limits);
  if (!candidate_plan) return failed(w.uuid, eval_status::compile_error, "launch plan: " + error_text(candidate_plan.error()));

  // 2. Allocate: shared inputs (fixed ones uploaded now), an output set per solution, each
  //    solution's workspaces.
  auto inputs = allocate_tensors(driver, def.inputs, w);
  if (!inputs) return fail("inputs", error_text(inputs.error()));
  auto fixed = upload_fixed_inputs(ctx, w, *inputs);
  if (!fixed) return std::unexpected(fixed.error());
  auto reference_outputs = allocate_tensors(driver, native ? def.outputs : std::vector<tasks::tensor_spec>{}, w);
  if (!reference_outputs) return fail("reference outputs", error_text(reference_outputs.error()));
  auto candidate_outputs = allocate_tensors(driver, def.outputs, w);
  if (!candidate_outputs) return fail("candidate outputs", error_text(candidate_outputs.error()));
  std::vector<device_buffer> reference_workspaces;
  if (native) {
    auto allocated = allocate_workspaces(driver, *reference_plan);
    if (!allocated) return fail("reference", error_text(allocated.error()));
    reference_workspaces = std::move(*allocated);
    if (auto ok = opt_in_shared_memory(driver, *ctx.reference, *reference_plan); !ok) return fail("reference", error_text(ok.error()));
  }
  auto candidate_workspaces = allocate_workspaces(driver, *candidate_plan);
  if (!candidate_workspaces) return failed(w.uuid, eval_status::runtime_error, error_text(candidate_workspaces.error()));
  if (auto ok = opt_in_shared_memory(driver, ctx.candidate, *candidate_plan); !ok) {
    return failed(w.uuid, eval_status::runtime_error, error_text(ok.error()));
  }
  const call_buffers reference_call{&*inputs, &*reference_outputs, &reference_workspaces};
  const call_buffers candidate_call{&*inputs, &*candidate_outputs, &*candidate_workspaces};
  auto run_reference = [&](CUstream s) { return queue_call(driver, *ctx.reference, *reference_plan, reference_call, s); };
  auto run_candidate = [&](CUstream s) { return queue_call(driver, ctx.candidate, *candidate_plan, candidate_call, s); };

  // Runs the reference on the current inputs and returns its outputs; the oracle times itself
  // when asked to (`oracle_timing`), the native reference is timed later like the candidate.
  std::optional<timing_summary> oracle_timing;
  auto reference_outputs_now = [&](bool time_oracle) -> result<std::vector<std::vector<std::byte>>> {
    if (!native) {
      auto answer = ask_oracle(ctx, w, *inputs, *fixed, time_oracle);
      if (!answer) return std::unexpected(answer.error());
      if (answer->timing) oracle_timing = answer->timing;
      for (std::size_t i = 0; i < answer->outputs.size(); ++i) {
        if (answer->outputs[i].size() != (*candidate_outputs)[i].bytes()) {
          return fail("reference oracle output '" + (*candidate_outputs)[i].name + "'",
                      "has " + std::to_string(answer->outputs[i].size()) + " bytes, its shape needs " +
                          std::to_string((*candidate_outputs)[i].bytes()));
        }
      }
      return std::move(answer->outputs);
    }
    if (auto ok = run_reference(stream); !ok) return fail("reference", error_text(ok.error()));
    if (auto ok = synchronize(driver, stream); !ok) return fail("reference", error_text(ok.error()));
    return download(*reference_outputs);
  };
  // A candidate call that fails is a RUNTIME_ERROR naming the step or the sync that saw it.
  auto candidate_fault = [&](const error& e, const std::string& when) {
    return failed(w.uuid, eval_status::runtime_error, "call " + when + ": " + error_text(e));
  };

  // 3. Correctness trials: fresh inputs each, poisoned outputs, inputs unchanged, outputs equal.
  const auto correctness_start = std::chrono::steady_clock::now();
  for (int trial = 0; trial < config.correctness_trials; ++trial) {
    const std::string when = "in correctness trial " + std::to_string(trial + 1) + " of " + std::to_string(config.correctness_trials);
    if (auto ok = draw_inputs(ctx, w, *inputs, *fixed, trial_seed(config.seed, w.uuid, static_cast<std::uint64_t>(trial))); !ok) {
      return fail("inputs", error_text(ok.error()));
    }
    auto expected = reference_outputs_now(false);
    if (!expected) return std::unexpected(expected.error());
    auto before = checksums(ctx, *inputs);
    if (!before) return std::unexpected(before.error());
    const std::uint8_t byte = poison_bytes[static_cast<std::size_t>(trial) % poison_bytes.size()];
    if (auto ok = poison(*candidate_outputs, byte, stream, driver); !ok) return std::unexpected(ok.error());
    if (auto ok = run_candidate(stream); !ok) return candidate_fault(ok.error(), when);
    if (auto ok = synchronize(driver, stream); !ok) return candidate_fault(ok.error(), when);
    auto after = checksums(ctx, *inputs);
    if (!after) return candidate_fault(after.error(), when);
    for (std::size_t i = 0; i < inputs->size(); ++i) {
      if ((*before)[i] != (*after)[i]) {
        return failed(w.uuid, eval_status::runtime_error,
                      "input '" + (*inputs)[i].name + "' was modified by the call " + when + "; inputs are read-only");
      }
    }
    auto got = download(*candidate_outputs);
    if (!got) return candidate_fault(got.error(), when);
    auto match = outputs_match(ctx, *candidate_outputs, *got, *expected, when, r);
    if (!match) return std::unexpected(match.error());
    if (!*match) return r;
  }

  r.correctness_wall_ms = ms_since(correctness_start);
  if (!config.time_candidate) return r;

  // 4. Timing on a fresh input set, candidate outputs poisoned first.
  const auto timing_start = std::chrono::steady_clock::now();
  if (auto ok = draw_inputs(ctx, w, *inputs, *fixed, trial_seed(config.seed, w.uuid, 1000)); !ok) {
    return fail("inputs", error_text(ok.error()));
  }
  auto timing_expected = reference_outputs_now(config.time_reference);
  if (!timing_expected) return std::unexpected(timing_expected.error());
  if (auto ok = poison(*candidate_outputs, poison_bytes[0], stream, driver); !ok) return std::unexpected(ok.error());
  // Recheck (GPUMode leaderboard): before every sample, the previous sample's output is checked,
  // then fresh inputs are drawn and the reference's outputs for them computed, all untimed.
  bool recheck_failed = false;
  std::optional<error> reference_failed;  // the harness's fault, not the candidate's
  between_samples_fn recheck;
  if (config.recheck) {
    recheck = [&](std::size_t next) -> result<bool> {
      if (next > 0) {
        const std::string when = "in timed call " + std::to_string(next) + " (fresh inputs, recheck)";
        if (auto ok = synchronize(driver, stream); !ok) return std::unexpected(ok.error());
        auto got = download(*candidate_outputs);
        if (!got) return std::unexpected(got.error());
        auto match = outputs_match(ctx, *candidate_outputs, *got, *timing_expected, when, r);
        if (!match) return std::unexpected(match.error());
        if (!*match) {
          recheck_failed = true;
          return false;
        }
      }
      if (auto ok = draw_inputs(ctx, w, *inputs, *fixed, trial_seed(config.seed, w.uuid, 2000 + next)); !ok) {
        return std::unexpected(ok.error());
      }
      auto expected = reference_outputs_now(false);
      if (!expected) {
        reference_failed = expected.error();
        return false;
      }
      *timing_expected = std::move(*expected);
      if (auto ok = poison(*candidate_outputs, poison_bytes[next % poison_bytes.size()], stream, driver); !ok) {
        return std::unexpected(ok.error());
      }
      return true;
    };
  }
  auto candidate_timing = ctx.timer.measure(run_candidate, config.timing, config.flush_l2, config.clock, {}, recheck);
  if (reference_failed) return std::unexpected(*reference_failed);
  if (!candidate_timing) return candidate_fault(candidate_timing.error(), "while timing");
  if (recheck_failed) return r;
  r.timing = candidate_timing->summary;
  r.latency_ms = r.timing.mean_ms;

  // 5. The output of the last timed call must be right too.
  if (auto ok = synchronize(driver, stream); !ok) return candidate_fault(ok.error(), "after timing");
  auto timed_output = download(*candidate_outputs);
  if (!timed_output) return candidate_fault(timed_output.error(), "after timing");
  auto match = outputs_match(ctx, *candidate_outputs, *timed_output, *timing_expected,
                             "after the timed calls (fresh inputs)", r);
  if (!match) return std::unexpected(match.error());
  if (!*match) return r;

  if (config.time_reference) {
    if (native) {
      auto reference_timing = ctx.timer.measure(run_reference, config.timing, config.flush_l2, config.clock);
      if (!reference_timing) return fail("reference", "timing: " + error_text(reference_timing.error()));
      r.reference_timing = reference_timing->summary;
    } else if (oracle_timing) {
      r.reference_timing = *oracle_timing;
    }
    r.reference_latency_ms = r.reference_timing.mean_ms;
    if (r.reference_latency_ms > 0) r.speedup_factor = r.reference_latency_ms / r.latency_ms;
  }
  r.timing_wall_ms = ms_since(timing_start);

  // 6. Physics: every output byte must be written at least once, no faster than peak bandwidth.
  double output_bytes = 0;
  for (const tensor_buffer& t : *candidate_outputs) output_bytes += static_cast<double>(t.bytes());
  r.floor_ms = output_bytes / ctx.peak_bandwidth * 1e3;
  if (r.timing.median_ms < r.floor_ms) {
    r.status = eval_status::incorrect_numerical;
    r.log = "suspicious timing: median " + std::to_string(r.timing.median_ms * 1e3) + " us is below the " +
            std::to_string(r.floor_ms * 1e3) + " us it takes to write the outputs at peak bandwidth; " +
            "work may be escaping the timed stream";
    return r;
  }
  return r;
}

// The session's oracle for this request, started (or restarted for another definition) as needed.
result<reference_oracle*> oracle_for(std::unique_ptr<reference_oracle>& slot, std::string& slot_key,
                                     const eval_request& request, int device_ordinal) {
  const oracle_reference& o = *request.oracle;
  const std::string key = o.python + "\n" + o.script + "\n" + tasks::to_json(request.definition).dump();
  if (slot && slot_key == key) return slot.get();
  slot.reset();
  oracle_options options;
  options.python = o.python;
  options.script = o.script;
  options.device_ordinal = device_ordinal;
  options.call_timeout = std::chrono::seconds(static_cast<long long>(std::ceil(o.call_timeout_s)));
  auto started = reference_oracle::start(options, request.definition);
  if (!started) return std::unexpected(started.error());
  slot = std::move(*started);
  slot_key = key;
  return slot.get();
}

}  // namespace

result<eval_result> evaluator::evaluate(const eval_request& request) {
  session& s = *session_;
  eval_result result_out;
  auto iface = plan_interface_for(request.definition);
  if (!iface) return std::unexpected(iface.error());

  // The reference must compile and load (or the oracle start); if it does not, the harness is
  // broken, not the candidate.
  const auto load_start = std::chrono::steady_clock::now();
  reference_oracle* oracle = nullptr;
  std::optional<loaded_solution> reference;
  result<compile_output> candidate_compiled = fail("candidate", "not compiled");
  report_progress("compiling");
  if (request.oracle) {
    auto started = oracle_for(s.oracle, s.oracle_key, request, s.device.ordinal);
    if (!started) return std::unexpected(started.error());
    oracle = *started;
    candidate_compiled = compile_cached(s.compiled, s.disk_cache.get(), request.candidate.source, s.device.nvrtc_arch());
  } else {
    auto [reference_compiled, compiled] = compile_pair(s.compiled, s.disk_cache.get(), request.reference.source,
                                                       request.candidate.source, s.device.nvrtc_arch());
    auto loaded = load_solution(*s.driver, std::move(reference_compiled), request.reference, *iface);
    if (!loaded) return fail("reference solution '" + request.reference.name + "'", error_text(loaded.error()));
    reference = std::move(*loaded);
    candidate_compiled = std::move(compiled);
  }
  auto candidate = load_solution(*s.driver, std::move(candidate_compiled), request.candidate, *iface);
  if (!candidate) {
    result_out.status = eval_status::compile_error;
    result_out.log = error_text(candidate.error());
    return result_out;
  }
  result_out.load_wall_ms = ms_since(load_start);
  result_out.compile_ms = candidate->compiled.compile_ms;
  result_out.kernels = candidate->compiled.kernels;

  const double bandwidth = request.config.peak_bandwidth_bytes_per_s > 0 ? request.config.peak_bandwidth_bytes_per_s
                                                                         : default_peak_bandwidth(s.device);
  const evaluation_context ctx{*s.driver, s.device,  s.generator, s.timer, request, reference ? &*reference : nullptr,
                               oracle,    *candidate, bandwidth};
  for (std::size_t k = 0; k < request.workloads.size(); ++k) {
    const tasks::workload& w = request.workloads[k];
    report_progress("workload " + std::to_string(k + 1) + "/" + std::to_string(request.workloads.size()) + " " + w.uuid);
    auto outcome = evaluate_workload(ctx, w);
    if (!outcome) return std::unexpected(outcome.error());
    result_out.workloads.push_back(std::move(*outcome));
    const workload_result& last = result_out.workloads.back();
    if (last.status != eval_status::passed) {
      result_out.status = last.status;
      result_out.log = "workload " + last.uuid + ": " + last.log;
      break;
    }
  }
  return result_out;
}

}  // namespace ksearch::eval
