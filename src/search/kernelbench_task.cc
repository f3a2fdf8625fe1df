#include "ksearch/search/kernelbench_task.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <utility>

#include "ksearch/common/json_fields.h"
#include "ksearch/search/flashinfer_task.h"
#include "ksearch/tasks/dataset_scan.h"

namespace ksearch::search {

namespace {

namespace fs = std::filesystem;

constexpr const char* score_name = "speedup_vs_eager";

std::string verdict_text(const kernelbench_verdict& v, std::size_t trials, int perf_trials) {
  char line[512];
  std::snprintf(line, sizeof line, "correct on %zu trial input sets and the timed inputs\n", trials);
  std::string text = line;
  if (!v.kernel_ms) return text;
  std::snprintf(line, sizeof line, "kernel %.4f ms (mean of %d calls, L2 flushed before each), PyTorch eager %.4f ms: %.3fx\n",
                *v.kernel_ms, perf_trials, v.eager_ms.value_or(0), v.speedup_vs_eager.value_or(0));
  text += line;
  if (v.compile_ms) {
    std::snprintf(line, sizeof line, "torch.compile baseline %.4f ms: %.3fx\n", *v.compile_ms, v.speedup_vs_compile.value_or(0));
    text += line;
  }
  if (v.suspicious) {
    std::snprintf(line, sizeof line,
                  "SUSPICIOUS: more than %.0fx faster than eager; KernelBench flags this as possible reward hacking "
                  "(check the kernel computes every output from its inputs)\n",
                  kernelbench_suspicious_speedup);
    text += line;
  }
  return text;
}

class kernelbench_task final : public search_task {
 public:
  kernelbench_task(kernelbench_task_options options, kernelbench_dataset dataset, tasks::dataset_definition loaded,
                   double tolerance)
      : options_(std::move(options)),
        dataset_(std::move(dataset)),
        loaded_(std::move(loaded)),
        tolerance_(tolerance),
        text_(prompt_definition_text(dataset_.root, loaded_.def) + checks_text()),
        service_(options_.service, *options_.activity) {}

  std::string name() const override { return loaded_.def.name; }
  std::string definition_text() const override { return text_; }

  json describe() const override {
    json trials = json::array(), perf = json::array();
    for (const tasks::workload& w : loaded_.workloads) (is_kernelbench_perf(w.uuid) ? perf : trials).push_back(w.uuid);
    return {{"backend", "kernelbench"},
            {"problem", {{"level", options_.problem.level}, {"id", options_.problem.id}, {"name", options_.problem.name},
                         {"file", fs::absolute(options_.problem.file).string()}}},
            {"dataset", fs::absolute(dataset_.root).string()},
            {"definition", loaded_.def.name},
            {"eval_mode", options_.compile_only ? "compile-only" : "gpu"},
            {"reference", "oracle: the problem's Model (PyTorch eager)"},
            {"correctness_trials", trials},
            {"perf", perf},
            {"precision", options_.import.precision},
            {"comparator", "allclose(ref, out): |ref - out| <= tol + tol * |out|"},
            {"tolerance", tolerance_},
            {"perf_trials", options_.import.perf_trials},
            {"baselines", dataset_.manifest.value("baselines", json())},
            {"score", score_name}};
  }

  std::map<std::string, json> workload_records() const override { return trace_workloads(loaded_.workloads); }

  result<evaluation_outcome> evaluate(const tasks::solution& candidate) override {
    const candidate_route route{loaded_.def, options_.compile_only, options_.target_gpu, options_.compile_limits,
                                *options_.activity, service_};
    return evaluate_candidate(candidate, route, std::bind_front(&kernelbench_task::on_gpu, this));
  }

 private:
  result<evaluation_outcome> on_gpu(eval::evaluation_pool& pool, const eval::solution_code& code) const {
    auto base = kernelbench_request(dataset_, code);
    if (!base) return std::unexpected(base.error());
    base->config.compile = options_.compile_limits;
    auto outcome = run_phases(pool, kernelbench_phases(*base, tolerance_, options_.import.perf_trials));
    if (!outcome) return std::unexpected(outcome.error());
    return to_outcome(*outcome);
  }

  std::string checks_text() const {
    char text[640];
    std::snprintf(text, sizeof text,
                  "\n## How KernelBench judges this candidate\n\n"
                  "- correct: on every trial's inputs, output shapes equal and |ref - out| <= %g + %g * |out| "
                  "elementwise (torch.allclose(ref, out), NaN never equal); outputs are filled with NaN before each call\n"
                  "- timed: %d calls on the seed-42 inputs, L2 flushed and outputs NaN-filled before each, calls "
                  "checked at random; score = PyTorch eager time / your time\n",
                  tolerance_, tolerance_, options_.import.perf_trials);
    return text;
  }

  evaluation_outcome to_outcome(const phased_outcome& outcome) const {
    evaluation_outcome out;
    const kernelbench_verdict v = judge_kernelbench(outcome, dataset_);
    out.status = v.status;
    out.score_name = score_name;
    out.task_metrics = v.metrics();
    std::size_t trials = 0;
    for (const auto& [phase, result] : outcome.phases) {
      out.phases.push_back({phase, result});
      if (phase == "trials") trials = result.workloads.size();
    }
    if (!outcome.passed()) {
      out.feedback = out.status_name() + ": " + outcome.log;
      return out;
    }
    out.passed = v.kernel_ms.has_value();
    out.latency_ms = v.kernel_ms;
    out.reference_latency_ms = v.eager_ms;
    out.speedup_factor = v.speedup_vs_eager;
    if (out.passed) out.score = v.speedup_vs_eager;
    out.feedback = verdict_text(v, trials, options_.import.perf_trials);
    return out;
  }

