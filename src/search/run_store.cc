#include "ksearch/search/run_store.h"

#include <algorithm>

#include "ksearch/common/json_fields.h"
#include "ksearch/common/paths.h"

namespace ksearch::search {

namespace fs = std::filesystem;

int stored_rounds::last_round() const {
  int last = 0;
  for (const round_record& r : records) last = std::max(last, r.round);
  return last;
}

result<std::unique_ptr<run_store>> run_store::open(const fs::path& artifacts_root, const std::string& task_name) {
  std::error_code ec;
  const fs::path dir = fs::absolute(artifacts_root, ec) / safe_name(task_name);
  if (ec) return fail("--artifacts-dir " + artifacts_root.string(), "cannot resolve: " + ec.message());
  fs::create_directories(dir, ec);
  if (ec) return fail("--artifacts-dir " + artifacts_root.string(), "cannot create " + dir.string() + ": " + ec.message());
  return std::unique_ptr<run_store>(new run_store(dir));
}

bool run_store::has_previous_run() const {
  std::error_code ec;
  return (fs::exists(dir_ / "solutions.jsonl", ec) && fs::file_size(dir_ / "solutions.jsonl", ec) > 0) ||
         fs::exists(world_model_path(), ec);
}

result<stored_rounds> run_store::load_rounds() const {
  const fs::path file = dir_ / "solutions.jsonl";
  auto contents = store::read_jsonl(file);
  if (!contents) return std::unexpected(contents.error());
  stored_rounds out;
  out.warnings = contents->skipped;
  for (const store::jsonl_record& line : contents->records) {
    auto record = round_record_from_json(line.value, file.string() + ":" + std::to_string(line.line));
    if (!record) {
      out.warnings.push_back(record.error().to_string());
      continue;
    }
    out.records.push_back(std::move(*record));
  }
  return out;
}

result<void> run_store::append(std::unique_ptr<store::line_appender>& log, const char* file, const json& line) {
  if (!log) {
    auto opened = store::line_appender::open(dir_ / file);
    if (!opened) return std::unexpected(opened.error());
    log = std::move(*opened);
  }
  return log->append(line.dump(-1, ' ', false, json::error_handler_t::replace));
}

result<void> run_store::append_round(const round_record& record, std::optional<double> best_score) {
  // solutions.jsonl first: it is what a resume trusts; the other two are for people and plots.
  if (auto done = append(solutions_, "solutions.jsonl", to_json(record)); !done) return done;
  const json metrics = {{"round", record.round},
                        {"kind", record.kind},
                        {"time", record.time},
                        {"node_id", record.node_id},
                        {"status", record.evaluation.status_name()},
                        {"passed", record.passed()},
                        {"score", record.score() ? json(*record.score()) : json(nullptr)},
                        {"best_score", best_score ? json(*best_score) : json(nullptr)},
                        {"latency_ms", record.evaluation.latency_ms ? json(*record.evaluation.latency_ms) : json(nullptr)},
                        {"llm_calls", record.usage.calls},
                        {"prompt_tokens", optional_count(record.usage.prompt_tokens)},
                        {"completion_tokens", optional_count(record.usage.completion_tokens)},
                        {"cost_usd", record.usage.cost_usd ? json(*record.usage.cost_usd) : json(nullptr)}};
  if (auto done = append(metrics_, "metrics.jsonl", metrics); !done) return done;

  if (!record.solution) return {};
  // The evaluator's per-workload result already has the Trace's evaluation shape (eval_result.h).
  for (const eval::workload_result& w : record.evaluation.workloads()) {
    json evaluation = eval::to_json(w);
    const std::string uuid = w.uuid;
    evaluation.erase("workload_uuid");
    evaluation["timestamp"] = record.time;
    if (!trace_environment_.is_null()) evaluation["environment"] = trace_environment_;
    const auto known = trace_workloads_.find(uuid);
    const json trace = {{"definition", record.solution->definition},
                        {"workload", known != trace_workloads_.end() ? known->second : json{{"uuid", uuid}}},
                        {"solution", record.solution->name},
                        {"evaluation", evaluation},
                        {"round", record.round}};
    if (auto done = append(traces_, "traces.jsonl", trace); !done) return done;
  }
  return {};
}

void run_store::set_trace_context(json environment, std::map<std::string, json> workloads) {
  trace_environment_ = std::move(environment);
  trace_workloads_ = std::move(workloads);
}

result<void> run_store::save_world_model(const json& world_model) {
  return store::write_file_atomic(world_model_path(), world_model.dump(2) + "\n");
}

result<std::optional<json>> run_store::load_state() const {
  const fs::path file = dir_ / "state.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::optional<json>();
  auto text = store::read_file(file);
  if (!text) return std::unexpected(text.error());
  try {
    return std::optional<json>(json::parse(*text));
  } catch (const json::parse_error& e) {
    return fail(file.string(), std::string("not valid JSON: ") + e.what(),
                "delete it to rebuild the loop state from solutions.jsonl");
  }
}

result<void> run_store::save_state(const json& state) {
  return store::write_file_atomic(dir_ / "state.json", state.dump(2) + "\n");
}

result<void> run_store::save_best(const round_record& best) {
  if (!best.solution) return {};
  json doc = tasks::to_json(*best.solution);
  return store::write_file_atomic(best_solution_path(), doc.dump(2) + "\n");
}

namespace {

// run.json as it is on disk, or `fallback` when there is none yet.
result<json> read_run_json(const fs::path& file, const json& fallback) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return fallback;
  auto text = store::read_file(file);
  if (!text) return std::unexpected(text.error());
  try {
    return json::parse(*text);
  } catch (const json::parse_error& e) {
    return fail(file.string(), std::string("not valid JSON: ") + e.what(), "move it aside to start a fresh record");
  }
}

}  // namespace

result<void> run_store::record_session(const json& run, const json& session) {
  const fs::path file = dir_ / "run.json";
  auto doc = read_run_json(file, run);
  if (!doc) return std::unexpected(doc.error());
  if (!doc->contains("sessions") || !(*doc)["sessions"].is_array()) (*doc)["sessions"] = json::array();
  (*doc)["sessions"].push_back(session);
  return store::write_file_atomic(file, doc->dump(2) + "\n");
}

result<void> run_store::finish_session(const json& fields) {
  const fs::path file = dir_ / "run.json";
  auto doc = read_run_json(file, json::object());
  if (!doc) return std::unexpected(doc.error());
  if (!doc->contains("sessions") || !(*doc)["sessions"].is_array() || (*doc)["sessions"].empty()) {
    return fail(file.string(), "has no session to finish", "record_session comes first");
  }
  (*doc)["sessions"].back().update(fields);
  return store::write_file_atomic(file, doc->dump(2) + "\n");
}

}  // namespace ksearch::search
