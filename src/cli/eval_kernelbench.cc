#include "ksearch/cli/eval_kernelbench.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "ksearch/cli/commands.h"
#include "ksearch/cli/eval_table.h"
#include "ksearch/common/json.h"
#include "ksearch/eval/gpu/cuda_driver.h"
#include "ksearch/search/flashinfer_task.h"
#include "ksearch/search/kernelbench_summary.h"
#include "ksearch/store/durable_file.h"
#include "ksearch/tasks/kernelbench_problems.h"
#include "ksearch/tasks/solution.h"

namespace ksearch::cli {

namespace {

namespace fs = std::filesystem;

// The GPU's name (part of the import's cache key: baselines are per GPU); "" when unknown.
std::string gpu_name(int ordinal) {
  auto driver = eval::cuda_driver::load();
  if (!driver) return {};
  auto device = (*driver)->describe_device(ordinal);
  return device ? device->name : std::string();
}

std::string format_ms(const std::optional<double>& ms) {
  if (!ms) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", *ms);
  return text;
}

std::string format_x(const std::optional<double>& x) {
  if (!x) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2fx", *x);
  return text;
}

// Evaluates `code` on the problem's dataset in `pool`; prints a table per phase when `tables`.
result<search::kernelbench_verdict> evaluate_one(eval::evaluation_pool& pool, const search::kernelbench_dataset& dataset,
                                                 const eval::solution_code& code, const task_selection& task,
                                                 bool tables, json* phases_doc) {
  auto tolerance = search::kernelbench_tolerance(task.kernelbench_precision, task.kernelbench_tolerance);
  if (!tolerance) return std::unexpected(tolerance.error());
  auto request = search::kernelbench_request(dataset, code);
  if (!request) return std::unexpected(request.error());
  const auto phases = search::kernelbench_phases(*request, *tolerance, task.kernelbench_perf_trials);
  auto outcome = search::run_phases(pool, phases);
  if (!outcome) return std::unexpected(outcome.error());
  for (std::size_t i = 0; i < outcome->phases.size(); ++i) {
    const auto& [name, result] = outcome->phases[i];
    if (tables) {
      std::fprintf(stderr, "\n== %s ==\n", name.c_str());
      print_eval_table(result, phases[i].request);
    }
    if (phases_doc != nullptr) (*phases_doc)[name] = eval::to_json(result);
  }
  return search::judge_kernelbench(*outcome, dataset);
}

void print_verdict(const search::kernelbench_verdict& v, double tolerance, const search::kernelbench_dataset& dataset) {
  std::fprintf(stderr, "\nKernelBench verdict: %s (allclose atol = rtol = %g)\n", v.correct ? "correct" : "INCORRECT",
               tolerance);
  if (!v.correct) {
    std::fprintf(stderr, "  %s: %s\n", std::string(tasks::to_string(v.status)).c_str(), v.log.c_str());
    return;
  }
  std::fprintf(stderr, "  kernel %s ms, eager %s ms (%s), torch.compile %s ms (%s)%s\n", format_ms(v.kernel_ms).c_str(),
               format_ms(v.eager_ms).c_str(), format_x(v.speedup_vs_eager).c_str(), format_ms(v.compile_ms).c_str(),
               format_x(v.speedup_vs_compile).c_str(), v.suspicious ? "  SUSPICIOUS (>10x over eager)" : "");
  if (!v.compile_ms && !dataset.compile_error.empty()) {
    std::fprintf(stderr, "  no torch.compile baseline: %s\n", dataset.compile_error.c_str());
  }
}

search::kernelbench_import_options import_options(const kernelbench_eval_options& o) {
  search::kernelbench_import_options import;
  import.cache_dir = o.task.kernelbench_cache;
  import.correctness_trials = o.trials;
  import.precision = o.task.kernelbench_precision;
  import.perf_trials = o.task.kernelbench_perf_trials;
  import.device = o.device;
  import.gpu_name = gpu_name(o.device);
  return import;
}

int evaluate_single(const kernelbench_eval_options& o, bool json_out) {
  auto problem = tasks::find_kernelbench_problem(o.task.kernelbench_root, o.task.kernelbench_level, o.task.kernelbench_problem_id);
  if (!problem) {
    std::cerr << "error: " << problem.error().to_string() << "\n";
    return exit_usage;
  }
  auto tolerance = search::kernelbench_tolerance(o.task.kernelbench_precision, o.task.kernelbench_tolerance);
  if (!tolerance) {
    std::cerr << "error: " << tolerance.error().to_string() << "\n";
    return exit_usage;
  }
  auto solution = tasks::load_solution(o.solution);
  auto code = solution ? search::solution_code_of(*solution) : std::unexpected(solution.error());
  if (!code) {
    std::cerr << "error: " << code.error().to_string() << "\n";
    return exit_usage;
  }
  std::fprintf(stderr, "importing %s ...\n", problem->file.string().c_str());
  auto dataset = search::import_kernelbench_problem(*problem, import_options(o));
  if (!dataset) {
    std::cerr << "error: " << dataset.error().to_string() << "\n";
    return exit_failure;
  }
  std::fprintf(stderr, "dataset %s (%s)\n", dataset->root.string().c_str(), dataset->reused ? "cached" : "imported now");
  auto pool = eval::evaluation_pool::create(o.workers);
  if (!pool) {
    std::cerr << "error: " << pool.error().to_string() << "\n";
    return exit_failure;
  }
  json phases = json::object();
  auto verdict = evaluate_one(**pool, *dataset, *code, o.task, /*tables=*/true, &phases);
  if (!verdict) {
    std::cerr << "error: cannot evaluate: " << verdict.error().to_string() << "\n";
    return exit_failure;
  }
  print_verdict(*verdict, *tolerance, *dataset);
  if (json_out) {
    json doc = verdict->to_json();
    doc["definition"] = dataset->definition;
    doc["dataset"] = dataset->root.string();
    doc["tolerance"] = *tolerance;
    doc["phases"] = phases;
    std::cout << doc.dump(2) << "\n";
  }
  return verdict->correct && verdict->kernel_ms ? exit_ok : exit_failure;
}

// The solutions of a batch folder by definition name (see the header for where they are looked for).
class solution_index {
 public:
  explicit solution_index(const fs::path& folder) : folder_(folder) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      if (entry.path().extension() != ".json" || !entry.is_regular_file(ec)) continue;
      auto s = tasks::load_solution(entry.path());
      if (s) by_definition_.emplace(s->definition, entry.path());  // the first file in listing order wins
    }
  }

