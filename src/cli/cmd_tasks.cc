// `ksearch tasks`: lists the task backends and what each offers here. Loads a FlashInfer Trace
// dataset (--task-path, else the bundled tasks/flashinfer) and, when given, a KernelBench
// checkout. Human output on stderr, --json on stdout.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <regex>

#include "ksearch/cli/commands.h"
#include "ksearch/cli/run_options.h"
#include "ksearch/common/json.h"
#include "ksearch/common/paths.h"
#include "ksearch/search/gpumode_task.h"
#include "ksearch/tasks/dataset_scan.h"

namespace ksearch::cli {

namespace fs = std::filesystem;

namespace {

json list_flashinfer(const task_selection& task) {
  json out = {{"backend", "flashinfer"}};
  fs::path root;
  if (!task.task_path.empty()) {
    root = task.task_path;
  } else if (auto bundled = find_data_dir("tasks")) {
    root = *bundled / "flashinfer";
  }
  out["dataset"] = root.string();
  auto listing = tasks::scan_dataset(root);
  if (!listing) {
    out["error"] = listing.error().to_string();
    return out;
  }
  out["definitions"] = json::array();
  for (const auto& d : listing->definitions) {
    out["definitions"].push_back({{"name", d.name},
                                  {"op_type", d.op_type},
                                  {"const_axes", d.const_axes},
                                  {"var_axes", d.var_axes},
                                  {"inputs", d.inputs},
                                  {"outputs", d.outputs},
                                  {"workloads", d.workload_count},
                                  {"file", d.file.string()}});
  }
  out["problems"] = json::array();
  for (const auto& p : listing->problems) out["problems"].push_back(p.to_string());
  return out;
}

json list_gpumode(const task_selection& task) {
  json out = {{"backend", "gpumode"}, {"definitions", json::array()}};
  task_selection gpumode = task;
  gpumode.task = "gpumode";
  if (task.task != "gpumode") gpumode.task_path.clear();  // --task-path names a FlashInfer dataset then
  const fs::path dir = dataset_root(gpumode);
  auto loaded = tasks::load_dataset_definition(dir, "trimul");
  if (loaded) {
    const auto benchmarks = std::count_if(loaded->workloads.begin(), loaded->workloads.end(),
                                          [](const tasks::workload& w) { return search::is_gpumode_benchmark(w.uuid); });
    out["definitions"].push_back({{"name", "trimul"},
                                  {"folder", dir.string()},
                                  {"tests", static_cast<long>(loaded->workloads.size()) - benchmarks},
                                  {"benchmarks", benchmarks}});
  } else {
    out["error"] = "TriMul dataset not found: " + loaded.error().to_string();
  }
  return out;
}

json list_kernelbench(const task_selection& task) {
  json out = {{"backend", "kernelbench"}, {"root", task.kernelbench_root}};
  if (task.kernelbench_root.empty()) {
    out["error"] = "no KernelBench checkout given (pass --kernelbench-root or set KERNELBENCH_ROOT)";
    return out;
  }
  // Problems are files named <id>_<Name>.py inside level<N>/ folders (KernelBench/level1, ...).
  const std::regex problem_file(R"((\d+)_.+\.py)");
  json levels = json::object();
  for (const fs::path& base : {fs::path(task.kernelbench_root), fs::path(task.kernelbench_root) / "KernelBench"}) {
    for (int level = 1; level <= 4; ++level) {
      const fs::path dir = base / ("level" + std::to_string(level));
      std::error_code ec;
      if (!fs::is_directory(dir, ec) || levels.contains(std::to_string(level))) continue;
      std::size_t count = 0;
      for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (std::regex_match(entry.path().filename().string(), problem_file)) ++count;
      }
      levels[std::to_string(level)] = {{"folder", dir.string()}, {"problems", count}};
    }
  }
  out["levels"] = levels;
  if (levels.empty()) out["error"] = "no level1..level4 folders under " + task.kernelbench_root;
  return out;
}

void print_human(const json& backend) {
  std::cerr << backend["backend"].get<std::string>() << ":";
  if (backend.contains("dataset")) std::cerr << " dataset " << backend["dataset"].get<std::string>();
  if (backend.contains("root") && !backend["root"].get<std::string>().empty()) {
    std::cerr << " root " << backend["root"].get<std::string>();
  }
  std::cerr << "\n";
  if (backend.contains("error")) std::cerr << "  (" << backend["error"].get<std::string>() << ")\n";
  if (backend.contains("definitions")) {
    if (backend["definitions"].empty() && !backend.contains("error")) std::cerr << "  (no definitions)\n";
    for (const json& d : backend["definitions"]) {
      std::cerr << "  " << d["name"].get<std::string>();
      if (d.contains("op_type")) {
        std::cerr << "  [" << d["op_type"].get<std::string>() << "]  " << d["workloads"].get<std::size_t>()
                  << " workloads";
      }
      std::cerr << "\n";
    }
  }
  if (backend.contains("levels")) {
    for (const auto& [level, info] : backend["levels"].items()) {
      std::cerr << "  level " << level << ": " << info["problems"].get<std::size_t>() << " problems\n";
    }
  }
  for (const json& p : backend.value("problems", json::array())) std::cerr << "  warning: " << p.get<std::string>() << "\n";
}

}  // namespace

void add_tasks_command(CLI::App& command, const global_options& globals, command_handler& handler) {
  auto task = std::make_shared<task_selection>();
  add_task_flags(command, *task);

  handler = [task, &globals, &command]() {
    // Without --task every backend is listed; with it, only that one.
    const bool one_backend = command.count("--task") > 0;
    json backends = json::array();
    if (!one_backend || task->task == "flashinfer") backends.push_back(list_flashinfer(*task));
    if (!one_backend || task->task == "gpumode") backends.push_back(list_gpumode(*task));
    if (!one_backend || task->task == "kernelbench") backends.push_back(list_kernelbench(*task));

    if (globals.json) {
      std::cout << json{{"backends", backends}}.dump(2) << "\n";
    } else {
      for (const json& backend : backends) print_human(backend);
    }
    // A dataset the user named explicitly must be readable; the bundled ones may still be empty.
    const bool named_dataset_failed = !task->task_path.empty() && !backends.empty() &&
                                      backends[0]["backend"] == "flashinfer" && backends[0].contains("error");
    return named_dataset_failed ? exit_failure : exit_ok;
  };
}

}  // namespace ksearch::cli