  kernelbench_task_options options_;
  kernelbench_dataset dataset_;
  tasks::dataset_definition loaded_;
  double tolerance_;
  std::string text_;
  lazy_pool service_;  // started on the first evaluation; the only state evaluate() changes
};

}  // namespace

result<double> kernelbench_tolerance(const std::string& precision, std::optional<double> given) {
  if (precision != "fp32" && precision != "fp16" && precision != "bf16") {
    return fail("--kernelbench-precision " + precision, "unknown precision", "use fp32, fp16 or bf16");
  }
  if (given) {
    if (!(*given > 0)) return fail("--kernelbench-tolerance", "must be a positive number");
    return *given;
  }
  return precision == "fp32" ? 1e-4 : 1e-2;
}

bool is_kernelbench_perf(const std::string& uuid) { return uuid.starts_with("perf-"); }

std::vector<evaluation_phase> kernelbench_phases(const eval::eval_request& base, double tolerance, int perf_trials) {
  auto [trials, perf] = split_checked_and_timed(base, is_kernelbench_perf, "allclose_candidate", tolerance);
  // Every input is the workload's own (the trial's seed): one check each.
  trials.config.correctness_trials = 1;
  perf.config.correctness_trials = 1;
  perf.config.timing = eval::criterion_params::sample_count(static_cast<std::size_t>(std::max(perf_trials, 1)));
  perf.config.flush_l2 = true;
  perf.config.clock = eval::timing_clock::cuda_events;  // KernelBench times each trial with CUDA events
  std::vector<evaluation_phase> phases;
  if (!trials.workloads.empty()) phases.push_back({"trials", std::move(trials)});
  if (!perf.workloads.empty()) phases.push_back({"perf", std::move(perf)});
  return phases;
}

result<eval::eval_request> kernelbench_request(const kernelbench_dataset& dataset, const eval::solution_code& candidate) {
  auto loaded = tasks::load_dataset_definition(dataset.root, dataset.definition);
  if (!loaded) return std::unexpected(loaded.error());
  auto reference = choose_reference(dataset.root, loaded->def, "oracle");
  if (!reference) return std::unexpected(reference.error());
  eval::eval_request request{loaded->def, loaded->workloads, {}, candidate, {}};
  request.oracle = reference->oracle;
  request.reference.name = "oracle";
  request.dataset_root = dataset.root.string();
  return request;
}

json kernelbench_verdict::to_json() const {
  return {{"status", tasks::to_string(status)},
          {"correct", correct},
          {"kernel_ms", optional_number(kernel_ms)},
          {"eager_ms", optional_number(eager_ms)},
          {"compile_ms", optional_number(compile_ms)},
          {"speedup_vs_eager", optional_number(speedup_vs_eager)},
          {"speedup_vs_compile", optional_number(speedup_vs_compile)},
          {"suspicious", suspicious},
          {"log", log}};
}

std::map<std::string, double> kernelbench_verdict::metrics() const {
  std::map<std::string, double> out{{"correct", correct ? 1 : 0}, {"suspicious", suspicious ? 1 : 0}};
  const auto add = [&](const char* name, const std::optional<double>& value) {
    if (value) out[name] = *value;
  };
  add("kernel_ms", kernel_ms);
  add("eager_ms", eager_ms);
  add("compile_ms", compile_ms);
  add("speedup_vs_eager", speedup_vs_eager);
  add("speedup_vs_compile", speedup_vs_compile);
  return out;
}

kernelbench_verdict judge_kernelbench(const phased_outcome& outcome, const kernelbench_dataset& dataset) {
  kernelbench_verdict v;
  v.status = outcome.status;
  v.log = outcome.log;
  v.compile_ms = dataset.compile_ms;
  if (!outcome.passed()) return v;
  v.correct = true;
  v.kernel_ms = outcome.geomean_ms;
  v.eager_ms = outcome.reference_geomean_ms;
  if (v.kernel_ms && v.eager_ms) v.speedup_vs_eager = *v.eager_ms / *v.kernel_ms;
  if (v.kernel_ms && v.compile_ms) v.speedup_vs_compile = *v.compile_ms / *v.kernel_ms;
  v.suspicious = v.speedup_vs_eager && *v.speedup_vs_eager > kernelbench_suspicious_speedup;
  return v;
}

result<std::unique_ptr<search_task>> make_kernelbench_task(const kernelbench_task_options& options) {
  auto tolerance = kernelbench_tolerance(options.import.precision, options.tolerance);
  if (!tolerance) return std::unexpected(tolerance.error());
  kernelbench_import_options import = options.import;
  if (options.compile_only) import.device = -1;  // no GPU to time baselines on: the CPU derives the outputs
  options.activity->begin("importing KernelBench problem " + options.problem.file.filename().string());
  auto dataset = import_kernelbench_problem(options.problem, import);
  options.activity->end();
  if (!dataset) return std::unexpected(dataset.error());
  auto loaded = tasks::load_dataset_definition(dataset->root, dataset->definition);
  if (!loaded) return std::unexpected(loaded.error());
  return std::make_unique<kernelbench_task>(options, std::move(*dataset), std::move(*loaded), *tolerance);
}

}  // namespace ksearch::search
