#include "ksearch/search/task_evaluation.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "ksearch/common/json.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/eval/compile/target_arch.h"
#include "ksearch/eval/plan/definition_plan.h"
#include "ksearch/eval/plan/launch_plan.h"
#include "ksearch/tasks/definition_text.h"

namespace ksearch::search {

result<evaluation_outcome> compile_only_evaluation(const tasks::definition& def, const eval::solution_code& code,
                                                     const std::string& target_gpu, const eval::compile_limits& limits,
                                                     activity_observer& activity) {
  auto iface = eval::plan_interface_for(def);
  if (!iface) return std::unexpected(iface.error());
  activity.detail("compiling");
  const std::string arch = eval::arch_for_gpu_name(target_gpu);
  auto compiled = eval::compile_with_limits({.source = code.source, .arch = arch}, limits);
  if (!compiled) return outcome_without_evaluation(tasks::evaluation_status::compile_error, compiled.error().to_string());
  if (auto plan = eval::parse_launch_plan_text(code.plan_json, *iface); !plan) {
    return outcome_without_evaluation(tasks::evaluation_status::compile_error, plan.error().to_string());
  }
  evaluation_outcome out = outcome_without_evaluation(
      tasks::evaluation_status::compiled,
      "compiled for " + arch + " and the launch plan is valid; not run (compile-only mode has no GPU)");
  eval::eval_result compile;
  compile.status = tasks::evaluation_status::compiled;
  compile.compile_ms = compiled->compile_ms;
  compile.kernels = compiled->kernels;
  out.phases.push_back({"compile", std::move(compile)});
  return out;
}

result<std::unique_ptr<eval::evaluation_pool>> start_reporting_pool(eval::evaluation_pool_options options,
                                                                    activity_observer& activity) {
  // A callback already in the options gets the progress lines too.
  options.worker.on_progress = [&activity, also = options.worker.on_progress](std::string_view text) {
    activity.detail(text);
    if (also) also(text);
  };
  return eval::evaluation_pool::create(std::move(options));
}

std::string prompt_definition_text(const std::filesystem::path& dataset_root, const tasks::definition& def) {
  std::string text = tasks::definition_text(def);
  std::ifstream in(dataset_root / "notes" / (def.name + ".md"));
  if (!in) return text;
  std::stringstream notes;
  notes << in.rdbuf();
  return text + "\n" + notes.str();
}

std::map<std::string, json> trace_workloads(const std::vector<tasks::workload>& workloads) {
  std::map<std::string, json> out;
  for (const tasks::workload& w : workloads) out.emplace(w.uuid, json(tasks::to_json(w)));
  return out;
}

result<eval::evaluation_pool*> lazy_pool::get() {
  // Held while the workers start (seconds): a concurrent caller waits for them rather than
  // starting a second pool on the same GPUs.
  const std::lock_guard<std::mutex> hold(lock_);
  if (!pool_) {
    auto started = start_reporting_pool(options_, activity_);
    if (!started) return std::unexpected(started.error());
    pool_ = std::move(*started);
  }
  return pool_.get();
}

result<eval::solution_code> solution_code_of(const tasks::solution& s) {
  const std::string* source = s.source("kernel.cu");
  const std::string* plan = s.source("launch.json");
  if (source == nullptr || plan == nullptr) {
    return fail("solution " + s.name, "needs the sources kernel.cu and launch.json", "see docs/candidate-contract.md");
  }
  return eval::solution_code{s.name, *source, *plan};
}

evaluation_outcome unreadable_candidate(const error& why) {
  return outcome_without_evaluation(tasks::evaluation_status::compile_error, why.to_string());
}

result<evaluation_outcome> evaluate_candidate(const tasks::solution& candidate, const candidate_route& route,
                                              const gpu_evaluation_fn& on_gpu) {
  auto code = solution_code_of(candidate);
  if (!code) return unreadable_candidate(code.error());
  if (route.compile_only) {
    return compile_only_evaluation(route.definition, *code, route.target_gpu, route.compile_limits, route.activity);
  }
  auto pool = route.pool.get();
  if (!pool) return std::unexpected(pool.error());
  return on_gpu(**pool, *code);
}

std::optional<double> geometric_mean(std::span<const double> values) {
  if (values.empty()) return std::nullopt;
  double log_sum = 0;
  for (double v : values) {
    if (!(v > 0)) return std::nullopt;
    log_sum += std::log(v);
  }
  return std::exp(log_sum / static_cast<double>(values.size()));
}

checked_and_timed split_checked_and_timed(const eval::eval_request& base, bool (*is_timed)(const std::string& uuid),
                                          const std::string& comparator, double tolerance) {
  checked_and_timed out{base, base};
  out.checked.workloads.clear();
  out.timed.workloads.clear();
  for (const tasks::workload& w : base.workloads) (is_timed(w.uuid) ? out.timed : out.checked).workloads.push_back(w);
  for (eval::eval_request* r : {&out.checked, &out.timed}) {
    r->config.comparator = comparator;
    r->config.atol = tolerance;
    r->config.rtol = tolerance;
    r->config.required_matched_ratio = 1.0;
  }
  out.checked.config.time_candidate = false;
  out.checked.config.time_reference = false;
  return out;
}

result<phased_outcome> run_phases(eval::evaluation_pool& pool, const std::vector<evaluation_phase>& phases) {
  phased_outcome outcome;
  for (const evaluation_phase& phase : phases) {
    auto result = pool.evaluate(phase.request);
    if (!result) return std::unexpected(result.error());
    outcome.phases.emplace_back(phase.name, std::move(*result));
    const eval::eval_result& done = outcome.phases.back().second;
    if (!done.passed()) {
      outcome.status = done.status;
      outcome.log = phase.name + ": " + done.log;
      return outcome;
    }
    if (!phase.request.config.time_candidate) continue;
    std::vector<double> latencies, reference_latencies;
    for (const eval::workload_result& w : done.workloads) {
      latencies.push_back(w.latency_ms);
      reference_latencies.push_back(w.reference_latency_ms);
    }
    outcome.geomean_ms = geometric_mean(latencies);
    outcome.reference_geomean_ms = geometric_mean(reference_latencies);
  }
  return outcome;
}

}  // namespace ksearch::search
