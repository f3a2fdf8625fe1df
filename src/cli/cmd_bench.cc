// `ksearch bench eval`: the evaluator benchmark of issue 3, a table rather than a timed test
// (`ksearch bench pool`, the multi-GPU throughput benchmark, is in cmd_bench_pool.cc).
// Loads the bench dataset (bench/data: definitions, workloads, a reference and candidates each), the
// CUDA driver and one device, and finds nvcc and ncu. For each candidate it measures, in order:
//   1. the evaluation: a warm-up evaluation on the first workload (untimed: worker start, CUDA
//      context, the reference's compile), then --repeats full evaluations in the same worker, split
//      into compile / load / correctness / timing / wall, against the kernel time they measured;
//      each repeat appends a comment line with a tag of this invocation and the repeat's number to
//      kernel.cu, so the candidate is compiled afresh every time (the worker and the on-disk cubin
//      cache key cubins by source) while the reference stays cached, as in a search;
//   2. compile time: NVRTC (in the bounded compile process the evaluator uses) against nvcc on every
//      solution's kernel.cu;
//   3. latency: for each workload, Nsight Compute's gpu__time_duration of the candidate's kernels
//      during `ksearch eval`'s timing phase, against ksearch's own median (CUPTI unless the timer fell
//      back to CUDA events), with the CUDA-event median of the same calls beside it.
// The Markdown table goes to stdout (to stderr with --json, which prints the JSON on stdout);
// progress goes to stderr. Exit code 0 when every evaluation passed, 1 when one failed or the
// benchmark could not run (no CUDA driver), 2 on bad arguments.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <set>

#include "ksearch/bench/bench_dataset.h"
#include "ksearch/bench/bench_report.h"
#include "ksearch/bench/bench_stats.h"
#include "ksearch/bench/compile_timing.h"
#include "ksearch/bench/ncu_profile.h"
#include "ksearch/bench/plan_launches.h"
#include "ksearch/bench/tool_lookup.h"
#include "ksearch/cli/cmd_bench_pool.h"
#include "ksearch/cli/commands.h"
#include "ksearch/common/elapsed.h"
#include "ksearch/common/json.h"
#include "ksearch/common/paths.h"
#include "ksearch/common/scratch_dir.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/eval/isolation/evaluation_service.h"

