#include "ksearch/search/gpumode_task.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "ksearch/common/json.h"
#include "ksearch/search/flashinfer_task.h"
#include "ksearch/search/task_evaluation.h"
#include "ksearch/tasks/dataset_scan.h"

namespace ksearch::search {

namespace {

namespace fs = std::filesystem;

constexpr const char* score_name = "inv_latency_ms";
constexpr double tolerance = 2e-2;                      // atol = rtol, reference.py
constexpr double benchmark_max_time_ms = 10'000;        // eval.py benchmark mode
constexpr double leaderboard_max_time_ms = 30'000;      // eval.py leaderboard mode
constexpr auto upstream_timeout = std::chrono::seconds(1200);  // task.yml, per mode

const char* mode_name(gpumode_mode mode) {
  switch (mode) {
    case gpumode_mode::test: return "test";
    case gpumode_mode::benchmark: return "benchmark";
    case gpumode_mode::leaderboard: return "leaderboard";
  }
  return "?";
}

std::string benchmark_line(const eval::workload_result& w) {
  char line[256];
  std::snprintf(line, sizeof line, "%s: %s mean %.4f ms (stderr %.2f%%, %zu samples), reference %.4f ms\n", w.uuid.c_str(),
                std::string(tasks::to_string(w.status)).c_str(), w.latency_ms,
                w.timing.samples > 0 ? 100 * w.timing.rel_noise / std::sqrt(static_cast<double>(w.timing.samples)) : 0.0,
                w.timing.samples, w.reference_latency_ms);
  return line;
}

class gpumode_task final : public search_task {
 public:
  gpumode_task(gpumode_task_options options, tasks::dataset_definition loaded, reference_choice reference)
      : options_(std::move(options)),
        loaded_(std::move(loaded)),
        reference_(std::move(reference)),
        text_(prompt_definition_text(options_.dataset_root, loaded_.def)),
        service_(options_.service, *options_.activity) {}

  std::string name() const override { return loaded_.def.name; }
  std::string definition_text() const override { return text_; }

  json describe() const override {
    json tests = json::array(), benchmarks = json::array();
    for (const tasks::workload& w : loaded_.workloads) (is_gpumode_benchmark(w.uuid) ? benchmarks : tests).push_back(w.uuid);
    return {{"backend", "gpumode"},
            {"dataset", fs::absolute(options_.dataset_root).string()},
            {"definition", loaded_.def.name},
            {"mode", mode_name(options_.mode)},
            {"eval_mode", options_.compile_only ? "compile-only" : "gpu"},
            {"reference", reference_.describe()},
            {"tests", tests},
            {"benchmarks", benchmarks},
            {"correctness_trials", options_.config.correctness_trials},
            {"seed", options_.config.seed},
            {"comparator", "allclose with NaN/inf parity"},
            {"atol", tolerance},
            {"rtol", tolerance},
            {"l2", options_.cold_l2 ? "flushed before every timed call" : "warm (as upstream eval.py)"},
            {"score", score_name}};
  }

  std::map<std::string, json> workload_records() const override { return trace_workloads(loaded_.workloads); }

  result<evaluation_outcome> evaluate(const tasks::solution& candidate) override {
    const candidate_route route{loaded_.def, options_.compile_only, options_.target_gpu, options_.compile_limits,
                                *options_.activity, service_};
    return evaluate_candidate(candidate, route, std::bind_front(&gpumode_task::on_gpu, this));
  }

 private:
  result<evaluation_outcome> on_gpu(eval::evaluation_pool& pool, const eval::solution_code& code) const {
    eval::eval_request base{loaded_.def, loaded_.workloads, {}, code, options_.config};
    base.config.compile = options_.compile_limits;
    if (reference_.native) {
      auto reference = solution_code_of(*reference_.native);
      if (!reference) return std::unexpected(reference.error());
      base.reference = *reference;
    } else {
      base.oracle = reference_.oracle;
    }
    base.dataset_root = options_.dataset_root.string();
    auto outcome = run_phases(pool, gpumode_phases(options_.mode, base, options_.cold_l2));
    if (!outcome) return std::unexpected(outcome.error());
    return to_outcome(*outcome);
  }

