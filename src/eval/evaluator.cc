// Implementation details
//
// A request's work: the reference and the candidate compiled (eval/compile/worker_compiler.h) and loaded
// (eval/loaded_solution.h), or the oracle started for the definition, then each workload in turn
// (eval/workload_evaluation.h) until the first that fails.

#include "ksearch/eval/evaluator.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <optional>

#include "ksearch/common/elapsed.h"
#include "ksearch/common/json.h"
#include "ksearch/common/posix.h"
#include "ksearch/eval/check/input_generator.h"
#include "ksearch/eval/compile/cubin_cache.h"
#include "ksearch/eval/compile/worker_compiler.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/gpu/driver_handles.h"
#include "ksearch/eval/gpu/gpu_timer.h"
#include "ksearch/eval/gpu/shared_memory_scrub.h"
#include "ksearch/eval/loaded_solution.h"
#include "ksearch/eval/plan/definition_plan.h"
#include "ksearch/eval/reference_oracle.h"
#include "ksearch/eval/workload_evaluation.h"

namespace ksearch::eval {

struct evaluator::session {
  std::shared_ptr<const cuda_driver> driver;
  device_info device;
  primary_context context;
  input_generator generator;
  gpu_timer timer;
  shared_memory_scrub scrub;
  worker_compiler compiler;
  std::unique_ptr<reference_oracle> oracle;  // kept across requests: starting torch is slow
  std::string oracle_key;                    // what `oracle` was started for
};

namespace {

// One progress line on stderr (evaluator.h). One write(2) of at most PIPE_BUF bytes to a pipe is
// atomic, so the line reaches the parent whole; a failed write is ignored (progress is for display).
void report_progress(std::string_view text) {
  (void)write_all(STDERR_FILENO, std::string(progress_marker) + std::string(text) + "\n");
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
  auto scrub = shared_memory_scrub::create(**driver, *device);
  if (!scrub) return std::unexpected(scrub.error());
  return std::unique_ptr<evaluator>(new evaluator(std::make_unique<session>(
      session{*driver, *device, std::move(*context), std::move(*generator), std::move(*timer), std::move(*scrub),
              worker_compiler(cubin_cache::from_environment()), {}, {}})));
}

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
    candidate_compiled = s.compiler.compile(request.candidate.source, s.device.nvrtc_arch(), request.config.compile);
  } else {
    auto [reference_compiled, compiled] =
        s.compiler.compile_pair(request.reference.source, request.candidate.source, s.device.nvrtc_arch(),
                                 request.config.compile);
    auto loaded = load_solution(*s.driver, std::move(reference_compiled), request.reference, *iface);
    if (!loaded) return fail("reference solution '" + request.reference.name + "'", loaded.error().to_string());
    reference = std::move(*loaded);
    candidate_compiled = std::move(compiled);
  }
  auto candidate = load_solution(*s.driver, std::move(candidate_compiled), request.candidate, *iface);
  if (!candidate) {
    result_out.status = tasks::evaluation_status::compile_error;
    result_out.log = candidate.error().to_string();
    return result_out;
  }
  result_out.load_wall_ms = ms_since(load_start);
  result_out.compile_ms = candidate->compiled.compile_ms;
  result_out.kernels = candidate->compiled.kernels;

  const double bandwidth = request.config.peak_bandwidth_bytes_per_s > 0 ? request.config.peak_bandwidth_bytes_per_s
                                                                         : default_peak_bandwidth(s.device);
  const evaluation_context ctx{*s.driver, s.device, s.generator, s.timer,    s.scrub,
                               request,   reference ? &*reference : nullptr, oracle, *candidate, bandwidth};
  for (std::size_t k = 0; k < request.workloads.size(); ++k) {
    const tasks::workload& w = request.workloads[k];
    report_progress("workload " + std::to_string(k + 1) + "/" + std::to_string(request.workloads.size()) + " " + w.uuid);
    auto outcome = evaluate_workload(ctx, w);
    if (!outcome) return std::unexpected(outcome.error());
    result_out.workloads.push_back(std::move(*outcome));
    const workload_result& last = result_out.workloads.back();
    if (last.status != tasks::evaluation_status::passed) {
      result_out.status = last.status;
      result_out.log = "workload " + last.uuid + ": " + last.log;
      break;
    }
  }
  return result_out;
}

}  // namespace ksearch::eval
