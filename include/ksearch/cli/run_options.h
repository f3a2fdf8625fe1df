// ksearch/cli/run_options.h — the search's flags: K-Search's own names and defaults, plus ours.
//
// `add_*_flags` register flags on a CLI11 (sub)command, bound to the fields below; CLI11 checks
// each value on its own (ranges, choices, existing files). `validate` then checks what depends on
// several flags (a definition the backend needs, a key for the endpoint) and returns every
// problem, each naming its flag, so one run of `ksearch` reports them all.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/eval/compile/bounded_compile.h"
#include "ksearch/eval/gpu/timing_clock.h"
#include "ksearch/eval/isolation/evaluation_pool.h"
#include "ksearch/llm/llm_options.h"
#include "ksearch/search/flashinfer_task.h"
#include "ksearch/search/kernelbench_task.h"

namespace CLI {
class App;
}

namespace ksearch::cli {

/// Which task to work on; shared by run, eval and tasks.
struct task_selection {
  std::string task = "flashinfer";          // --task / --task-source: flashinfer | gpumode | kernelbench
  std::string task_path;                    // --task-path / --local: FlashInfer Trace dataset root
  std::string definition;                   // --definition
  std::string target_gpu = "H100";          // --target-gpu (prompt text and solution spec)
  int compile_timeout_s = 120;              // --compile-timeout-s: one NVRTC compile of a candidate
  int compile_memory_mb = 8192;             // --compile-memory-mb: its address space [MiB]
  int kernelbench_level = 0;                // --kernelbench-level 1..4
  int kernelbench_problem_id = 0;           // --kernelbench-problem-id >= 1
  std::string kernelbench_root;             // --kernelbench-root or $KERNELBENCH_ROOT
  std::string kernelbench_precision = "fp32";    // --kernelbench-precision fp32 | fp16 | bf16
  std::optional<double> kernelbench_tolerance;   // --kernelbench-tolerance (default by precision)
  int kernelbench_perf_trials = 100;             // --kernelbench-perf-trials
  std::string kernelbench_cache;                 // --kernelbench-cache ("" = search::default_kernelbench_cache())
  std::string gpumode_mode = "benchmark";   // --gpumode-mode test | benchmark | leaderboard
  bool gpumode_keep_tmp = false;            // --gpumode-keep-tmp (accepted; ksearch keeps no temporary folder)
  std::string gpumode_task_dir;             // --gpumode-task-dir: a TriMul dataset folder
  bool gpumode_cold_l2 = false;             // --gpumode-cold-l2: flush L2 before every timed call
};

/// The dataset folder the task reads: flashinfer --task-path, else the bundled tasks/flashinfer;
/// gpumode --gpumode-task-dir, else --task-path, else the bundled tasks/gpumode/trimul.
[[nodiscard]] std::filesystem::path dataset_root(const task_selection& task);
/// --definition, or "trimul" for gpumode (which has one).
[[nodiscard]] std::string definition_name(const task_selection& task);
/// Input sets checked per workload when --correctness-trials is not given: 5 for kernelbench
/// (KernelBench's num_correct_trials), else 3.
[[nodiscard]] int default_correctness_trials(const task_selection& task);
/// The bounded compile's limits from --compile-timeout-s and --compile-memory-mb.
[[nodiscard]] eval::compile_limits compile_limits_for(const task_selection& task);
/// The KernelBench task the flags select (problem located; nothing imported yet): trials input
/// sets, evaluation workers `workers`. Errors name the flag (root, level, id, precision, tolerance).
[[nodiscard]] result<search::kernelbench_task_options> kernelbench_task_for(const task_selection& task, int trials,
                                                                            eval::evaluation_pool_options workers);

/// LLM endpoint flags; shared by run and doctor.
struct endpoint_selection {
  std::string model_name;                               // --model-name
  std::string base_url = "https://api.openai.com/v1";   // --base-url
  std::optional<std::string> api_key;                   // --api-key (else LLM_API_KEY, OPENAI_API_KEY)
};

struct run_options {
  task_selection task;
  endpoint_selection llm;
  llm::llm_options llm_client;          // provider, retries, budgets, transcript replay (cli/llm_flags.h)
  std::string language = "cuda";        // --language (see README: ksearch generates CUDA only)
  int max_opt_rounds = 5;               // --max-opt-rounds
  int samples_per_round = 1;            // --samples-per-round
  // FlashInfer benchmark configuration.
  int warmup_runs = 10;                 // --warmup-runs
  int iterations = 10;                  // --iterations
  int num_trials = 1;                   // --num-trials
  double rtol = 1e-2;                   // --rtol
  double atol = 1e-2;                   // --atol
  bool use_isolated_runner = false;     // --use-isolated-runner (ksearch always isolates; accepted)
  bool parallel_workloads = false;      // --parallel-workloads
  int max_parallel_workloads = 0;       // --max-parallel-workloads (0 = one per visible GPU)
  std::string worker_launcher;          // --worker-launcher "srun -u --gres=gpu:1 --ntasks=1"
  std::string baseline_solution;        // --baseline-solution
  std::optional<int> num_eval_workload; // --num-eval-workload
  std::vector<std::string> feedback_workloads;  // --feedback-workloads UUID...
  std::string feedback_trace_policy = "first";  // --feedback-trace-policy first | random
  // Persistence and resume.
  bool no_save_results = false;         // --no-save-results
  bool save_solutions = false;          // --save-solutions
  std::string artifacts_dir = ".ksearch";  // --artifacts-dir
  std::string continue_from_solution;   // --continue-from-solution NAME|PATH.json
  std::string continue_from_world_model;  // --continue-from-world-model auto|PATH
  // World model.
  bool world_model = false;             // --world-model
  int wm_stagnation_window = 5;         // --wm-stagnation-window
  std::optional<int> wm_max_difficulty; // --wm-max-difficulty 1..5 (policy default 4)
  int wm_max_cycle_rounds = 10;         // --wm-max-cycle-rounds (0: no cap, as the original)
  // Ours: resuming, the reference and how candidates are evaluated.
  bool resume = false;                  // --resume: go on with the run in --artifacts-dir
  std::string reference_solution;       // --reference-solution NAME|FILE.json
  std::string eval_mode = "gpu";        // --eval-mode gpu | compile-only
  int device = 0;                       // --device
  double eval_timeout_s = 300;          // --eval-timeout [seconds]
  std::optional<int> correctness_trials;  // --correctness-trials (default 3; 5 for kernelbench, as upstream)
  eval::timing_clock timer = eval::timing_clock::cupti;  // --timer cupti | events (FlashInfer definitions only)
  // Weights & Biases.
  bool wandb = false;                   // --wandb
  std::string wandb_project;            // --wandb-project or $WANDB_PROJECT
  std::string run_name;                 // --run-name or $RUN_NAME
};

void add_task_flags(CLI::App& app, task_selection& task);
/// --parallel-workloads, --max-parallel-workloads, --worker-launcher (run and eval).
void add_worker_flags(CLI::App& app, bool& parallel, int& max_parallel, std::string& launcher);
/// The evaluation workers those flags ask for: one on `device`; with `parallel` one per visible GPU
/// (at most max_parallel when > 0), or max_parallel (>= 1) workers on device 0 each when a launcher
/// starts them elsewhere. Error: no driver or no device for --parallel-workloads.
[[nodiscard]] result<eval::evaluation_pool_options> evaluation_workers(int device, bool parallel, int max_parallel,
                                                                       const std::string& launcher, double timeout_s);
/// --timer cupti|events (run and eval): the clock FlashInfer definitions are timed with.
void add_timer_flag(CLI::App& app, eval::timing_clock& clock);
void add_endpoint_flags(CLI::App& app, endpoint_selection& llm);
/// Registers every flag of `ksearch run` (task and endpoint flags included).
void add_run_flags(CLI::App& app, run_options& options);

/// The FlashInfer task the flags select (not loaded yet; no workers, GPU name or activity observer).
[[nodiscard]] search::flashinfer_task_options flashinfer_task_for(const run_options& options);

/// Checks the task selection; `needs_definition` is false for commands that list definitions.
[[nodiscard]] std::vector<error> validate_task(const task_selection& task, bool needs_definition);
/// Checks everything `ksearch run` needs before it starts spending LLM calls.
[[nodiscard]] std::vector<error> validate_run(const run_options& options);

/// The resolved options as JSON (flag names as keys), for run metadata and `run --dry-run`. The
/// API key appears only as where it came from, never its value.
[[nodiscard]] json to_json(const run_options& options);

}  // namespace ksearch::cli
