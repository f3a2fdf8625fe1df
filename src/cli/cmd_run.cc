// `ksearch run`: the search. Loads the task (a FlashInfer Trace definition, GPUMode TriMul or a
// KernelBench problem: its workloads and a reference), the LLM provider stack, the prompts and — when resuming — the run's
// records and world model, then runs the world-model search (--world-model) or the plain loop
// and prints a summary. Exit code 0 when the search ran to its end (budget or no action left),
// 1 when it could not start or a fatal LLM error stopped it, 2 on bad flags.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "ksearch/cli/commands.h"
#include "ksearch/cli/run_options.h"
#include "ksearch/cli/terminal_status.h"
#include "ksearch/common/json.h"
#include "ksearch/common/paths.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/llm/api_key.h"
#include "ksearch/llm/provider_factory.h"
#include "ksearch/search/flashinfer_task.h"
#include "ksearch/search/gpumode_task.h"
#include "ksearch/search/search_loop.h"
#include "ksearch/tasks/dataset_scan.h"

namespace ksearch::cli {

namespace {

namespace fs = std::filesystem;

int report(const error& e) {
  std::cerr << "error: " << e.to_string() << "\n";
  return exit_failure;
}

// The evaluation workers of a GPU search (none in compile-only mode).
result<eval::evaluation_pool_options> search_workers(const run_options& o) {
  if (o.eval_mode != "gpu") return eval::evaluation_pool_options{};
  return evaluation_workers(o.device, o.parallel_workloads, o.max_parallel_workloads, o.worker_launcher, o.eval_timeout_s);
}

// The task --task names. `gpu_name` is the device's ("" in compile-only mode).
result<std::unique_ptr<search::search_task>> make_task(const run_options& o, const std::string& gpu_name,
                                                       const eval::evaluation_pool_options& workers,
                                                       search::activity_observer& activity) {
  if (o.task.task == "gpumode") {
    auto mode = search::parse_gpumode_mode(o.task.gpumode_mode);
    if (!mode) return std::unexpected(mode.error());
    search::gpumode_task_options t;
    t.dataset_root = dataset_root(o.task);
    t.mode = *mode;
    t.cold_l2 = o.task.gpumode_cold_l2;
    t.reference_solution = o.reference_solution;
    t.config.correctness_trials = o.correctness_trials.value_or(default_correctness_trials(o.task));
    t.compile_only = o.eval_mode == "compile-only";
    t.target_gpu = o.task.target_gpu;
    t.compile_limits = compile_limits_for(o.task);
    t.activity = &activity;
    t.service = workers;
    return search::make_gpumode_task(t);
  }
  if (o.task.task == "kernelbench") {
    auto t = kernelbench_task_for(o.task, o.correctness_trials.value_or(default_correctness_trials(o.task)), workers);
    if (!t) return std::unexpected(t.error());
    t->import.device = o.device;
    t->import.gpu_name = gpu_name;
    t->compile_only = o.eval_mode == "compile-only";
    t->activity = &activity;
    return search::make_kernelbench_task(*t);
  }
  search::flashinfer_task_options t = flashinfer_task_for(o);  // --timer applies here only
  t.gpu_name = gpu_name;
  t.service = workers;
  t.activity = &activity;
  return search::make_flashinfer_task(t);
}

// --continue-from-solution: a .json file, or a solution of the dataset by name.
result<tasks::solution> load_seed(const run_options& o) {
  if (o.continue_from_solution.ends_with(".json")) return tasks::load_solution(o.continue_from_solution);
  for (const tasks::dataset_solution& s :
       tasks::load_dataset_solutions(dataset_root(o.task), definition_name(o.task)).solutions) {
    if (s.value.name == o.continue_from_solution) return s.value;
  }
  return fail("--continue-from-solution " + o.continue_from_solution,
              "no solution of that name for " + definition_name(o.task) + " in " + dataset_root(o.task).string(),
              "pass a solution .json file or a name from the dataset's solutions/");
}

void print_summary(const search::search_summary& summary, const search::round_runner& runner,
                   const search::run_store& store, const run_options& o) {
  const search::round_usage& usage = runner.total_usage();
  std::fprintf(stderr, "\nksearch run: %s after round %d of %d\n", summary.stop_reason.c_str(), summary.last_round,
               o.max_opt_rounds);
  if (const auto& best = runner.best()) {
    std::fprintf(stderr, "  best: round %d, %s %.4f", best->round, best->evaluation.score_name.c_str(), *best->score());
    if (best->evaluation.latency_ms) std::fprintf(stderr, ", %.4f ms", *best->evaluation.latency_ms);
    std::fprintf(stderr, "\n  best kernel: %s\n", store.best_solution_path().c_str());
  } else {
    std::fprintf(stderr, "  no candidate passed yet\n");
  }
  // Counts a server did not report, and the cost of a model without a price, are unknown, not 0.
  const auto count = [](std::optional<long> n) { return n ? std::to_string(*n) : std::string("unknown"); };
  char cost[96] = "unknown (a model without a price, or a provider that reports none)";
  if (usage.cost_usd) std::snprintf(cost, sizeof cost, "$%.4f", *usage.cost_usd);
  std::fprintf(stderr, "  LLM: %d calls, %s prompt + %s completion tokens, cost %s\n", usage.calls,
               count(usage.prompt_tokens).c_str(), count(usage.completion_tokens).c_str(), cost);
  std::fprintf(stderr, "  artifacts: %s\n", store.dir().c_str());
}

}  // namespace

void add_run_command(CLI::App& command, const global_options& globals, command_handler& handler) {
  auto options = std::make_shared<run_options>();
  auto dry_run = std::make_shared<bool>(false);
  add_run_flags(command, *options);
  command.add_flag("--dry-run", *dry_run, "Check the flags, print the resolved configuration and stop");

  handler = [options, dry_run, &globals]() {
    run_options& o = *options;
    const std::vector<error> problems = validate_run(o);
    for (const error& problem : problems) std::cerr << "error: " << problem.to_string() << "\n";
    if (!problems.empty()) return exit_usage;

    const json config = to_json(o);
    if (*dry_run) {
      if (globals.json) {
        std::cout << config.dump(2) << "\n";
      } else {
        std::cerr << "ksearch run: configuration is valid\n" << config.dump(2) << "\n";
      }
      return exit_ok;
    }
    spdlog::debug("run configuration: {}", config.dump());

    // 0. A GPU search without a GPU would spend LLM calls on rounds that cannot be evaluated.
    //    The device is recorded with the run (run.json).
    json gpu = nullptr;
    if (o.eval_mode == "gpu") {
      auto driver = eval::cuda_driver::load();
      std::optional<eval::device_info> device;
      std::string why;
      if (!driver) {
        why = driver.error().to_string();
      } else if ((*driver)->device_count() <= o.device) {
        why = "device " + std::to_string(o.device) + " does not exist (" + std::to_string((*driver)->device_count()) +
              " visible)";
      } else if (auto described = (*driver)->describe_device(o.device); !described) {
        why = described.error().to_string();
      } else {
        device = *described;
      }
      if (!device) {
        std::cerr << "error: --eval-mode gpu: " << why << "\n"
                  << "  fix: run on a machine with an NVIDIA GPU, or check candidates without one: --eval-mode compile-only\n";
        return exit_failure;
      }
      gpu = {{"name", device->name},
             {"compute_capability", std::to_string(device->cc_major) + "." + std::to_string(device->cc_minor)},
             {"sm_count", device->sm_count},
             {"driver_cuda_version", (*driver)->version()}};
    }

    // The status line of long steps (a terminal only). Declared before the task and the runner,
    // which report to it until they are gone.
    terminal_status status;
    status.guard_logger(*spdlog::default_logger());

    // 1. The task and the run's folder.
    auto workers = search_workers(o);
    if (!workers) return report(workers.error());
    auto task = make_task(o, gpu.is_object() ? gpu["name"].get<std::string>() : std::string(), *workers, status);
    if (!task) return report(task.error());
    auto store = search::run_store::open(o.artifacts_dir, (*task)->name());
    if (!store) return report(store.error());
    if (gpu.is_object()) {
      const eval::nvrtc_version nvrtc_loaded = eval::loaded_nvrtc_version();
      (*store)->set_trace_context(
          {{"hardware", gpu["name"]},
           {"libs", {{"cuda_driver", gpu["driver_cuda_version"]},
                     {"nvrtc", std::to_string(nvrtc_loaded.major) + "." + std::to_string(nvrtc_loaded.minor)},
                     {"ksearch", KSEARCH_VERSION}}}},
          (*task)->workload_records());
    } else {
      (*store)->set_trace_context(nullptr, (*task)->workload_records());
    }
    const bool resume = o.resume || o.continue_from_world_model == "auto";
    if ((*store)->has_previous_run() && !resume) {
      std::cerr << "error: --artifacts-dir: " << (*store)->dir().string() << " already holds a run\n"
                << "  fix: add --resume (or --continue-from-world-model auto) to go on with it, or pick another --artifacts-dir\n";
      return exit_usage;
    }
    if (o.continue_from_world_model == "auto" && !fs::exists((*store)->world_model_path())) {
      std::cerr << "error: --continue-from-world-model auto: no snapshot at " << (*store)->world_model_path().string() << "\n";
      return exit_usage;
    }

    // 2. The LLM and the prompts.
    const llm::api_key key = llm::resolve_api_key(o.llm.api_key);
    auto provider = llm::make_llm_provider(o.llm_client, o.llm.base_url, key.value, (*store)->transcript_path());
    if (!provider) return report(provider.error());
    auto prompts = search::prompt_library::load_bundled();
    if (!prompts) return report(prompts.error());

    search::llm_session session(**provider, o.llm.model_name);
    search::round_runner runner(**task, session, **store,
                                {.max_rounds = o.max_opt_rounds,
                                 .codegen_attempts = 3,
                                 // One candidate per GPU at a time; compile-only checks use the CPU.
                                 .parallel_evaluations = o.eval_mode == "gpu"
                                                             ? static_cast<int>(std::max<std::size_t>(1, workers->devices.size()))
                                                             : o.samples_per_round,
                                 .model = o.llm.model_name,
                                 .target_gpu = o.task.target_gpu,
                                 .activity = &status});
    auto rounds = (*store)->load_rounds();
    if (!rounds) return report(rounds.error());
    runner.restore(*rounds);
    if (resume) {
      std::fprintf(stderr, "ksearch run: resuming %s after round %d\n", (*store)->dir().c_str(), rounds->last_round());
    }

    // 3. The seed, evaluated once per run.
    if (!o.continue_from_solution.empty()) {
      auto seed = load_seed(o);
      if (!seed) return report(seed.error());
      if (seed->definition != (*task)->name()) {
        return report({"--continue-from-solution", "the solution is for '" + seed->definition + "', not '" + (*task)->name() + "'"});
      }
      const std::string id = search::solution_id(*seed);
      if (runner.find_solution(id) == nullptr) {
        search::round_record record;
        record.prompt_kind = "seed";
        record.solution = *seed;
        auto evaluated = [&] {
          const search::activity_step step(status, "evaluating the seed " + seed->name);
          return (*task)->evaluate(*seed);
        }();
        if (evaluated) {
          record.evaluation = std::move(*evaluated);
        } else {
          record.evaluation = search::outcome_without_evaluation(tasks::evaluation_status::harness_error,
                                                                 evaluated.error().to_string());
        }
        if (auto done = runner.record_seed(record); !done) return report(done.error());
        std::fprintf(stderr, "ksearch run: seed %s: %s\n", seed->name.c_str(),
                     record.evaluation.status_name().c_str());
      }
    }

    // 4. What ran, then the search.
    json run = {{"ksearch", KSEARCH_VERSION}, {"task", (*task)->describe()}};
    const eval::nvrtc_version nvrtc = eval::loaded_nvrtc_version();
    json session_record = {{"started", search::utc_timestamp()},
                                     {"resumed_after_round", rounds->last_round()},
                                     {"gpu", gpu},
                                     {"nvrtc", std::to_string(nvrtc.major) + "." + std::to_string(nvrtc.minor)},
                                     {"config", config}};
    if (auto done = (*store)->record_session(run, session_record); !done) return report(done.error());

    search::search_settings settings{.max_rounds = o.max_opt_rounds,
                                     .samples_per_round = o.samples_per_round,
                                     .stagnation_window = o.wm_stagnation_window,
                                     .max_difficulty = o.wm_max_difficulty,
                                     .max_cycle_rounds = o.wm_max_cycle_rounds,
                                     .target_gpu = o.task.target_gpu,
                                     .language = o.language};
    if (!o.continue_from_world_model.empty() && o.continue_from_world_model != "auto") {
      settings.world_model_file = o.continue_from_world_model;
    }
    search::search_services services{**task, session, **store, runner, *prompts};
    auto summary = o.world_model ? search::run_world_model_search(services, settings)
                                 : search::run_plain_search(services, settings);
    if (!summary) return report(summary.error());
    print_summary(*summary, runner, **store, o);
    const json ended = {
        {"ended", search::utc_timestamp()},
        {"stop_reason", summary->stop_reason},
        {"last_round", summary->last_round},
        {"best_score", runner.best_score() ? json(*runner.best_score()) : json(nullptr)}};
    if (auto done = (*store)->finish_session(ended); !done) return report(done.error());
    if (globals.json) {
      json out = {{"stop_reason", summary->stop_reason},
                            {"last_round", summary->last_round},
                            {"artifacts", (*store)->dir().string()},
                            {"best_score", runner.best_score() ? json(*runner.best_score()) : json(nullptr)}};
      std::cout << out.dump(2) << "\n";
    }
    return summary->fatal ? exit_failure : exit_ok;
  };
}

}  // namespace ksearch::cli
