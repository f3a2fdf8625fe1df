#include "ksearch/report/run_data.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "ksearch/common/json.h"
#include "ksearch/common/json_fields.h"
#include "ksearch/common/known_sum.h"
#include "ksearch/search/round_record.h"
#include "ksearch/store/durable_file.h"
#include "ksearch/worldmodel/world_model_json.h"

namespace ksearch::report {

namespace fs = std::filesystem;

namespace {

long long_at(const json& doc, const char* key) {
  auto value = number_at(doc, key);
  return value && std::isfinite(*value) ? static_cast<long>(*value) : 0L;
}

const json& object_at(const json& doc, const char* key) {
  static const json empty = json::object();
  if (!doc.is_object()) return empty;
  const auto it = doc.find(key);
  return it != doc.end() && it->is_object() ? *it : empty;
}

// Reads a JSON file that may be absent: nullopt (and no warning) when absent, nullopt and a
// warning when unreadable or not JSON.
std::optional<json> read_optional_json(const fs::path& file, std::vector<std::string>& warnings) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  auto text = store::read_file(file);
  if (!text) {
    warnings.push_back(text.error().to_string());
    return std::nullopt;
  }
  json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    warnings.push_back(file.string() + ": not valid JSON; ignored");
    return std::nullopt;
  }
  return doc;
}

// The workloads of an evaluation as the report shows them: values the evaluator marks as not
// measured (negative latencies, no samples) become empty cells.
std::vector<workload_row> workload_rows(const search::evaluation_outcome& evaluation) {
  const auto measured = [](double v) { return v > 0 ? std::optional<double>(v) : std::nullopt; };
  std::vector<workload_row> rows;
  for (const eval::workload_result& w : evaluation.workloads()) {
    workload_row row;
    row.uuid = w.uuid;
    row.status = w.status;
    row.latency_ms = measured(w.latency_ms);
    row.reference_latency_ms = measured(w.reference_latency_ms);
    row.speedup_factor = measured(w.speedup_factor);
    row.max_absolute_error = w.max_absolute_error;
    row.max_relative_error = w.max_relative_error;
    if (w.timing.samples > 0) row.samples = static_cast<long>(w.timing.samples);
    if (w.timing.samples > 0) row.rel_noise = w.timing.rel_noise;
    row.log = w.log;
    rows.push_back(std::move(row));
  }
  return rows;
}

// Sources of a FlashInfer Solution JSON: kernel.cu and launch.json.
void read_sources(const json& solution, best_candidate& best) {
  const auto sources = solution.is_object() ? solution.find("sources") : solution.end();
  if (!solution.is_object() || sources == solution.end() || !sources->is_array()) return;
  for (const json& file : *sources) {
    const std::string path = string_at(file, "path");
    if (path == "kernel.cu") best.kernel_cu = string_at(file, "content");
    if (path == "launch.json") best.launch_json = string_at(file, "content");
  }
}

// Rounds are read with the search's own parser (search/round_record.h), so both agree on the format.
round_row row_from(const search::round_record& r, std::size_t line) {
  round_row row;
  row.line = line;
  row.kind = r.kind;
  row.round = r.round;
  row.time = r.time;
  row.node_id = r.node_id;
  row.prompt_kind = r.prompt_kind;
  row.solution_id = r.solution_id;
  if (r.solution) row.solution_name = r.solution->name;
  row.reused_from_round = r.reused_from_round;
  const search::evaluation_outcome& e = r.evaluation;
  row.status = e.status;
  row.passed = e.passed;
  row.score = r.score();
  row.latency_ms = e.latency_ms;
  row.reference_latency_ms = e.reference_latency_ms;
  row.speedup_factor = e.speedup_factor;
  row.feedback = e.feedback;
  row.llm_calls = r.usage.calls;
  row.prompt_tokens = r.usage.prompt_tokens;
  row.completion_tokens = r.usage.completion_tokens;
  row.reasoning_tokens = r.usage.reasoning_tokens;
  row.cost_usd = r.usage.cost_usd;
  return row;
}

