// `ksearch eval SOLUTION [--reference REF]`: evaluates one solution on the task's workloads in an
// isolated worker (KernelBench, one problem or a batch: cli/eval_kernelbench.h) and prints a per-workload table (stderr) and, with --json, the result as JSON (stdout). Loads the
// task (a FlashInfer Trace dataset: --task-path or the bundled one), the solution and the
// reference (search::choose_reference: the dataset's native reference, a named or given
// solution, or the PyTorch oracle). Exit code 0 when the solution passes every workload, 1 when it does not or
// the harness cannot evaluate, 2 on bad arguments.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <iostream>
#include <memory>

#include "ksearch/cli/commands.h"
#include "ksearch/cli/eval_kernelbench.h"
#include "ksearch/cli/eval_table.h"
#include "ksearch/cli/run_options.h"
#include "ksearch/common/json.h"
#include "ksearch/common/paths.h"
#include "ksearch/eval/isolation/evaluation_pool.h"
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
  std::optional<int> trials;  // default_correctness_trials(task)
  std::vector<int> kernelbench_problem_ids;
  std::string summary;
  int max_workloads = 0;  // 0: all
  std::vector<std::string> workload_uuids;
  double timeout_s = 300;
  double time_budget_ms = 2000;
  eval::timing_clock timer = eval::timing_clock::cupti;  // FlashInfer definitions; gpumode_phases sets events
  bool parallel = false;
  int max_parallel = 0;
  std::string launcher;
};

result<eval::solution_code> code_of(const std::string& file) {
  auto s = tasks::load_solution(file);
  if (!s) return std::unexpected(s.error());
  return search::solution_code_of(*s);
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
  const std::vector<search::evaluation_phase> phases = search::gpumode_phases(*mode, request, task.gpumode_cold_l2);
  if (phases.empty()) {
    std::cerr << "error: --gpumode-mode " << task.gpumode_mode << ": none of the selected workloads belong to it\n";
    return exit_usage;
  }
  auto outcome = search::run_phases(service, phases);
  if (!outcome) {
    std::cerr << "error: cannot evaluate: " << outcome.error().to_string() << "\n";
    return exit_failure;
  }
  json doc = {{"mode", task.gpumode_mode}, {"status", tasks::to_string(outcome->status)}, {"phases", json::object()}};
  for (std::size_t i = 0; i < outcome->phases.size(); ++i) {
    const auto& [name, result] = outcome->phases[i];
    std::fprintf(stderr, "\n== %s (%s mode) ==\n", name.c_str(), task.gpumode_mode.c_str());
    print_eval_table(result, phases[i].request);
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
    doc["reference_geomean_ms"] = outcome->reference_geomean_ms ? json(*outcome->reference_geomean_ms) : json(nullptr);
  }
  if (json_out) std::cout << doc.dump(2) << "\n";
  return outcome->passed() ? exit_ok : exit_failure;
}

}  // namespace

void add_eval_command(CLI::App& command, const global_options& globals, command_handler& handler) {
  auto options = std::make_shared<eval_options>();
  command.add_option("solution", options->solution,
                     "Solution JSON (FlashInfer Solution with kernel.cu + launch.json); with --task kernelbench also a "
                     "folder of solutions (or a ksearch --artifacts-dir) to evaluate a batch")
      ->required()
      ->check(CLI::ExistingPath);
  command.add_option("--reference,--reference-solution", options->reference,
                     "Reference: a solution JSON, a dataset solution's name, or 'oracle' (the definition's Python "
                     "reference, run with PyTorch); default: the dataset's <definition>_reference, else the oracle");
  add_task_flags(command, options->task);
  command.add_option("--device", options->device, "CUDA device ordinal")->check(CLI::Range(0, 1023))->capture_default_str();
  command.add_option("--trials", options->trials, "Correctness input sets per workload (default 3; 5 for kernelbench)")
      ->check(CLI::Range(1, 100));
  command.add_option("--kernelbench-problem-ids", options->kernelbench_problem_ids,
                     "A batch's problems (default: every problem of --kernelbench-level)")
      ->delimiter(',')
      ->check(CLI::Range(1, 100000))
      ->group("KernelBench");
  command.add_option("--summary", options->summary,
                     "Where a KernelBench batch writes its JSON summary (default kernelbench_level<L>_summary.json)")
      ->group("KernelBench");
  command.add_option("--num-eval-workload", options->max_workloads, "Only the first N workloads (0: all)")
      ->check(CLI::Range(0, 1'000'000));
  command.add_option("--workloads", options->workload_uuids, "Only these workload UUIDs");
  command.add_option("--time-budget-ms", options->time_budget_ms,
                     "Wall-clock cap of each timing measurement (candidate and native reference) [ms]")
      ->check(CLI::Range(1.0, 600000.0))
      ->capture_default_str();
  add_timer_flag(command, options->timer);
  add_worker_flags(command, options->parallel, options->max_parallel, options->launcher);
  command.add_option("--timeout", options->timeout_s, "Seconds before an evaluation is killed (TIMEOUT)")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();

  handler = [options, &globals]() {
    std::error_code ec;
    const bool folder = std::filesystem::is_directory(options->solution, ec);
    const bool kernelbench = options->task.task == "kernelbench";
    // A KernelBench batch names a level, not a problem.
    std::vector<error> problems = validate_task(options->task, /*needs_definition=*/!(kernelbench && folder));
    if (kernelbench && folder && options->task.kernelbench_level == 0) {
      problems.push_back({"--kernelbench-level", "required with --task kernelbench", "pass 1, 2, 3 or 4"});
    }
    if (kernelbench && folder && options->task.kernelbench_root.empty()) {
      problems.push_back({"--kernelbench-root", "required with --task kernelbench",
                          "pass your KernelBench checkout or set KERNELBENCH_ROOT"});
    }
    if (folder && !kernelbench) {
      problems.push_back({"solution " + options->solution, "is a folder; only --task kernelbench evaluates a batch",
                          "pass one solution .json file"});
    }
    if (!options->kernelbench_problem_ids.empty() && !(kernelbench && folder)) {
      problems.push_back({"--kernelbench-problem-ids", "selects the problems of a KernelBench batch",
                          "pass a folder of solutions with --task kernelbench, or one --kernelbench-problem-id"});
    }
    for (const error& problem : problems) std::cerr << "error: " << problem.to_string() << "\n";
    if (!problems.empty()) return exit_usage;
    const int trials = options->trials.value_or(default_correctness_trials(options->task));
    if (kernelbench) {
      auto workers = evaluation_workers(options->device, options->parallel, options->max_parallel, options->launcher,
                                        options->timeout_s);
      if (!workers) {
        std::cerr << "error: " << workers.error().to_string() << "\n";
        return exit_failure;
      }
      kernelbench_eval_options k{options->task, options->solution, options->kernelbench_problem_ids, options->summary,
                                 trials, options->device, std::move(*workers)};
      return evaluate_kernelbench(k, globals.json);
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
    request.config.correctness_trials = trials;
    request.config.timing.time_budget_ms = options->time_budget_ms;
    request.config.clock = options->timer;  // GPUMode's timed phase times with CUDA events whatever this says
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
    print_eval_table(*outcome, request);  // stderr, always: --json keeps stdout for the machine
    if (globals.json) std::cout << eval::to_json(*outcome).dump(2) << "\n";
    return outcome->passed() ? exit_ok : exit_failure;
  };
}

}  // namespace ksearch::cli