namespace ksearch::cli {

namespace {

namespace fs = std::filesystem;
using bench::bench_definition;
using bench::bench_report;
using bench::bench_solution;

constexpr int compile_runs = 3;        // per tool and kernel; the median is reported
constexpr std::size_t ncu_calls = 20;  // candidate calls profiled per workload

struct bench_eval_options {
  std::string dataset;  // empty: the bundled bench/data
  int repeats = 3;
  int device = 0;
  std::string nvcc;
  std::string ncu;
  double timeout_s = 300;
};

using clock_type = std::chrono::steady_clock;

void progress(const std::string& line) { std::fprintf(stderr, "bench: %s\n", line.c_str()); }

std::chrono::milliseconds seconds(double s) { return std::chrono::milliseconds(static_cast<long long>(s * 1000)); }

std::size_t line_count(const std::string& text) {
  std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  return !text.empty() && text.back() != '\n' ? lines + 1 : lines;
}

fs::path default_dataset() {
  if (auto bundled = find_data_dir("bench")) return *bundled / "data";
  return "bench/data";
}

eval::eval_request request_for(const bench_definition& d, const bench_solution& candidate) {
  eval::eval_request request;
  request.definition = d.def;
  request.workloads = d.workloads;
  request.reference = d.reference.code;
  request.candidate = candidate.code;
  return request;
}

bench::run_entry run_entry_of(const eval::eval_result& r, const bench_definition& d, double wall_ms) {
  bench::run_entry entry;
  entry.status = r.status;
  entry.log = r.passed() ? "" : r.log;
  entry.split = bench::split_wall_time(r, wall_ms);
  for (const tasks::workload& w : d.workloads) {
    const auto timed = std::find_if(r.workloads.begin(), r.workloads.end(), [&](const eval::workload_result& x) {
      return x.uuid == w.uuid && x.timing.samples > 0;
    });
    const bool has = timed != r.workloads.end();
    entry.median_ms.push_back(has ? std::optional<double>(timed->timing.median_ms) : std::nullopt);
    entry.reference_median_ms.push_back(has && timed->reference_timing.samples > 0
                                            ? std::optional<double>(timed->reference_timing.median_ms)
                                            : std::nullopt);
    entry.event_median_ms.push_back(has && timed->timing.event_median_ms > 0
                                        ? std::optional<double>(timed->timing.event_median_ms)
                                        : std::nullopt);
    entry.samples.push_back(has ? timed->timing.samples : 0);
    if (has && entry.clock.empty()) entry.clock = timed->timing.clock;
  }
  return entry;
}

// The clocks the runs were timed with, each once in order of first use: one name unless the timer
// fell back to CUDA events for some runs (CUPTI unavailable), which the report then says.
std::string clocks_of(const std::vector<bench::evaluation_entry>& evaluations) {
  std::vector<std::string> clocks;
  for (const bench::evaluation_entry& e : evaluations) {
    for (const bench::run_entry& r : e.runs) {
      if (!r.clock.empty() && std::find(clocks.begin(), clocks.end(), r.clock) == clocks.end()) clocks.push_back(r.clock);
    }
  }
  std::string out;
  for (const std::string& c : clocks) out += (out.empty() ? "" : ", ") + c;
  return out;
}

// 1. Evaluations: a warm-up, then `repeats` full evaluations of every candidate in one worker.
result<std::vector<bench::evaluation_entry>> measure_evaluations(const bench::bench_dataset& dataset,
                                                                 const bench_eval_options& options) {
  auto service = eval::evaluation_service::create(
      {.worker_argv = {}, .device = options.device, .timeout = seconds(options.timeout_s)});
  if (!service) return std::unexpected(service.error());
  // Cubins are cached by source in the worker and on disk (eval/compile/cubin_cache.h), across invocations
  // too: a tag unique to this invocation and run makes each run's candidate source new.
  char tag[32];
  std::snprintf(tag, sizeof tag, "%016llx",
                static_cast<unsigned long long>(std::random_device{}()) << 32 ^
                    static_cast<unsigned long long>(clock_type::now().time_since_epoch().count()));
  std::vector<bench::evaluation_entry> entries;
  for (const bench_definition& d : dataset.definitions) {
    for (const bench_solution& candidate : d.candidates) {
      bench::evaluation_entry entry{.definition = d.def.name,
                                    .candidate = candidate.code.name,
                                    .reference = d.reference.code.name,
                                    .workloads = {},
                                    .warmup_wall_ms = 0,
                                    .runs = {}};
      for (const tasks::workload& w : d.workloads) entry.workloads.push_back(w.uuid);

      progress(d.def.name + " / " + candidate.code.name + ": warm-up evaluation (first workload)");
      eval::eval_request warmup = request_for(d, candidate);
      warmup.workloads.resize(1);
      const auto warmup_start = clock_type::now();
      auto warmed = (*service)->evaluate(warmup);
      if (!warmed) return fail("warm-up evaluation of " + candidate.code.name, warmed.error().to_string());
      entry.warmup_wall_ms = ms_since(warmup_start);

      for (int run = 1; run <= options.repeats; ++run) {
        progress(d.def.name + " / " + candidate.code.name + ": run " + std::to_string(run) + " of " +
                 std::to_string(options.repeats) + " (" + std::to_string(d.workloads.size()) + " workloads)");
        eval::eval_request request = request_for(d, candidate);
        request.candidate.source += "\n// ksearch bench " + std::string(tag) + " run " + std::to_string(run) + "\n";
        const auto start = clock_type::now();
        auto outcome = (*service)->evaluate(request);
        const double wall_ms = ms_since(start);
        if (!outcome) return fail("evaluation of " + candidate.code.name, outcome.error().to_string());
        entry.runs.push_back(run_entry_of(*outcome, d, wall_ms));
        if (!outcome->passed()) {
          progress("  " + std::string(tasks::to_string(entry.runs.back().status)) + ": " + outcome->log);
        }
      }
      entries.push_back(std::move(entry));
    }
  }
  return entries;
}

// 2. Compile time of every solution's kernel.cu, NVRTC against nvcc.
std::vector<bench::compile_entry> measure_compiles(const bench::bench_dataset& dataset, const std::string& arch,
                                                   const std::optional<fs::path>& nvcc, const std::string& nvcc_absent,
                                                   const bench_eval_options& options) {
  std::vector<bench::compile_entry> entries;
  for (const bench_definition& d : dataset.definitions) {
    std::vector<const bench_solution*> solutions = {&d.reference};
    for (const bench_solution& c : d.candidates) solutions.push_back(&c);
    for (const bench_solution* s : solutions) {
      progress("compile " + s->code.name + " (NVRTC and nvcc, " + std::to_string(compile_runs) + " runs each)");
      bench::compile_entry entry{.definition = d.def.name,
                                 .solution = s->code.name,
                                 .lines = line_count(s->code.source),
                                 .nvrtc = std::nullopt,
                                 .nvrtc_error = {},
                                 .nvcc = std::nullopt,
                                 .nvcc_note = {}};
      if (auto t = bench::time_nvrtc(s->code.source, arch, compile_runs)) {
        entry.nvrtc = *t;
      } else {
        entry.nvrtc_error = t.error().to_string();
      }
      if (!nvcc) {
        entry.nvcc_note = nvcc_absent;
      } else if (auto scratch = scratch_dir::create("ksearch-bench-nvcc-"); !scratch) {
        entry.nvcc_note = scratch.error().to_string();
      } else if (auto t = bench::time_nvcc(*nvcc, s->code.source, arch, compile_runs, *scratch,
                                           seconds(options.timeout_s))) {
        entry.nvcc = *t;
      } else {
        entry.nvcc_note = t.error().to_string();
      }
      entries.push_back(std::move(entry));
    }
  }
  return entries;
}

// A call of known length: a workload that gives the scalar input `spin_ns` (spin_bench) waits that
// long on the GPU's global timer, so each clock's reading minus it is the clock's own window.
std::optional<double> known_length_ms(const tasks::workload& w) {
  const auto spin = w.inputs.find("spin_ns");
  if (spin == w.inputs.end() || spin->second.type != tasks::input_source::kind::scalar) return std::nullopt;
  return spin->second.scalar_value * 1e-6;
}

// 3. One workload of one candidate under ncu: its per-call kernel time during ksearch's timing.
bench::ncu_entry profile_workload(const fs::path& ncu, const bench::bench_dataset& dataset, const bench_definition& d,
                                  const bench_solution& candidate, const tasks::workload& w,
                                  const eval::device_limits& limits, double ksearch_ms,
                                  std::optional<double> ksearch_events_ms, const bench_eval_options& options) {
  bench::ncu_entry entry{.definition = d.def.name,
                         .candidate = candidate.code.name,
                         .workload = w.uuid,
                         .ksearch_ms = ksearch_ms,
                         .ksearch_events_ms = ksearch_events_ms,
                         .ncu_calls_ms = {},
                         .ncu_ms = std::nullopt,
                         .note = {}};
  auto call_kernels = bench::launched_kernels(d.def, candidate.code.plan_json, w, limits);
  if (!call_kernels) {
    entry.note = "cannot resolve the candidate's plan: " + call_kernels.error().to_string();
    return entry;
  }
  // ncu's filter goes by name: a reference kernel with a candidate kernel's name would be counted.
  auto reference_kernels = bench::launched_kernels(d.def, d.reference.code.plan_json, w, limits);
  const std::set<std::string> names(call_kernels->begin(), call_kernels->end());
  if (reference_kernels) {
    for (const std::string& k : *reference_kernels) {
      if (names.contains(k)) {
        entry.note = "the reference also launches a kernel named '" + k + "'; ncu's name filter cannot tell them apart";
        return entry;
      }
    }
  }
  // ncu holds CUPTI in the process it profiles: that evaluation times with CUDA events from the start.
  const std::vector<std::string> program = {
      executable_path().string(), "eval", candidate.file.string(), "--reference", d.reference.file.string(),
      "--task-path", dataset.root.string(), "--definition", d.def.name, "--workloads", w.uuid, "--trials", "1",
      "--device", std::to_string(options.device), "--timeout", std::to_string(static_cast<long long>(options.timeout_s)),
      "--timer", "events", "--log-level", "warn"};
  auto profile = bench::profile_calls(ncu, program, *call_kernels, ncu_calls, seconds(options.timeout_s + 120));
  if (!profile) {
    entry.note = profile.error().to_string();
    return entry;
  }
  entry.ncu_calls_ms = profile->calls_ms;
  if (profile->calls_ms.empty()) {
    entry.note = "ncu profiled no whole call (" + profile->run.describe_end() + ")" +
                 (profile->ncu_error.empty() ? "" : ": " + profile->ncu_error);
    return entry;
  }
  entry.ncu_ms = bench::median_of(profile->calls_ms);
  if (!profile->run.succeeded()) {
    entry.note = "ncu ended with " + profile->run.describe_end() + "; the " + std::to_string(profile->calls_ms.size()) +
                 " calls it profiled are used";
  }
  return entry;
}

std::vector<bench::ncu_entry> measure_ncu(const fs::path& ncu, const bench::bench_dataset& dataset,
                                          const std::vector<bench::evaluation_entry>& evaluations,
                                          const eval::device_limits& limits, const bench_eval_options& options) {
  std::vector<bench::ncu_entry> entries;
  std::size_t e = 0;
  for (const bench_definition& d : dataset.definitions) {
    for (const bench_solution& candidate : d.candidates) {
      const bench::evaluation_entry& evaluation = evaluations[e++];
      for (std::size_t i = 0; i < d.workloads.size(); ++i) {
        const std::vector<double> medians = evaluation.medians_of(i);
        if (medians.empty()) continue;  // never timed: nothing to compare with
        const std::vector<double> event_medians = evaluation.event_medians_of(i);
        const std::optional<double> events_ms =
            event_medians.empty() ? std::nullopt : std::optional<double>(bench::median_of(event_medians));
        progress("ncu " + candidate.code.name + " " + d.workloads[i].uuid);
        entries.push_back(profile_workload(ncu, dataset, d, candidate, d.workloads[i], limits, bench::median_of(medians),
                                           events_ms, options));
        entries.back().known_ms = known_length_ms(d.workloads[i]);
      }
    }
  }
  return entries;
}

std::string describe_tool(const result<std::optional<fs::path>>& found, const char* flag, double timeout_s) {
  if (!found) return "unusable: " + found.error().to_string();
  if (!*found) return std::string("not found (give ") + flag + " PATH)";
  const std::string version = bench::tool_version(**found, seconds(std::min(timeout_s, 60.0)));
  return (*found)->string() + (version.empty() ? "" : " (" + version + ")");
}

int run_bench_eval(const bench_eval_options& options, const global_options& globals) {
  // Setup: the dataset, the driver and device, the tools.
  const fs::path root = options.dataset.empty() ? default_dataset() : fs::path(options.dataset);
  auto dataset = bench::load_bench_dataset(root);
  if (!dataset) {
    std::cerr << "error: --dataset " << root.string() << ": " << dataset.error().to_string() << "\n";
    return exit_failure;
  }
  auto driver = eval::cuda_driver::load();
  if (!driver) {
    std::cerr << "error: cannot benchmark: " << driver.error().to_string() << "\n";
    return exit_failure;
  }
  auto device = (*driver)->describe_device(options.device);
  if (!device) {
    std::cerr << "error: --device " << options.device << ": " << device.error().to_string() << "\n";
    return exit_failure;
  }
  const auto nvcc = bench::find_tool("nvcc", options.nvcc, "--nvcc", {"/usr/local/cuda/bin/nvcc"});
  std::vector<fs::path> ncu_places = {"/usr/local/cuda/bin/ncu"};
  for (const fs::path& p : bench::nsight_compute_installs("/opt/nvidia/nsight-compute")) ncu_places.push_back(p);
  const auto ncu = bench::find_tool("ncu", options.ncu, "--ncu", ncu_places);

  bench_report report;
  const eval::nvrtc_version nvrtc = eval::loaded_nvrtc_version();
  report.environment = {
      .device = device->name + " (" + device->nvrtc_arch() + ", " + std::to_string(device->sm_count) + " SMs)",
      .driver = std::to_string((*driver)->version()),
      .nvrtc = std::to_string(nvrtc.major) + "." + std::to_string(nvrtc.minor),
      .nvcc = describe_tool(nvcc, "--nvcc", options.timeout_s),
      .ncu = describe_tool(ncu, "--ncu", options.timeout_s),
      .dataset = dataset->root.string(),
      .repeats = options.repeats,
      .clock = {}};  // known once the evaluations ran

  // 1. Evaluations.
  auto evaluations = measure_evaluations(*dataset, options);
  if (!evaluations) {
    std::cerr << "error: cannot benchmark: " << evaluations.error().to_string() << "\n";
    return exit_failure;
  }
  report.evaluations = std::move(*evaluations);
  report.environment.clock = clocks_of(report.evaluations);

  // 2. Compile times.
  const std::optional<fs::path> nvcc_path = nvcc && *nvcc ? **nvcc : std::optional<fs::path>();
  report.compiles = measure_compiles(*dataset, device->nvrtc_arch(), nvcc_path, report.environment.nvcc, options);

  // 3. Nsight Compute.
  if (!ncu || !*ncu) {
    report.ncu_note = "ncu " + report.environment.ncu;
  } else {
    report.ncu = measure_ncu(**ncu, *dataset, report.evaluations, eval::device_limits_from(*device), options);
    if (report.ncu.empty()) report.ncu_note = "no candidate workload was timed";
  }

  // The table, and the JSON.
  const std::string table = bench::render_markdown(report);
  if (globals.json) {
    std::cerr << table;
    std::cout << bench::to_json(report).dump(2) << "\n";
  } else {
    std::cout << table;
  }
  bool ok = std::all_of(report.evaluations.begin(), report.evaluations.end(),
                        [](const bench::evaluation_entry& e) { return e.all_passed(); });
  for (const bench::compile_entry& c : report.compiles) ok = ok && c.nvrtc.has_value();
  return ok ? exit_ok : exit_failure;
}

}  // namespace

void add_bench_command(CLI::App& command, const global_options& globals, command_handler& handler) {
  command.require_subcommand(1, 1);
  CLI::App* eval_command = command.add_subcommand(
      "eval",
      "Time full evaluations (compile, load, correctness, timing) of the bench kernels, NVRTC against nvcc, "
      "and ksearch's latency against Nsight Compute; prints a Markdown table");
  auto options = std::make_shared<bench_eval_options>();
  eval_command->add_option("--dataset", options->dataset, "Bench dataset folder (default: the bundled bench/data)");
  eval_command->add_option("--repeats", options->repeats, "Full evaluations per candidate")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  eval_command->add_option("--device", options->device, "CUDA device ordinal")
      ->check(CLI::Range(0, 1023))
      ->capture_default_str();
  eval_command->add_option("--nvcc", options->nvcc, "nvcc to compare with (default: PATH, then /usr/local/cuda/bin)");
  eval_command->add_option("--ncu", options->ncu,
                           "Nsight Compute CLI (default: PATH, /usr/local/cuda/bin, /opt/nvidia/nsight-compute/*/)");
  eval_command->add_option("--timeout", options->timeout_s, "Seconds before one evaluation or tool run is stopped")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();

  command_handler pool = add_bench_pool_command(command, globals);
  handler = [options, eval_command, pool, &globals]() {
    if (eval_command->parsed()) return run_bench_eval(*options, globals);
    if (const int code = pool(); code >= 0) return code;
    return exit_usage;  // require_subcommand makes CLI11 refuse this first
  };
}

}  // namespace ksearch::cli
