#include "ksearch/cli/run_options.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "ksearch/cli/llm_flags.h"
#include "ksearch/common/json.h"
#include "ksearch/common/paths.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/llm/api_key.h"
#include "ksearch/search/gpumode_task.h"
#include "ksearch/tasks/kernelbench_problems.h"

namespace ksearch::cli {

namespace fs = std::filesystem;

namespace {

const CLI::Validator world_model_source(
    [](std::string& value) -> std::string {
      std::error_code ec;
      if (value == "auto" || fs::is_regular_file(value, ec)) return {};
      return "must be 'auto' or an existing world-model JSON file, got '" + value + "'";
    },
    "auto|FILE");

const CLI::Validator solution_source(
    [](std::string& value) -> std::string {
      std::error_code ec;
      if (!value.ends_with(".json") || fs::is_regular_file(value, ec)) return {};
      return "no such solution file '" + value + "' (a name without .json is looked up in the artifacts and the dataset)";
    },
    "NAME|FILE.json");

const CLI::Validator http_url(
    [](std::string& value) -> std::string {
      if (value.starts_with("http://") || value.starts_with("https://")) return {};
      return "must start with http:// or https://, got '" + value + "'";
    },
    "URL");

bool is_loopback_url(const std::string& url) {
  for (const char* host : {"://localhost", "://127.", "://[::1]", "://0.0.0.0"}) {
    if (url.find(host) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

void add_task_flags(CLI::App& app, task_selection& task) {
  app.add_option("--task,--task-source", task.task, "Task backend")
      ->check(CLI::IsMember({"flashinfer", "gpumode", "kernelbench"}))
      ->capture_default_str()
      ->group("Task");
  app.add_option("--task-path,--local", task.task_path,
                 "FlashInfer Trace dataset root (definitions/, workloads/, blob/); default: the bundled tasks/flashinfer")
      ->check(CLI::ExistingDirectory)
      ->group("Task");
  app.add_option("--definition", task.definition,
                 "Definition to optimise (FlashInfer name, or 'trimul' for gpumode)")
      ->group("Task");
  app.add_option("--target-gpu", task.target_gpu, "GPU named in prompts and solution specs")
      ->capture_default_str()
      ->group("Task");
  app.add_option("--compile-timeout-s", task.compile_timeout_s,
                 "Seconds one NVRTC compile of a candidate may take before it is stopped (a COMPILE_ERROR)")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str()
      ->group("Task");
  app.add_option("--compile-memory-mb", task.compile_memory_mb,
                 "Address space one NVRTC compile of a candidate may use, in MiB (past it: a COMPILE_ERROR)")
      ->check(CLI::Range(256, 1 << 20))
      ->capture_default_str()
      ->group("Task");
  app.add_option("--kernelbench-level", task.kernelbench_level, "KernelBench level")
      ->check(CLI::Range(1, 4))
      ->group("KernelBench");
  app.add_option("--kernelbench-problem-id", task.kernelbench_problem_id, "KernelBench problem id within the level")
      ->check(CLI::Range(1, 100000))
      ->group("KernelBench");
  app.add_option("--kernelbench-root", task.kernelbench_root, "KernelBench checkout (holds level folders)")
      ->envname("KERNELBENCH_ROOT")
      ->check(CLI::ExistingDirectory)
      ->group("KernelBench");
  app.add_option("--kernelbench-precision", task.kernelbench_precision,
                 "Precision the model, inputs and candidate run in (floating tensors are cast)")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}))
      ->capture_default_str()
      ->group("KernelBench");
  app.add_option_function<double>(
         "--kernelbench-tolerance", [&task](double tolerance) { task.kernelbench_tolerance = tolerance; },
         "atol = rtol of the correctness check (default 1e-4 for fp32, 1e-2 for fp16/bf16; 1e-2 is the v0.1 protocol)")
      ->check(CLI::Range(1e-12, 1.0))
      ->group("KernelBench");
  app.add_option("--kernelbench-perf-trials", task.kernelbench_perf_trials,
                 "Timed calls of the candidate and of each baseline (KernelBench's num_perf_trials)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str()
      ->group("KernelBench");
  app.add_option("--kernelbench-cache", task.kernelbench_cache,
                 "Where imported problems are kept (default $KSEARCH_CACHE_DIR/kernelbench, else ~/.cache/ksearch/kernelbench)")
      ->group("KernelBench");
  app.add_option("--gpumode-mode", task.gpumode_mode,
                 "GPUMode evaluation mode: test (tests checked), benchmark (benchmarks checked and timed), "
                 "leaderboard (tests, then benchmarks timed with fresh inputs checked every call)")
      ->capture_default_str()
      ->group("GPUMode");
  app.add_flag("--gpumode-keep-tmp", task.gpumode_keep_tmp,
               "Accepted for compatibility: ksearch writes no temporary folder per evaluation")
      ->group("GPUMode");
  app.add_option("--gpumode-task-dir", task.gpumode_task_dir,
                 "TriMul dataset folder (definitions/, workloads/, solutions/) instead of the bundled tasks/gpumode/trimul")
      ->check(CLI::ExistingDirectory)
      ->group("GPUMode");
  app.add_flag("--gpumode-cold-l2", task.gpumode_cold_l2,
               "Flush L2 before every timed call (upstream eval.py times with a warm L2)")
      ->group("GPUMode");
}

void add_endpoint_flags(CLI::App& app, endpoint_selection& llm) {
  app.add_option("--model-name", llm.model_name, "Model id at the endpoint (e.g. gpt-5.2)")->group("LLM");
  app.add_option("--base-url", llm.base_url, "OpenAI-compatible base URL")
      ->check(http_url)
      ->capture_default_str()
      ->group("LLM");
  app.add_option_function<std::string>(
         "--api-key", [&llm](const std::string& key) { llm.api_key = key; },
         "API key (prefer the environment: LLM_API_KEY, then OPENAI_API_KEY; never printed or stored)")
      ->group("LLM");
}

void add_run_flags(CLI::App& app, run_options& o) {
  add_task_flags(app, o.task);
  add_endpoint_flags(app, o.llm);
  add_llm_flags(app, o.llm_client);

  app.add_option("--language", o.language, "Kernel language (ksearch compiles CUDA with NVRTC)")
      ->check(CLI::IsMember({"cuda", "triton", "python"}))
      ->capture_default_str()
      ->group("Search");
  app.add_option("--max-opt-rounds", o.max_opt_rounds, "Round budget (one generation + one evaluation each)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str()
      ->group("Search");
  app.add_option("--samples-per-round", o.samples_per_round,
                 "Candidates asked for with each prompt, drafted at once and evaluated as they arrive, one per GPU; "
                 "each counts as a round")
      ->check(CLI::Range(1, 64))
      ->capture_default_str()
      ->group("Search");
  app.add_flag("--world-model", o.world_model, "Search with the world model (otherwise the plain loop)")
      ->group("World model");
  app.add_option("--wm-stagnation-window", o.wm_stagnation_window,
                 "End an action cycle after this many rounds without improvement")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str()
      ->group("World model");
  app.add_option_function<int>(
         "--wm-max-difficulty", [&o](const int& v) { o.wm_max_difficulty = v; },
         "Highest action difficulty the selection may pick (default 4)")
      ->check(CLI::Range(1, 5))
      ->group("World model");
  app.add_option("--wm-max-cycle-rounds", o.wm_max_cycle_rounds,
                 "Most rounds one action may take before its cycle ends (0: no cap)")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str()
      ->group("World model");

  app.add_option("--warmup-runs", o.warmup_runs, "Warm-up calls before timing")
      ->check(CLI::Range(0, 100000))->capture_default_str()->group("Evaluation");
  app.add_option("--iterations", o.iterations, "Timed calls per trial")
      ->check(CLI::Range(1, 1'000'000))->capture_default_str()->group("Evaluation");
  app.add_option("--num-trials", o.num_trials, "Trials per workload")
      ->check(CLI::Range(1, 100000))->capture_default_str()->group("Evaluation");
  app.add_option("--rtol", o.rtol, "Relative tolerance")
      ->check(CLI::Range(0.0, 1e6))->capture_default_str()->group("Evaluation");
  app.add_option("--atol", o.atol, "Absolute tolerance")
      ->check(CLI::Range(0.0, 1e6))->capture_default_str()->group("Evaluation");
  app.add_flag("--use-isolated-runner", o.use_isolated_runner,
               "Accepted for compatibility: ksearch always evaluates in an isolated worker")
      ->group("Evaluation");
  add_worker_flags(app, o.parallel_workloads, o.max_parallel_workloads, o.worker_launcher);
  app.add_option("--baseline-solution", o.baseline_solution, "Baseline for the vs_base score: a dataset solution's name or a .json file; its latencies come from the dataset's traces on this GPU, else from running it here")
      ->group("Evaluation");
  app.add_option_function<int>(
         "--num-eval-workload", [&o](const int& v) { o.num_eval_workload = v; },
         "Final evaluation: only the first N workloads")
      ->check(CLI::Range(1, 1'000'000))->group("Evaluation");
  app.add_option("--feedback-workloads", o.feedback_workloads, "Workload UUIDs used during the search")
      ->group("Evaluation");
  app.add_option("--reference-solution", o.reference_solution,
                 "Solution the candidates are checked and timed against: a dataset solution's name or a .json file "
                 "(default: the dataset's <definition>_reference)")
      ->group("Evaluation");
  app.add_option("--eval-mode", o.eval_mode, "gpu: check and time on the GPU; compile-only: NVRTC + plan check, no GPU")
      ->check(CLI::IsMember({"gpu", "compile-only"}))->capture_default_str()->group("Evaluation");
  app.add_option("--device", o.device, "CUDA device ordinal for evaluations")
      ->check(CLI::Range(0, 1023))->capture_default_str()->group("Evaluation");
  app.add_option("--eval-timeout", o.eval_timeout_s, "Seconds before an evaluation is killed (TIMEOUT)")
      ->check(CLI::Range(1.0, 86400.0))->capture_default_str()->group("Evaluation");
  app.add_option("--correctness-trials", o.correctness_trials,
                 "Input sets (seeds) per workload in the correctness check (default 3; 5 for kernelbench)")
      ->check(CLI::Range(1, 100))->group("Evaluation");
  app.add_option("--feedback-trace-policy", o.feedback_trace_policy, "Which trace's log feeds the next prompt")
      ->check(CLI::IsMember({"first", "random"}))->capture_default_str()->group("Evaluation");
  add_timer_flag(app, o.timer);

  app.add_flag("--no-save-results", o.no_save_results, "Do not write the final evaluation report or traces")
      ->group("Artifacts");
  app.add_flag("--save-solutions", o.save_solutions, "Write the final solution JSON under the artifacts folder")
      ->group("Artifacts");
  app.add_option("--artifacts-dir", o.artifacts_dir, "Root of everything a run writes")
      ->capture_default_str()->group("Artifacts");
  app.add_option("--continue-from-solution", o.continue_from_solution, "Seed the search from a solution")
      ->check(solution_source)->group("Artifacts");
  app.add_flag("--resume", o.resume, "Go on with the run in --artifacts-dir after its last recorded round")
      ->group("Artifacts");
  app.add_option("--continue-from-world-model", o.continue_from_world_model,
                 "Resume the world model: 'auto' (the artifacts folder's snapshot) or a JSON file")
      ->check(world_model_source)->group("Artifacts");

  app.add_flag("--wandb", o.wandb, "Log metrics to Weights & Biases")->group("W&B");
  app.add_option("--wandb-project", o.wandb_project, "W&B project")->envname("WANDB_PROJECT")->group("W&B");
  app.add_option("--run-name", o.run_name, "W&B run name")->envname("RUN_NAME")->group("W&B");
}

fs::path dataset_root(const task_selection& task) {
  const bool gpumode = task.task == "gpumode";
  if (gpumode && !task.gpumode_task_dir.empty()) return task.gpumode_task_dir;
  if (!task.task_path.empty()) return task.task_path;
  const fs::path bundled = gpumode ? fs::path("gpumode") / "trimul" : fs::path("flashinfer");
  if (auto tasks = find_data_dir("tasks")) return *tasks / bundled;
  return fs::path("tasks") / bundled;
}

std::string definition_name(const task_selection& task) {
  if (task.task == "gpumode") return "trimul";
  return task.definition;
}

void add_timer_flag(CLI::App& app, eval::timing_clock& clock) {
  app.add_option_function<std::string>(
         "--timer",
         [&clock](const std::string& name) {
           if (auto parsed = eval::parse_timing_clock(name, "--timer")) clock = *parsed;  // the check refused the rest
         },
         "Clock of the timed calls of FlashInfer definitions: cupti (CUPTI activity timestamps, each call's GPU work "
         "from its first start to its last end, as FlashInfer-Bench; CUDA events where CUPTI is unavailable) or "
         "events (CUDA events around each call). GPUMode and KernelBench always time with CUDA events, as their harnesses")
      ->check(CLI::IsMember({"cupti", "events"}))
      ->default_str(std::string(eval::to_string(clock)))
      ->group("Evaluation");
}

void add_worker_flags(CLI::App& app, bool& parallel, int& max_parallel, std::string& launcher) {
  app.add_flag("--parallel-workloads", parallel,
               "Spread a candidate's workloads over the GPUs: one evaluation worker per visible GPU")
      ->group("Evaluation");
  app.add_option("--max-parallel-workloads", max_parallel,
                 "Workers with --parallel-workloads (0 = one per visible GPU; with --worker-launcher, 0 = 1)")
      ->check(CLI::Range(0, 4096))->capture_default_str()->group("Evaluation");
  app.add_option("--worker-launcher", launcher,
                 "Start each evaluation worker through this command, split on spaces (e.g. \"srun -u --gres=gpu:1 --ntasks=1\" "
                 "inside a Slurm allocation); each such worker uses its device 0")
      ->group("Evaluation");
}

result<eval::evaluation_pool_options> evaluation_workers(int device, bool parallel, int max_parallel,
                                                         const std::string& launcher, double timeout_s) {
  eval::evaluation_pool_options pool;
  pool.worker.device = device;
  pool.worker.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
  std::istringstream words(launcher);
  for (std::string word; words >> word;) pool.worker.launcher.push_back(word);
  if (!parallel) return pool;
  if (!pool.worker.launcher.empty()) {
    pool.devices.assign(static_cast<std::size_t>(std::max(1, max_parallel)), 0);
    return pool;
  }
  auto driver = eval::cuda_driver::load();
  if (!driver) return std::unexpected(driver.error());
  int count = (*driver)->device_count();
  if (max_parallel > 0) count = std::min(count, max_parallel);
  for (int d = 0; d < count; ++d) pool.devices.push_back(d);
  if (pool.devices.empty()) return fail("--parallel-workloads", "no CUDA device is visible");
  return pool;
}

int default_correctness_trials(const task_selection& task) { return task.task == "kernelbench" ? 5 : 3; }

eval::compile_limits compile_limits_for(const task_selection& task) {
  return {.time = std::chrono::seconds(task.compile_timeout_s),
          .memory_mb = static_cast<std::size_t>(task.compile_memory_mb)};
}

result<search::kernelbench_task_options> kernelbench_task_for(const task_selection& task, int trials,
                                                              eval::evaluation_pool_options workers) {
  auto problem = tasks::find_kernelbench_problem(task.kernelbench_root, task.kernelbench_level, task.kernelbench_problem_id);
  if (!problem) return std::unexpected(problem.error());
  if (auto tolerance = search::kernelbench_tolerance(task.kernelbench_precision, task.kernelbench_tolerance); !tolerance) {
    return std::unexpected(tolerance.error());
  }
  search::kernelbench_task_options t;
  t.problem = std::move(*problem);
  t.import.cache_dir = task.kernelbench_cache;
  t.import.correctness_trials = trials;
  t.import.precision = task.kernelbench_precision;
  t.import.perf_trials = task.kernelbench_perf_trials;
  t.tolerance = task.kernelbench_tolerance;
  t.target_gpu = task.target_gpu;
  t.compile_limits = compile_limits_for(task);
  t.service = std::move(workers);
  return t;
}

search::flashinfer_task_options flashinfer_task_for(const run_options& o) {
  search::flashinfer_task_options t;
  t.dataset_root = dataset_root(o.task);
  t.definition = o.task.definition;
  t.reference_solution = o.reference_solution;
  t.workload_uuids = o.feedback_workloads;
  t.max_workloads = o.num_eval_workload.value_or(5);
  t.dataset_feedback_defaults = !o.num_eval_workload.has_value();
  t.baseline_solution = o.baseline_solution;
  t.config.correctness_trials = o.correctness_trials.value_or(default_correctness_trials(o.task));
  t.config.atol = o.atol;
  t.config.rtol = o.rtol;
  t.config.clock = o.timer;
  t.compile_only = o.eval_mode == "compile-only";
  t.target_gpu = o.task.target_gpu;
  t.compile_limits = compile_limits_for(o.task);
  return t;
}

std::vector<error> validate_task(const task_selection& task, bool needs_definition) {
  std::vector<error> problems;
  if (task.task == "flashinfer") {
    if (needs_definition && task.definition.empty()) {
      problems.push_back({"--definition", "required with --task flashinfer",
                          "list the definitions with `ksearch tasks` (or `ksearch tasks --task-path DATASET`)"});
    }
  } else if (task.task == "gpumode") {
    if (!task.definition.empty() && task.definition != "trimul" && task.definition != "gpumode_trimul") {
      problems.push_back({"--definition", "--task gpumode has one definition, 'trimul'; got '" + task.definition + "'", ""});
    }
    if (auto mode = search::parse_gpumode_mode(task.gpumode_mode); !mode) problems.push_back(mode.error());
  } else if (task.task == "kernelbench" && needs_definition) {
    if (task.kernelbench_level == 0) {
      problems.push_back({"--kernelbench-level", "required with --task kernelbench", "pass 1, 2, 3 or 4"});
    }
    if (task.kernelbench_problem_id == 0) {
      problems.push_back({"--kernelbench-problem-id", "required with --task kernelbench",
                          "pass the number that prefixes the problem's file name"});
    }
    if (task.kernelbench_root.empty()) {
      problems.push_back({"--kernelbench-root", "required with --task kernelbench",
                          "pass your KernelBench checkout or set KERNELBENCH_ROOT"});
    }
  }
  return problems;
}

std::vector<error> validate_run(const run_options& o) {
  std::vector<error> problems = validate_task(o.task, /*needs_definition=*/true);
  if (o.llm.model_name.empty()) {
    problems.push_back({"--model-name", "required", "name the model to ask, e.g. --model-name gpt-5.2"});
  }
  if (o.language != "cuda") {
    problems.push_back({"--language", "'" + o.language + "' is not supported: ksearch compiles candidates with NVRTC",
                        "use --language cuda (the default)"});
  }
  // A local server (vLLM, llama.cpp, Ollama) usually needs no key; a remote one always does.
  // Replayed and file-exchange runs reach no endpoint at all.
  const bool needs_endpoint = llm::resolved_provider(o.llm_client) == "openai";
  if (needs_endpoint && !llm::resolve_api_key(o.llm.api_key).present() && !is_loopback_url(o.llm.base_url)) {
    problems.push_back({"--api-key", "no API key for " + o.llm.base_url,
                        "set LLM_API_KEY or OPENAI_API_KEY in the environment"});
  }
  if (o.artifacts_dir.empty()) problems.push_back({"--artifacts-dir", "must not be empty", ""});
  for (error& e : llm::validate_llm_options(o.llm_client, o.llm.model_name)) problems.push_back(std::move(e));
  return problems;
}

json to_json(const run_options& o) {
  const llm::api_key key = llm::resolve_api_key(o.llm.api_key);
  auto optional_int = [](const std::optional<int>& v) { return v ? json(*v) : json(nullptr); };
  json config = {
      {"task", o.task.task},
      {"task_path", o.task.task_path},
      {"definition", o.task.definition},
      {"target_gpu", o.task.target_gpu},
      {"kernelbench_level", o.task.kernelbench_level},
      {"kernelbench_problem_id", o.task.kernelbench_problem_id},
      {"kernelbench_root", o.task.kernelbench_root},
      {"kernelbench_precision", o.task.kernelbench_precision},
      {"kernelbench_tolerance", o.task.kernelbench_tolerance ? json(*o.task.kernelbench_tolerance) : json(nullptr)},
      {"kernelbench_perf_trials", o.task.kernelbench_perf_trials},
      {"kernelbench_cache", o.task.kernelbench_cache},
      {"gpumode_mode", o.task.gpumode_mode},
      {"gpumode_keep_tmp", o.task.gpumode_keep_tmp},
      {"gpumode_task_dir", o.task.gpumode_task_dir},
      {"gpumode_cold_l2", o.task.gpumode_cold_l2},
      {"model_name", o.llm.model_name},
      {"base_url", o.llm.base_url},
      {"api_key_source", key.present() ? key.source : "none"},
      {"language", o.language},
      {"max_opt_rounds", o.max_opt_rounds},
      {"samples_per_round", o.samples_per_round},
      {"warmup_runs", o.warmup_runs},
      {"iterations", o.iterations},
      {"num_trials", o.num_trials},
      {"rtol", o.rtol},
      {"atol", o.atol},
      {"use_isolated_runner", o.use_isolated_runner},
      {"parallel_workloads", o.parallel_workloads},
      {"max_parallel_workloads", o.max_parallel_workloads},
      {"worker_launcher", o.worker_launcher},
      {"baseline_solution", o.baseline_solution},
      {"num_eval_workload", optional_int(o.num_eval_workload)},
      {"feedback_workloads", o.feedback_workloads},
      {"feedback_trace_policy", o.feedback_trace_policy},
      {"save_results", !o.no_save_results},
      {"save_solutions", o.save_solutions},
      {"artifacts_dir", o.artifacts_dir},
      {"continue_from_solution", o.continue_from_solution},
      {"continue_from_world_model", o.continue_from_world_model},
      {"world_model", o.world_model},
      {"wm_stagnation_window", o.wm_stagnation_window},
      {"wm_max_difficulty", optional_int(o.wm_max_difficulty)},
      {"wm_max_cycle_rounds", o.wm_max_cycle_rounds},
      {"resume", o.resume},
      {"reference_solution", o.reference_solution},
      {"eval_mode", o.eval_mode},
      {"device", o.device},
      {"eval_timeout_s", o.eval_timeout_s},
      {"correctness_trials", o.correctness_trials.value_or(default_correctness_trials(o.task))},
      {"timer", std::string(eval::to_string(o.timer))},
      {"wandb", o.wandb},
      {"wandb_project", o.wandb_project},
      {"run_name", o.run_name},
  };
  config.update(llm::to_json(o.llm_client));
  return config;
}

}  // namespace ksearch::cli