  evaluation_outcome to_outcome(const phased_outcome& outcome) const {
    evaluation_outcome out;
    out.status = outcome.status;
    out.score_name = score_name;
    for (const auto& [phase, result] : outcome.phases) out.phases.push_back({phase, result});
    if (!outcome.passed()) {
      out.feedback = out.status_name() + ": " + outcome.log;
      return out;
    }
    if (!outcome.geomean_ms) {
      out.feedback = "every test shape passed; test mode times nothing, so there is no score";
      return out;
    }
    out.passed = true;
    out.latency_ms = outcome.geomean_ms;
    out.score = 1.0 / *outcome.geomean_ms;
    out.reference_latency_ms = outcome.reference_geomean_ms;
    if (outcome.reference_geomean_ms) out.speedup_factor = *outcome.reference_geomean_ms / *outcome.geomean_ms;
    std::size_t timed = 0;
    for (const auto& [phase, result] : outcome.phases) {
      if (phase != "benchmarks") continue;
      for (const eval::workload_result& w : result.workloads) out.feedback += benchmark_line(w);
      timed += result.workloads.size();
    }
    char summary[160];
    std::snprintf(summary, sizeof summary, "geometric mean %.4f ms over %zu benchmarks (the leaderboard's score)\n",
                  *outcome.geomean_ms, timed);
    out.feedback += summary;
    return out;
  }

  gpumode_task_options options_;
  tasks::dataset_definition loaded_;
  reference_choice reference_;
  std::string text_;
  lazy_pool service_;  // started on the first evaluation; the only state evaluate() changes
};

}  // namespace

result<gpumode_mode> parse_gpumode_mode(const std::string& text) {
  for (gpumode_mode mode : {gpumode_mode::test, gpumode_mode::benchmark, gpumode_mode::leaderboard}) {
    if (text == mode_name(mode)) return mode;
  }
  if (text == "profile") {
    return fail("--gpumode-mode profile", "is not a ksearch evaluation mode",
                "profile a solution with `ksearch bench` (Nsight Compute) instead; evaluate with test, benchmark or leaderboard");
  }
  return fail("--gpumode-mode " + text, "unknown mode", "use test, benchmark or leaderboard");
}

bool is_gpumode_benchmark(const std::string& uuid) { return uuid.starts_with("benchmark-"); }

std::vector<evaluation_phase> gpumode_phases(gpumode_mode mode, const eval::eval_request& base, bool cold_l2) {
  auto [tests, benchmarks] = split_checked_and_timed(base, is_gpumode_benchmark, "allclose", tolerance);
  const bool leaderboard = mode == gpumode_mode::leaderboard;
  benchmarks.config.timing = eval::criterion_params::gpumode(leaderboard ? leaderboard_max_time_ms : benchmark_max_time_ms);
  benchmarks.config.flush_l2 = cold_l2;
  benchmarks.config.recheck = leaderboard;
  benchmarks.config.clock = eval::timing_clock::cuda_events;  // eval.py times each call with CUDA events
  std::vector<evaluation_phase> phases;
  if (mode != gpumode_mode::benchmark && !tests.workloads.empty()) phases.push_back({"tests", std::move(tests)});
  if (mode != gpumode_mode::test && !benchmarks.workloads.empty()) phases.push_back({"benchmarks", std::move(benchmarks)});
  return phases;
}

result<std::unique_ptr<search_task>> make_gpumode_task(const gpumode_task_options& options) {
  auto loaded = tasks::load_dataset_definition(options.dataset_root, options.definition);
  if (!loaded) return std::unexpected(loaded.error());
  const auto benchmarks = std::count_if(loaded->workloads.begin(), loaded->workloads.end(),
                                        [](const tasks::workload& w) { return is_gpumode_benchmark(w.uuid); });
  if (benchmarks == 0 || static_cast<std::size_t>(benchmarks) == loaded->workloads.size()) {
    return fail(options.dataset_root.string() + ": workloads of " + options.definition,
                "need both test shapes (uuid test-...) and benchmark shapes (uuid benchmark-...); found " +
                    std::to_string(benchmarks) + " benchmarks among " + std::to_string(loaded->workloads.size()),
                "see tasks/gpumode/trimul/make_workloads.py");
  }
  auto reference = choose_reference(options.dataset_root, loaded->def, options.reference_solution);
  if (!reference) return std::unexpected(reference.error());
  gpumode_task_options resolved = options;
  resolved.service.worker.timeout = std::max<std::chrono::milliseconds>(options.service.worker.timeout, upstream_timeout);
  return std::make_unique<gpumode_task>(std::move(resolved), std::move(*loaded), std::move(*reference));
}

}  // namespace ksearch::search