  [[nodiscard]] std::optional<fs::path> find(const std::string& definition) const {
    std::error_code ec;
    for (const fs::path& p : {folder_ / (definition + ".json"), folder_ / definition / "best_solution.json"}) {
      if (fs::is_regular_file(p, ec)) return p;
    }
    if (auto it = by_definition_.find(definition); it != by_definition_.end()) return it->second;
    return std::nullopt;
  }

 private:
  fs::path folder_;
  std::map<std::string, fs::path> by_definition_;
};

int evaluate_batch(const kernelbench_eval_options& o, bool json_out) {
  const int level = o.task.kernelbench_level;
  auto listed = tasks::list_kernelbench_problems(o.task.kernelbench_root, level);
  if (!listed) {
    std::cerr << "error: " << listed.error().to_string() << "\n";
    return exit_usage;
  }
  std::vector<tasks::kernelbench_problem> problems;
  if (o.problem_ids.empty()) {
    problems = *listed;
  } else {
    for (int id : o.problem_ids) {
      auto found = tasks::find_kernelbench_problem(o.task.kernelbench_root, level, id);
      if (!found) {
        std::cerr << "error: --kernelbench-problem-ids: " << found.error().to_string() << "\n";
        return exit_usage;
      }
      problems.push_back(*found);
    }
  }
  auto tolerance = search::kernelbench_tolerance(o.task.kernelbench_precision, o.task.kernelbench_tolerance);
  if (!tolerance) {
    std::cerr << "error: " << tolerance.error().to_string() << "\n";
    return exit_usage;
  }
  auto pool = eval::evaluation_pool::create(o.workers);
  if (!pool) {
    std::cerr << "error: " << pool.error().to_string() << "\n";
    return exit_failure;
  }
  const solution_index index(o.solution);
  const search::kernelbench_import_options import = import_options(o);
  std::vector<search::kernelbench_row> rows;
  for (const tasks::kernelbench_problem& problem : problems) {
    search::kernelbench_row row;
    row.problem_id = problem.id;
    row.problem = problem.name;
    row.definition = tasks::kernelbench_definition_name(problem);
    std::fprintf(stderr, "[%zu/%zu] level %d problem %d %s: ", rows.size() + 1, problems.size(), level, problem.id,
                 problem.name.c_str());
    const auto file = index.find(row.definition);
    if (!file) {
      row.error = "no solution for " + row.definition + " in " + o.solution;
      std::fprintf(stderr, "no solution\n");
      rows.push_back(std::move(row));
      continue;
    }
    row.solution = file->string();
    auto solution = tasks::load_solution(*file);
    auto code = solution ? search::solution_code_of(*solution) : std::unexpected(solution.error());
    auto dataset = code ? search::import_kernelbench_problem(problem, import) : std::unexpected(code.error());
    auto verdict = dataset ? evaluate_one(**pool, *dataset, *code, o.task, /*tables=*/false, nullptr)
                           : std::unexpected(dataset.error());
    if (!verdict) {
      row.error = verdict.error().to_string();
      std::fprintf(stderr, "not evaluated: %s\n", row.error.c_str());
    } else {
      row.verdict = *verdict;
      std::fprintf(stderr, "%s", verdict->correct ? "correct" : std::string(tasks::to_string(verdict->status)).c_str());
      if (verdict->correct) {
        std::fprintf(stderr, ", %s ms, %s vs eager, %s vs compile%s", format_ms(verdict->kernel_ms).c_str(),
                     format_x(verdict->speedup_vs_eager).c_str(), format_x(verdict->speedup_vs_compile).c_str(),
                     verdict->suspicious ? ", SUSPICIOUS" : "");
      }
      std::fprintf(stderr, "\n");
    }
    rows.push_back(std::move(row));
  }

  const json settings = {{"root", o.task.kernelbench_root},         {"solutions", o.solution},
                         {"precision", o.task.kernelbench_precision}, {"tolerance", *tolerance},
                         {"correctness_trials", o.trials},            {"perf_trials", o.task.kernelbench_perf_trials},
                         {"gpu", import.gpu_name}};
  const json summary = search::kernelbench_summary(level, rows, settings);
  std::fprintf(stderr, "\nlevel %d: %zu problems, %zu correct; fast_p vs eager:", level, rows.size(),
               summary["correct"].get<std::size_t>());
  for (const auto& [p, share] : summary["fast_p"].items()) std::fprintf(stderr, " fast_%s=%.3f", p.c_str(), share.get<double>());
  std::fprintf(stderr, "; vs torch.compile:");
  for (const auto& [p, share] : summary["fast_p_vs_compile"].items()) {
    std::fprintf(stderr, " fast_%s=%.3f", p.c_str(), share.get<double>());
  }
  std::fprintf(stderr, "\n");
  const fs::path out = o.summary_file.empty() ? fs::path("kernelbench_level" + std::to_string(level) + "_summary.json")
                                              : fs::path(o.summary_file);
  if (auto written = store::write_file_atomic(out, summary.dump(2) + "\n"); !written) {
    std::cerr << "error: --summary: " << written.error().to_string() << "\n";
    return exit_failure;
  }
  std::fprintf(stderr, "summary: %s\n", out.string().c_str());
  if (json_out) std::cout << summary.dump(2) << "\n";
  return exit_ok;
}

}  // namespace

int evaluate_kernelbench(const kernelbench_eval_options& options, bool json_out) {
  std::error_code ec;
  return fs::is_directory(options.solution, ec) ? evaluate_batch(options, json_out) : evaluate_single(options, json_out);
}

}  // namespace ksearch::cli
