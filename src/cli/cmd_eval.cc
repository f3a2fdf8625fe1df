// `ksearch eval SOLUTION [--reference REF]`: evaluates one solution on the task's workloads in an
// isolated worker and prints a per-workload table (stderr) and, with --json, the result as JSON (stdout). Loads the
// task (a FlashInfer Trace dataset: --task-path or the bundled one), the solution and the
// reference (search::choose_reference: the dataset's native reference, a named or given
// solution, or the PyTorch oracle). Exit code 0 when the solution passes every workload, 1 when it does not or
// the harness cannot evaluate, 2 on bad arguments.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "ksearch/cli/commands.h"
#include "ksearch/cli/run_options.h"
#include "ksearch/common/paths.h"
#include "ksearch/eval/evaluation_pool.h"
#include "ksearch/search/flashinfer_task.h"
#include "ksearch/search/gpumode_task.h"
#include "ksearch/tasks/dataset_scan.h"
#include "ksearch/tasks/solution.h"

namespace ksearch::cli {

namespace {

struct eval_options {
  task_selection task;
  std::string solution;
  std::string reference;
  int device = 0;
  int trials = 3;
  int max_workloads = 0;  // 0: all
  std::vector<std::string> workload_uuids;
  double timeout_s = 300;
  double time_budget_ms = 2000;
  bool parallel = false;
  int max_parallel = 0;
  std::string launcher;
};

result<eval::solution_code> code_of(const std::string& file) {
  auto s = tasks::load_solution(file);
  if (!s) return std::unexpected(s.error());
  return search::solution_code_of(*s);
}

void print_table(const eval::eval_result& r, const eval::eval_request& request) {
  std::fprintf(stderr, "definition %s  candidate %s  reference %s\n", request.definition.name.c_str(),
               request.candidate.name.c_str(),
               request.oracle ? "oracle (the definition's Python reference, PyTorch)" : request.reference.name.c_str());
  for (const auto& k : r.kernels) std::fprintf(stderr, "  kernel %s\n", k.summary().c_str());
  std::fprintf(stderr, "%-46s %-20s %11s %11s %8s %9s %9s %7s %7s\n", "workload", "status", "latency_ms", "ref_ms",
               "speedup", "max_abs", "max_rel", "noise", "samples");
  bool timed = false;
  for (const eval::workload_result& w : r.workloads) {
    if (w.timing.samples == 0) {  // checked, not timed (a GPUMode test shape, or a failure before timing)
      std::fprintf(stderr, "%-46s %-20s %11s %11s %8s %9.2e %9.2e %7s %7s\n", w.uuid.c_str(),
                   std::string(eval::to_string(w.status)).c_str(), "-", "-", "-", w.max_absolute_error,
                   w.max_relative_error, "-", "-");
      continue;
    }
    timed = true;
    std::fprintf(stderr, "%-46s %-20s %11.4f %11.4f %7.2fx %9.2e %9.2e %6.2f%% %7zu\n", w.uuid.c_str(),
                 std::string(eval::to_string(w.status)).c_str(), w.latency_ms, w.reference_latency_ms, w.speedup_factor,
                 w.max_absolute_error, w.max_relative_error, 100 * w.timing.rel_noise, w.timing.samples);
  }
  double correctness_ms = 0, timing_ms = 0;
  for (const eval::workload_result& w : r.workloads) {
    correctness_ms += w.correctness_wall_ms;
    timing_ms += w.timing_wall_ms;
  }
  std::fprintf(stderr, "wall: compile+load %.0f ms (NVRTC %.0f ms), correctness %.0f ms, timing %.0f ms\n", r.load_wall_ms,
               r.compile_ms, correctness_ms, timing_ms);
  std::fprintf(stderr, "overall: %s", std::string(eval::to_string(r.status)).c_str());
  if (r.passed() && timed) {
    std::fprintf(stderr, ", mean speedup %.3fx over %zu workloads", r.mean_speedup(), r.workloads.size());
  }
  std::fprintf(stderr, "\n");
  if (!r.log.empty()) std::fprintf(stderr, "%s\n", r.log.c_str());
}

// GPUMode: the mode's phases (tests, benchmarks) one after the other, a table for each, then the
// leaderboard's score, the geometric mean of the benchmark means.
int evaluate_gpumode(eval::evaluation_pool& service, const eval::eval_request& request, const task_selection& task,
                     bool json_out) {
  auto mode = search::parse_gpumode_mode(task.gpumode_mode);
  if (!mode) {
    std::cerr << "error: " << mode.error().to_string() << "\n";
    return exit_usage;
  }
  const std::vector<search::gpumode_phase> phases = search::gpumode_phases(*mode, request, task.gpumode_cold_l2);
  if (phases.empty()) {
    std::cerr << "error: --gpumode-mode " << task.gpumode_mode << ": none of the selected workloads belong to it\n";
    return exit_usage;
  }
  auto outcome = search::run_gpumode_phases(service, phases);
  if (!outcome) {
    std::cerr << "error: cannot evaluate: " << outcome.error().to_string() << "\n";
    return exit_failure;
  }
  nlohmann::json doc = {{"mode", task.gpumode_mode}, {"status", eval::to_string(outcome->status)}, {"phases", nlohmann::json::object()}};
  for (std::size_t i = 0; i < outcome->phases.size(); ++i) {
    const auto& [name, result] = outcome->phases[i];
    std::fprintf(stderr, "\n== %s (%s mode) ==\n", name.c_str(), task.gpumode_mode.c_str());
    print_table(result, phases[i].request);
    doc["phases"][name] = eval::to_json(result);
  }
  if (outcome->geomean_ms) {
    std::fprintf(stderr, "\ngeometric mean over the benchmarks: %.4f ms", *outcome->geomean_ms);
    if (outcome->reference_geomean_ms) {
      std::fprintf(stderr, " (reference %.4f ms, %.2fx)", *outcome->reference_geomean_ms,
                   *outcome->reference_geomean_ms / *outcome->geomean_ms);
    }
    std::fprintf(stderr, "; score 1/latency = %.4f\n", 1.0 / *outcome->geomean_ms);
    doc["geomean_ms"] = *outcome->geomean_ms;
    doc["reference_geomean_ms"] = outcome->reference_geomean_ms ? nlohmann::json(*outcome->reference_geomean_ms) : nlohmann::json(nullptr);
  }
  if (json_out) std::cout << doc.dump(2) << "\n";
  return outcome->passed() ? exit_ok : exit_failure;
}

}  // namespace

void add_eval_command(CLI::App& command, const global_options& globals, command_handler& handler) {
  auto options = std::make_shared<eval_options>();
  command.add_option("solution", options->solution, "Solution JSON (FlashInfer Solution with kernel.cu + launch.json)")
      ->required()
      ->check(CLI::ExistingFile);
  command.add_option("--reference,--reference-solution", options->reference,
                     "Reference: a solution JSON, a dataset solution's name, or 'oracle' (the definition's Python "
                     "reference, run with PyTorch); default: the dataset's <definition>_reference, else the oracle");
  add_task_flags(command, options->task);
  command.add_option("--device", options->device, "CUDA device ordinal")->check(CLI::Range(0, 1023))->capture_default_str();
  command.add_option("--trials", options->trials, "Correctness input sets per workload")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  command.add_option("--num-eval-workload", options->max_workloads, "Only the first N workloads (0: all)")
      ->check(CLI::Range(0, 1'000'000));
  command.add_option("--workloads", options->workload_uuids, "Only these workload UUIDs");
  command.add_option("--time-budget-ms", options->time_budget_ms,
                     "Wall-clock cap of each timing measurement (candidate and native reference) [ms]")
      ->check(CLI::Range(1.0, 600000.0))
      ->capture_default_str();
  add_worker_flags(command, options->parallel, options->max_parallel, options->launcher);
  command.add_option("--timeout", options->timeout_s, "Seconds before an evaluation is killed (TIMEOUT)")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();

  handler = [options, &globals]() {
    const std::vector<error> problems = validate_task(options->task, /*needs_definition=*/true);
    for (const error& problem : problems) std::cerr << "error: " << problem.to_string() << "\n";
    if (!problems.empty()) return exit_usage;
    if (options->task.task == "kernelbench") {
      return not_implemented("eval --task kernelbench", "FlashInfer Trace datasets and GPUMode TriMul are evaluated so far");
    }
    const bool gpumode = options->task.task == "gpumode";

    // 1. The task: definition and workloads from the dataset.
    const std::filesystem::path root = dataset_root(options->task);
    auto entry = tasks::load_dataset_definition(root, definition_name(options->task));
    if (!entry) {
      std::cerr << "error: " << entry.error().to_string() << "\n";
      return exit_failure;
    }
    eval::eval_request request;
    request.definition = entry->def;
    for (const tasks::workload& w : entry->workloads) {
      const bool wanted = options->workload_uuids.empty() ||
                          std::find(options->workload_uuids.begin(), options->workload_uuids.end(), w.uuid) !=
                              options->workload_uuids.end();
      if (wanted) request.workloads.push_back(w);
    }
    if (options->max_workloads > 0 && request.workloads.size() > static_cast<std::size_t>(options->max_workloads)) {
      request.workloads.resize(static_cast<std::size_t>(options->max_workloads));
    }
    if (request.workloads.empty()) {
      std::cerr << "error: no workloads selected for " << entry->def.name << "\n";
      return exit_usage;
    }

    // 2. The solutions.
    auto candidate = code_of(options->solution);
    if (!candidate) {
      std::cerr << "error: " << candidate.error().to_string() << "\n";
      return exit_usage;
    }
    request.candidate = *candidate;
    auto reference = search::choose_reference(root, entry->def, options->reference);
    if (!reference) {
      std::cerr << "error: " << reference.error().to_string() << "\n";
      return exit_usage;
    }
    if (reference->native) {
      auto code = search::solution_code_of(*reference->native);
      if (!code) {
        std::cerr << "error: reference: " << code.error().to_string() << "\n";
        return exit_usage;
      }
      request.reference = *code;
    } else {
      request.oracle = reference->oracle;
      request.reference.name = "oracle";
    }
    request.dataset_root = root.string();
    request.config.correctness_trials = options->trials;
    request.config.timing.time_budget_ms = options->time_budget_ms;
    request.config.required_matched_ratio = search::required_matched_ratio(request.definition.name);

    // 3. Evaluate in a worker.
    auto workers = evaluation_workers(options->device, options->parallel, options->max_parallel, options->launcher,
                                      options->timeout_s);
    if (!workers) {
      std::cerr << "error: " << workers.error().to_string() << "\n";
      return exit_failure;
    }
    auto service = eval::evaluation_pool::create(std::move(*workers));
    if (!service) {
      std::cerr << "error: " << service.error().to_string() << "\n";
      return exit_failure;
    }
    if (gpumode) return evaluate_gpumode(**service, request, options->task, globals.json);
    auto outcome = (*service)->evaluate(request);
    if (!outcome) {
      std::cerr << "error: cannot evaluate: " << outcome.error().to_string() << "\n";
      return exit_failure;
    }
    print_table(*outcome, request);  // stderr, always: --json keeps stdout for the machine
    if (globals.json) std::cout << eval::to_json(*outcome).dump(2) << "\n";
    return outcome->passed() ? exit_ok : exit_failure;
  };
}

}  // namespace ksearch::cli