best_candidate best_from(const search::round_record& record, const round_row& row) {
  best_candidate best;
  best.round = row.round;
  best.node_id = row.node_id;
  best.solution_id = row.solution_id;
  best.solution_name = row.solution_name;
  best.score = row.score;
  best.latency_ms = row.latency_ms;
  best.reference_latency_ms = row.reference_latency_ms;
  best.speedup_factor = row.speedup_factor;
  best.score_name = record.evaluation.score_name;
  best.workloads = workload_rows(record.evaluation);
  if (record.solution) read_sources(tasks::to_json(*record.solution), best);
  return best;
}

// Folders under `dir` that hold a solutions.jsonl: what the user probably meant when pointing at
// --artifacts-dir instead of the run folder inside it.
std::vector<std::string> run_folders_below(const fs::path& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ignored;
    if (it->is_directory(ignored) && fs::exists(it->path() / "solutions.jsonl", ignored)) {
      found.push_back(it->path().string());
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

// Step 1: solutions.jsonl, the rows, the best-so-far column and the best candidate.
result<void> load_rounds(const fs::path& dir, run_data& run) {
  const fs::path file = dir / "solutions.jsonl";
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    const std::vector<std::string> below = run_folders_below(dir);
    std::string fix = "point at the folder a search wrote its rounds in (<artifacts-dir>/<definition>)";
    if (!below.empty()) {
      fix = "did you mean " + below.front() + (below.size() > 1 ? " (or one of " + std::to_string(below.size()) + " run folders there)" : "") + "?";
    }
    return fail(file.string(), "missing: this is not a run folder", fix);
  }
  auto contents = store::read_jsonl(file);
  if (!contents) return std::unexpected(contents.error());
  for (std::string& skipped : contents->skipped) run.warnings.push_back(std::move(skipped));

  std::optional<double> best_score;
  std::optional<search::round_record> best_record;
  std::size_t best_index = 0;
  for (const store::jsonl_record& line : contents->records) {
    auto record = search::round_record_from_json(line.value, file.string() + ":" + std::to_string(line.line));
    if (!record) {
      run.warnings.push_back(record.error().to_string() + "; skipped");
      continue;
    }
    round_row row = row_from(*record, line.line);
    // As the search: strictly greater replaces, so ties keep the earliest; seeds never count.
    if (row.kind == "round" && row.score && std::isfinite(*row.score) && (!best_score || *row.score > *best_score)) {
      best_score = row.score;
      best_record = std::move(*record);
      best_index = run.rounds.size();
    }
    row.best_score = best_score;
    run.rounds.push_back(std::move(row));
  }
  if (best_record) run.best = best_from(*best_record, run.rounds[best_index]);
  return {};
}

// Step 2: run.json (what ran) and state.json (the cycle at the last boundary).
void load_run_info(const fs::path& dir, run_data& run) {
  run_info& info = run.info;
  std::error_code ec;
  if (!fs::exists(dir / "run.json", ec)) {
    run.warnings.push_back((dir / "run.json").string() + ": missing; the task, model and flags are unknown");
  } else if (auto doc = read_optional_json(dir / "run.json", run.warnings)) {
    info.ksearch_version = string_at(*doc, "ksearch");
    const json& task = object_at(*doc, "task");
    info.backend = string_at(task, "backend");
    info.definition = string_at(task, "definition");
    info.dataset = string_at(task, "dataset");
    info.reference_solution = string_at(task, "reference_solution");
    info.eval_mode = string_at(task, "mode");
    if (const auto w = task.find("workloads"); w != task.end() && w->is_array()) {
      for (const json& uuid : *w) {
        if (uuid.is_string()) info.workloads.push_back(uuid.get<std::string>());
      }
    }
    const auto sessions = doc->find("sessions");
    if (sessions != doc->end() && sessions->is_array() && !sessions->empty()) {
      info.sessions = static_cast<int>(sessions->size());
      info.started = string_at(sessions->front(), "started");
      info.gpu = string_at(object_at(sessions->back(), "gpu"), "name");  // the device of the latest session
      const json& config = object_at(sessions->back(), "config");  // the latest flags
      info.model = string_at(config, "model_name");
      info.base_url = string_at(config, "base_url");
      info.target_gpu = string_at(config, "target_gpu");
      info.max_rounds = static_cast<int>(long_at(config, "max_opt_rounds"));
      if (const auto wm = config.find("world_model"); wm != config.end() && wm->is_boolean()) info.world_model = wm->get<bool>();
      if (info.definition.empty()) info.definition = string_at(config, "definition");
      if (info.eval_mode.empty()) info.eval_mode = string_at(config, "eval_mode");
    }
  }
  if (auto state = read_optional_json(dir / "state.json", run.warnings)) {
    const json& cycle = object_at(*state, "cycle");
    info.cycle_node_id = string_at(cycle, "node_id");
    info.cycle_phase = string_at(cycle, "phase");
  }
}

// Step 3: world_model.json, read with the search's own reader; its repairs become warnings.
void load_world_model(const fs::path& dir, run_data& run) {
  const fs::path file = dir / "world_model.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    const bool expected = run.info.world_model.value_or(
        std::any_of(run.rounds.begin(), run.rounds.end(), [](const round_row& r) { return !r.node_id.empty(); }));
    if (expected) run.warnings.push_back(file.string() + ": missing; the world-model tree cannot be drawn");
    return;
  }
  auto doc = read_optional_json(file, run.warnings);
  if (!doc) return;
  worldmodel::repair_report repairs;
  auto model = worldmodel::world_model_from_json(*doc, repairs);
  if (!model) {
    run.warnings.push_back(file.string() + ": " + model.error().problem);
    return;
  }
  for (const std::string& repair : repairs.repairs) run.warnings.push_back(file.string() + ": " + repair);
  run.world_model = std::move(*model);
}

