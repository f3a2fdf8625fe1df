#include "ksearch/search/kernelbench_import.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "ksearch/common/content_hash.h"
#include "ksearch/common/json.h"
#include "ksearch/common/paths.h"
#include "ksearch/common/subprocess.h"
#include "ksearch/eval/reference_oracle.h"

namespace ksearch::search {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_message_chars = 3000;  // of the importer's stderr, in an error

result<std::string> read_text(const fs::path& file, const std::string& what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(file.string(), "cannot read " + what);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<fs::path> bundled_import_script() {
  auto tasks_dir = find_data_dir("tasks");
  if (!tasks_dir) return std::nullopt;
  fs::path script = *tasks_dir / "kernelbench" / "import_problem.py";
  std::error_code ec;
  if (!fs::is_regular_file(script, ec)) return std::nullopt;
  return script;
}

std::optional<double> baseline_mean(const json& baselines, const char* which) {
  if (!baselines.is_object()) return std::nullopt;
  const json& entry = baselines.value(which, json());
  if (!entry.is_object() || !entry.contains("mean_ms") || !entry["mean_ms"].is_number()) return std::nullopt;
  return entry["mean_ms"].get<double>();
}

std::string tail(const std::string& text) {
  return text.size() <= max_message_chars ? text : "..." + text.substr(text.size() - max_message_chars);
}

}  // namespace

fs::path default_kernelbench_cache() {
  if (const char* dir = std::getenv("KSEARCH_CACHE_DIR"); dir != nullptr && *dir != '\0') return fs::path(dir) / "kernelbench";
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir != nullptr && *dir != '\0') {
    return fs::path(dir) / "ksearch" / "kernelbench";
  }
  const char* home = std::getenv("HOME");
  return fs::path(home != nullptr && *home != '\0' ? home : ".") / ".cache" / "ksearch" / "kernelbench";
}

result<kernelbench_dataset> read_kernelbench_dataset(const fs::path& root) {
  const fs::path file = root / "kernelbench.json";
  auto text = read_text(file, "the import's manifest");
  if (!text) return std::unexpected(text.error());
  json manifest = json::parse(*text, nullptr, false);
  if (!manifest.is_object() || !manifest.contains("definition") || !manifest["definition"].is_string()) {
    return fail(file.string(), "not a KernelBench import manifest (no \"definition\" string)",
                "delete the folder; the next run imports the problem again");
  }
  kernelbench_dataset out;
  out.root = root;
  out.definition = manifest["definition"].get<std::string>();
  const json baselines = manifest.value("baselines", json());
  out.eager_ms = baseline_mean(baselines, "eager");
  out.compile_ms = baseline_mean(baselines, "compile");
  if (baselines.is_object() && baselines.value("compile_error", json()).is_string()) {
    out.compile_error = baselines["compile_error"].get<std::string>();
  }
  out.manifest = std::move(manifest);
  return out;
}

result<kernelbench_dataset> import_kernelbench_problem(const tasks::kernelbench_problem& problem,
                                                       const kernelbench_import_options& options) {
  fs::path script = options.script;
  if (script.empty()) {
    auto bundled = bundled_import_script();
    if (!bundled) {
      return fail("tasks/kernelbench/import_problem.py", "not found next to ksearch",
                  "set KSEARCH_DATA_DIR to the folder that holds ksearch's tasks/");
    }
    script = *bundled;
  }
  auto problem_source = read_text(problem.file, "the KernelBench problem");
  if (!problem_source) return std::unexpected(problem_source.error());
  auto importer_source = read_text(script, "the importer");
  if (!importer_source) return std::unexpected(importer_source.error());
  // The baselines are timed with the oracle's routine: a change there is a change of the import.
  std::string timing_source;
  if (auto oracle = eval::bundled_oracle_script()) timing_source = read_text(*oracle, "the oracle").value_or("");

  content_hash key;
  key.add(*problem_source).add(*importer_source).add(timing_source);
  key.add(std::to_string(options.correctness_trials)).add(options.precision).add(std::to_string(options.perf_trials));
  key.add(options.device < 0 ? std::string("cpu") : options.gpu_name);
  const fs::path cache = options.cache_dir.empty() ? default_kernelbench_cache() : options.cache_dir;
  const fs::path root = cache / ("l" + std::to_string(problem.level) + "_p" + std::to_string(problem.id) + "_" +
                                 safe_name(problem.name) + "-" + key.hex());
  std::error_code ec;
  if (fs::is_regular_file(root / "kernelbench.json", ec)) {
    auto cached = read_kernelbench_dataset(root);
    if (cached) cached->reused = true;
    return cached;
  }
  fs::create_directories(cache, ec);
  if (ec) return fail("--kernelbench-cache " + cache.string(), "cannot create the folder: " + ec.message());

  const std::string python = options.python.empty() ? eval::oracle_python() : options.python;
  const std::vector<std::string> argv = {python, script.string(), "--problem", problem.file.string(),
                                         "--level", std::to_string(problem.level), "--problem-id", std::to_string(problem.id),
                                         "--out", root.string(), "--trials", std::to_string(options.correctness_trials),
                                         "--precision", options.precision, "--perf-trials", std::to_string(options.perf_trials),
                                         "--device", options.device < 0 ? std::string("cpu") : std::to_string(options.device)};
  auto done = run_command(argv, {.timeout = options.timeout});
  if (!done) {
    return fail(python, "cannot start it to import KernelBench problems: " + done.error().to_string(),
                "install python3 with torch and safetensors (pip install torch safetensors), or point KSEARCH_PYTHON at one");
  }
  if (done->exit_code == 3) {
    return fail(python, "cannot import a KernelBench problem: " + tail(done->err),
                "pip install torch safetensors (or point KSEARCH_PYTHON at a python that has them)");
  }
  if (!done->succeeded()) {
    return fail("KernelBench problem " + problem.file.string(),
                "the import " + done->describe_end() + (done->err.empty() ? std::string() : ": " + tail(done->err)));
  }
  return read_kernelbench_dataset(root);
}

}  // namespace ksearch::search
