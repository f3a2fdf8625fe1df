// `ksearch bench pool`: evaluation throughput with 1, 2, ... GPUs (issue 10), a table rather than a
// timed test. For each GPU count it starts a pool with one worker per GPU (eval/isolation/evaluation_pool.h),
// runs one untimed warm-up evaluation (worker start, CUDA context, the reference's compile), then
// --candidates evaluations of the solution, each with a fresh comment line appended to kernel.cu so
// it is compiled anew as in a search, and reports candidates per minute, the scaling over one GPU
// and the share of the wall time each GPU's worker was busy. The Markdown table goes to stdout
// (JSON with --json). Exit code 0 when every evaluation passed, 1 otherwise, 2 on bad arguments.
#include "ksearch/cli/cmd_bench_pool.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "ksearch/cli/run_options.h"
#include "ksearch/common/json.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/isolation/evaluation_pool.h"
#include "ksearch/search/flashinfer_task.h"
#include "ksearch/tasks/dataset_scan.h"
#include "ksearch/tasks/solution.h"

namespace ksearch::cli {

namespace {

struct bench_pool_options {
  task_selection task;
  std::string solution;
  int candidates = 6;
  int workloads = 8;
  std::vector<int> gpu_counts;  // empty: 1 and every visible GPU
  double timeout_s = 600;
};

struct pool_row {
  int gpus = 0;
  double wall_s = 0;
  double per_minute = 0;
  std::vector<double> busy_share;
  bool all_passed = true;
};

int run_bench_pool(const bench_pool_options& o, const global_options& globals) {
  auto driver = eval::cuda_driver::load();
  if (!driver) {
    std::cerr << "error: " << driver.error().to_string() << "\n";
    return exit_failure;
  }
  const int visible = (*driver)->device_count();
  std::vector<int> counts = o.gpu_counts;
  if (counts.empty()) counts = visible > 1 ? std::vector<int>{1, visible} : std::vector<int>{1};
  for (int c : counts) {
    if (c < 1 || c > visible) {
      std::cerr << "error: --gpus " << c << ": " << visible << " GPU(s) visible\n";
      return exit_usage;
    }
  }

  const std::filesystem::path root = dataset_root(o.task);
  auto entry = tasks::load_dataset_definition(root, definition_name(o.task));
  if (!entry) {
    std::cerr << "error: " << entry.error().to_string() << "\n";
    return exit_usage;
  }
  auto solution = tasks::load_solution(o.solution);
  auto candidate = solution ? search::solution_code_of(*solution) : std::unexpected(solution.error());
  auto reference = search::choose_reference(root, entry->def, "");
  if (!candidate || !reference || !reference->native) {
    std::cerr << "error: " << (!candidate ? candidate.error().to_string()
                                          : !reference ? reference.error().to_string() : "the bench needs a native reference")
              << "\n";
    return exit_usage;
  }
  eval::eval_request request;
  request.definition = entry->def;
  request.workloads = entry->workloads;
  if (request.workloads.size() > static_cast<std::size_t>(o.workloads)) request.workloads.resize(static_cast<std::size_t>(o.workloads));
  request.reference = *search::solution_code_of(*reference->native);
  request.dataset_root = root.string();
  const std::string source = candidate->source;

  std::vector<pool_row> rows;
  const auto tag = std::chrono::steady_clock::now().time_since_epoch().count();
  for (const int gpus : counts) {
    eval::evaluation_pool_options options;
    options.worker.timeout = std::chrono::milliseconds(static_cast<long long>(o.timeout_s * 1000));
    for (int d = 0; d < gpus; ++d) options.devices.push_back(d);
    auto pool = eval::evaluation_pool::create(options);
    if (!pool) {
      std::cerr << "error: " << pool.error().to_string() << "\n";
      return exit_failure;
    }
    pool_row row{.gpus = gpus};
    request.candidate = *candidate;
    std::fprintf(stderr, "bench pool: %d GPU(s), warm-up\n", gpus);
    if (auto warm = (*pool)->evaluate(request); !warm || !warm->passed()) {
      std::cerr << "error: the warm-up evaluation failed: " << (warm ? warm->log : warm.error().to_string()) << "\n";
      return exit_failure;
    }
    const std::vector<eval::worker_usage> before = (*pool)->usage();
    const auto start = std::chrono::steady_clock::now();
    for (int c = 0; c < o.candidates; ++c) {
      request.candidate.source = source + "\n// bench pool " + std::to_string(tag) + " gpus " + std::to_string(gpus) +
                                 " candidate " + std::to_string(c) + "\n";
      auto r = (*pool)->evaluate(request);
      row.all_passed = row.all_passed && r && r->passed();
      std::fprintf(stderr, "bench pool: %d GPU(s), candidate %d/%d %s\n", gpus, c + 1, o.candidates,
                   r ? std::string(tasks::to_string(r->status)).c_str() : r.error().to_string().c_str());
    }
    row.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    row.per_minute = o.candidates / row.wall_s * 60;
    const std::vector<eval::worker_usage> after = (*pool)->usage();
    for (std::size_t w = 0; w < after.size(); ++w) row.busy_share.push_back((after[w].busy_ms - before[w].busy_ms) / 1e3 / row.wall_s);
    rows.push_back(std::move(row));
  }

  json doc = {{"definition", entry->def.name}, {"solution", candidate->name}, {"workloads", request.workloads.size()},
                        {"candidates", o.candidates}, {"rows", json::array()}};
  std::string table = "| GPUs | candidates | wall s | candidates/min | scaling vs 1 GPU | busy share per GPU |\n"
                      "|---|---|---|---|---|---|\n";
  for (const pool_row& r : rows) {
    std::string busy;
    for (double b : r.busy_share) busy += (busy.empty() ? "" : ", ") + std::to_string(static_cast<int>(b * 100 + 0.5)) + "%";
    const double scaling = r.per_minute / rows.front().per_minute;
    char line[256];
    std::snprintf(line, sizeof line, "| %d | %d | %.1f | %.2f | %.2fx | %s |\n", r.gpus, o.candidates, r.wall_s, r.per_minute,
                  scaling, busy.c_str());
    table += line;
    doc["rows"].push_back({{"gpus", r.gpus}, {"wall_s", r.wall_s}, {"candidates_per_minute", r.per_minute},
                           {"scaling", scaling}, {"busy_share", r.busy_share}, {"all_passed", r.all_passed}});
  }
  std::fprintf(globals.json ? stderr : stdout, "%s on %zu workloads, solution %s\n%s", entry->def.name.c_str(),
               request.workloads.size(), candidate->name.c_str(), table.c_str());
  if (globals.json) std::cout << doc.dump(2) << "\n";
  bool ok = true;
  for (const pool_row& r : rows) ok = ok && r.all_passed;
  return ok ? exit_ok : exit_failure;
}

}  // namespace

command_handler add_bench_pool_command(CLI::App& bench, const global_options& globals) {
  CLI::App* command = bench.add_subcommand(
      "pool", "Evaluation throughput with 1, 2, ... GPUs: candidates per minute and each GPU's busy share");
  auto options = std::make_shared<bench_pool_options>();
  add_task_flags(*command, options->task);
  command->add_option("--solution", options->solution, "Solution JSON evaluated as every candidate")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--candidates", options->candidates, "Timed evaluations per GPU count")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command->add_option("--workloads", options->workloads, "The first N workloads of the definition")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  command->add_option("--gpus", options->gpu_counts, "GPU counts to measure (default: 1 and all visible)");
  command->add_option("--timeout", options->timeout_s, "Seconds before one evaluation is stopped")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  return [options, command, &globals]() { return command->parsed() ? run_bench_pool(*options, globals) : -1; };
}

}  // namespace ksearch::cli