// Step 4: transcript.jsonl, every LLM call by purpose (rounds record only their own calls).
void load_transcript(const fs::path& dir, run_data& run) {
  const fs::path file = dir / "transcript.jsonl";
  std::error_code ec;
  if (!fs::exists(file, ec)) return;
  auto contents = store::read_jsonl(file);
  if (!contents) {
    run.warnings.push_back(contents.error().to_string());
    return;
  }
  for (std::string& skipped : contents->skipped) run.warnings.push_back(std::move(skipped));
  std::map<long, std::size_t> purpose_of_call;  // call number -> index in run.llm_usage
  for (const store::jsonl_record& record : contents->records) {
    const std::string type = string_at(record.value, "type");
    const long call = long_at(record.value, "call");
    if (type == "request") {
      std::string purpose = string_at(record.value, "purpose");
      if (purpose.empty()) purpose = "unknown";
      auto it = std::find_if(run.llm_usage.begin(), run.llm_usage.end(),
                             [&](const llm_purpose_usage& u) { return u.purpose == purpose; });
      if (it == run.llm_usage.end()) it = run.llm_usage.insert(run.llm_usage.end(), llm_purpose_usage{.purpose = purpose});
      ++it->calls;
      purpose_of_call[call] = static_cast<std::size_t>(it - run.llm_usage.begin());
      continue;
    }
    const auto owner = purpose_of_call.find(call);
    if (owner == purpose_of_call.end()) continue;  // an outcome whose request was torn off
    llm_purpose_usage& usage = run.llm_usage[owner->second];
    if (type == "error") {
      ++usage.failed;
    } else if (type == "reply") {
      const json& tokens = object_at(record.value, "usage");
      usage.prompt_tokens = known_sum(usage.prompt_tokens, count_at(tokens, "prompt_tokens"));
      usage.completion_tokens = known_sum(usage.completion_tokens, count_at(tokens, "completion_tokens"));
      usage.reasoning_tokens = known_sum(usage.reasoning_tokens, count_at(tokens, "reasoning_tokens"));
      usage.cost_usd = known_sum(usage.cost_usd, number_at(record.value, "cost_usd"));
    }
  }
}

