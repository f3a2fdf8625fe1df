// ksearch/search/run_store.h — the files a search writes under --artifacts-dir, and reads back to resume.
//
//   <artifacts>/<task>/run.json           what ran: flags, versions, task, GPU, one entry per session
//                                         (start and end), atomic
//   <artifacts>/<task>/solutions.jsonl    one round_record per round, appended + fsync'ed (the search's memory)
//   <artifacts>/<task>/metrics.jsonl      one line per round: status, score, best so far, tokens, cost
//   <artifacts>/<task>/traces.jsonl       FlashInfer-style traces, one per evaluated workload
//   <artifacts>/<task>/world_model.json   the world model after every change (atomic)
//   <artifacts>/<task>/state.json         the loop's checkpoint at cycle boundaries (atomic)
//   <artifacts>/<task>/best_solution.json the best passed solution so far (FlashInfer Solution, atomic)
//   <artifacts>/<task>/transcript.jsonl   every LLM request and reply (llm/transcript.h)
// <task> is the task's safe name. Appends are whole lines or nothing after a kill -9; snapshots are
// the old file or the new one.
//
// Thread-safety: one thread.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json.h"
#include "ksearch/search/round_record.h"
#include "ksearch/store/durable_file.h"

namespace ksearch::search {

struct stored_rounds {
  std::vector<round_record> records;  // in file order (seeds and rounds)
  std::vector<std::string> warnings;  // lines skipped (a torn last line after a crash, a bad record)
  [[nodiscard]] int last_round() const;  // highest round number recorded; 0 when none
};

class run_store {
 public:
  /// Creates <artifacts_root>/<safe task name>/ if needed.
  [[nodiscard]] static result<std::unique_ptr<run_store>> open(const std::filesystem::path& artifacts_root,
                                                              const std::string& task_name);

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] std::filesystem::path transcript_path() const { return dir_ / "transcript.jsonl"; }
  [[nodiscard]] std::filesystem::path world_model_path() const { return dir_ / "world_model.json"; }
  [[nodiscard]] std::filesystem::path best_solution_path() const { return dir_ / "best_solution.json"; }

  /// True when an earlier session left rounds or a world model here.
  [[nodiscard]] bool has_previous_run() const;

  [[nodiscard]] result<stored_rounds> load_rounds() const;
  /// Appends the record to solutions.jsonl, then its metrics line (with `best_score`) and traces.
  [[nodiscard]] result<void> append_round(const round_record& record, std::optional<double> best_score);

  [[nodiscard]] result<void> save_world_model(const json& world_model);
  [[nodiscard]] result<std::optional<json>> load_state() const;
  [[nodiscard]] result<void> save_state(const json& state);
  [[nodiscard]] result<void> save_best(const round_record& best);
  /// Adds `session` to run.json's "sessions" list (creating the file with `run` the first time).
  [[nodiscard]] result<void> record_session(const json& run, const json& session);
  /// Merges `fields` (how the session ended) into the last session of run.json.
  [[nodiscard]] result<void> finish_session(const json& fields);
  /// What traces.jsonl lines carry besides the evaluation, so FlashInfer-Bench tooling can read
  /// them: the evaluation's `environment` ({"hardware": GPU name, "libs": {...}}; null: none) and
  /// the full workload object ({uuid, axes, inputs}) by uuid (unknown uuids get {uuid} only).
  void set_trace_context(json environment, std::map<std::string, json> workloads);

 private:
  explicit run_store(std::filesystem::path dir) : dir_(std::move(dir)) {}
  [[nodiscard]] result<void> append(std::unique_ptr<store::line_appender>& log, const char* file,
                                    const json& line);

  std::filesystem::path dir_;
  std::unique_ptr<store::line_appender> solutions_, metrics_, traces_;
  json trace_environment_;
  std::map<std::string, json> trace_workloads_;
};

}  // namespace ksearch::search