// Step 5: the best candidate's code when its record had none (best_solution.json is the same
// candidate, written by the search whenever the best changed).
void fill_best_code(const fs::path& dir, run_data& run) {
  if (!run.best || !run.best->kernel_cu.empty()) return;
  if (auto doc = read_optional_json(dir / "best_solution.json", run.warnings)) read_sources(*doc, *run.best);
}

}  // namespace

int run_data::last_round() const {
  int last = 0;
  for (const round_row& r : rounds) last = std::max(last, r.round);
  return last;
}

std::vector<status_count> run_data::status_counts() const {
  std::vector<status_count> counts;
  for (const round_row& r : rounds) {
    if (r.kind != "round") continue;
    auto it = std::find_if(counts.begin(), counts.end(), [&](const status_count& c) { return c.status == r.status; });
    if (it == counts.end()) it = counts.insert(counts.end(), status_count{.status = r.status});
    ++it->rounds;
    it->round_numbers.push_back(r.round);
  }
  std::stable_sort(counts.begin(), counts.end(), [](const status_count& a, const status_count& b) {
    const bool a_passed = a.status == tasks::evaluation_status::passed;
    if (a_passed != (b.status == tasks::evaluation_status::passed)) return a_passed;
    if (a.rounds != b.rounds) return a.rounds > b.rounds;
    return tasks::to_string(a.status) < tasks::to_string(b.status);
  });
  return counts;
}

usage_totals run_data::round_usage() const {
  usage_totals totals;
  for (const round_row& r : rounds) {
    totals.calls += r.llm_calls;
    add_known_usage(totals, r);
  }
  return totals;
}

llm_purpose_usage run_data::all_llm_usage() const {
  llm_purpose_usage all{.purpose = "all calls (transcript.jsonl)"};
  for (const llm_purpose_usage& u : llm_usage) {
    all.calls += u.calls;
    all.failed += u.failed;
    add_known_usage(all, u);
  }
  return all;
}

std::string run_data::stop_summary() const {
  if (rounds.empty()) return "no round recorded";
  const int last = last_round();
  const int budget = info.max_rounds;
  std::string out;
  if (budget > 0 && last >= budget) {
    out = "round budget spent (" + std::to_string(last) + " of " + std::to_string(budget) + " rounds)";
  } else {
    out = "stopped after round " + std::to_string(last) + (budget > 0 ? " of " + std::to_string(budget) : std::string());
    const auto latest = std::max_element(rounds.begin(), rounds.end(),
                                         [](const round_row& a, const round_row& b) { return a.round < b.round; });
    if (latest->status == tasks::evaluation_status::llm_error) out += " after an LLM endpoint failure";
    out += "; resumable with --resume";
  }
  if (info.cycle_phase == "running" && !info.cycle_node_id.empty()) {
    out += "; the cycle on " + info.cycle_node_id + " was still running";
  }
  return out;
}

result<run_data> load_run(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return fail(dir.string(), "no such folder", "give the run folder: <artifacts-dir>/<definition>");
  if (!fs::is_directory(dir, ec)) return fail(dir.string(), "not a folder", "give the run folder, not a file in it");
  run_data run;
  // Absolute and without a trailing '/', so that the folder has a name to show ("." has none).
  run.dir = fs::absolute(dir, ec).lexically_normal();
  if (run.dir.filename().empty()) run.dir = run.dir.parent_path();
  if (auto rounds = load_rounds(dir, run); !rounds) return std::unexpected(rounds.error());
  load_run_info(dir, run);
  load_world_model(dir, run);
  load_transcript(dir, run);
  fill_best_code(dir, run);
  return run;
}

}  // namespace ksearch::report
