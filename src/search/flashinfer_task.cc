#include "ksearch/search/flashinfer_task.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>

#include <spdlog/spdlog.h>

#include "ksearch/common/json.h"
#include "ksearch/eval/reference_oracle.h"
#include "ksearch/search/baseline.h"
#include "ksearch/search/judging_text.h"
#include "ksearch/search/task_evaluation.h"
#include "ksearch/tasks/dataset_scan.h"

namespace ksearch::search {

namespace {

namespace fs = std::filesystem;

constexpr const char* speedup_score = "mean_speedup_vs_ref";
constexpr const char* baseline_score = "mean_vs_baseline";

// A dataset's native reference for a definition (see choose_reference), or an error listing the
// solutions there are. `wanted` is "" or a solution name.
result<tasks::solution> find_native_reference(const fs::path& dataset_root, const std::string& definition,
                                              const std::string& wanted) {
  tasks::dataset_solutions found = tasks::load_dataset_solutions(dataset_root, definition);
  std::vector<const tasks::solution*> matches;
  std::string names;
  for (const tasks::dataset_solution& s : found.solutions) {
    names += (names.empty() ? "" : ", ") + s.value.name;
    const bool match = wanted.empty() ? (s.value.name == definition + "_reference" || s.value.name.ends_with("reference"))
                                      : s.value.name == wanted;
    if (match) matches.push_back(&s.value);
  }
  if (matches.empty()) {
    return fail(wanted.empty() ? std::string("reference solution") : "--reference-solution " + wanted,
                "no " + (wanted.empty() ? std::string("reference solution") : "solution named '" + wanted + "'") +
                    " for " + definition + " under " + (dataset_root / "solutions").string(),
                names.empty() ? "the dataset has no solutions for this definition; pass --reference-solution FILE.json"
                              : "its solutions: " + names + " (pick one with --reference-solution NAME)");
  }
  const auto exact = std::find_if(matches.begin(), matches.end(),
                                  [&](const tasks::solution* s) { return s->name == definition + "_reference"; });
  return **(exact != matches.end() ? exact : matches.begin());
}

result<eval::oracle_reference> oracle_for(const tasks::definition& def) {
  if (def.reference.empty()) {
    return fail("definition " + def.name, "has no native reference solution and no Python reference for the oracle",
                "add a solution named " + def.name + "_reference to the dataset, or pass --reference-solution FILE.json");
  }
  auto script = eval::bundled_oracle_script();
  if (!script) {
    return fail("tasks/oracle/oracle_server.py", "not found next to ksearch or in $KSEARCH_DATA_DIR",
                "set KSEARCH_DATA_DIR to the folder holding tasks/");
  }
  eval::oracle_reference oracle;
  oracle.python = eval::oracle_python();
  oracle.script = script->string();
  return oracle;
}

std::string workload_line(const eval::workload_result& w) {
  char line[256];
  std::snprintf(line, sizeof line, "workload %s: %s latency %.4f ms, reference %.4f ms, speedup %.3fx\n", w.uuid.c_str(),
                std::string(tasks::to_string(w.status)).c_str(), w.latency_ms, w.reference_latency_ms, w.speedup_factor);
  return line;
}

class flashinfer_task final : public search_task {
 public:
  flashinfer_task(flashinfer_task_options options, tasks::dataset_definition loaded, reference_choice reference,
                  std::vector<tasks::workload> workloads)
      : options_(std::move(options)),
        loaded_(std::move(loaded)),
        reference_(std::move(reference)),
        workloads_(std::move(workloads)),
        text_(prompt_definition_text(options_.dataset_root, loaded_.def) +
              judging_text(loaded_.def, options_.config, workloads_)),
        service_(options_.service, *options_.activity) {}

  std::string name() const override { return loaded_.def.name; }
  std::string definition_text() const override { return text_; }

  json describe() const override {
    json uuids = json::array();
    for (const tasks::workload& w : workloads_) uuids.push_back(w.uuid);
    return {{"backend", "flashinfer"},
            {"dataset", fs::absolute(options_.dataset_root).string()},
            {"definition", loaded_.def.name},
            {"reference_solution", reference_.native ? reference_.native->name : std::string("oracle")},
            {"reference", reference_.describe()},
            {"workloads", uuids},
            {"mode", options_.compile_only ? "compile-only" : "gpu"},
            {"correctness_trials", options_.config.correctness_trials},
            {"seed", options_.config.seed},
            {"comparator", options_.config.comparator},
            {"atol", options_.config.atol},
            {"rtol", options_.config.rtol},
            {"timer", std::string(eval::to_string(options_.config.clock))},
            {"baseline_solution", options_.baseline_solution.empty() ? json(nullptr)
                                                                     : json(options_.baseline_solution)},
            {"score", options_.baseline_solution.empty() ? speedup_score : baseline_score}};
  }

  std::map<std::string, json> workload_records() const override { return trace_workloads(workloads_); }

  std::string baseline_targets_text() const override {
    ensure_baseline();
    return baseline_ ? search::baseline_targets_text(*baseline_, workloads_, loaded_.def) : std::string();
  }

  result<evaluation_outcome> evaluate(const tasks::solution& candidate) override {
    const candidate_route route{loaded_.def, options_.compile_only, options_.target_gpu, options_.compile_limits,
                                *options_.activity, service_};
    return evaluate_candidate(candidate, route, std::bind_front(&flashinfer_task::on_gpu, this));
  }

 private:
  result<eval::evaluation_pool*> service() const { return service_.get(); }

  eval::eval_request request_for(const eval::solution_code& code) const {
    eval::eval_request request{loaded_.def, workloads_, {}, code, options_.config};
    request.config.compile = options_.compile_limits;
    if (reference_.native) {
      if (auto reference = solution_code_of(*reference_.native)) request.reference = *reference;
    } else {
      request.oracle = reference_.oracle;
    }
    request.dataset_root = options_.dataset_root.string();
    return request;
  }

  // The baseline's latencies, once: from the dataset's traces on this GPU, else by running the
  // baseline solution here. A baseline that cannot be had is logged, and scores fall back to the
  // speedup over the reference (the run's records name the score used). Concurrent callers wait
  // for the first to finish: every candidate is scored against the same baseline. baseline_ is
  // written only here, under the lock, so a caller that got past it may read it unlocked.
  void ensure_baseline() const {
    if (options_.baseline_solution.empty()) return;
    const std::lock_guard<std::mutex> hold(baseline_lock_);
    if (baseline_tried_) return;
    baseline_tried_ = true;
    const std::string& name = options_.baseline_solution;
    if (!options_.gpu_name.empty()) {
      baseline_latencies traced = baseline_from_traces(options_.dataset_root, loaded_.def.name, name, options_.gpu_name);
      if (traced.covers(workloads_)) {
        baseline_ = std::move(traced);
        return;
      }
    }
    if (options_.compile_only) {
      spdlog::warn("--baseline-solution {}: no traces on this GPU and compile-only mode runs nothing; scoring by speedup "
                   "over the reference", name);
      return;
    }
    auto solution = name.ends_with(".json") ? tasks::load_solution(name)
                                            : find_native_reference(options_.dataset_root, loaded_.def.name, name);
    auto code = solution ? solution_code_of(*solution) : std::unexpected(solution.error());
    auto svc = service();
    if (!code || !svc) {
      spdlog::warn("--baseline-solution {}: {}; scoring by speedup over the reference", name,
                   (!code ? code.error() : svc.error()).to_string());
      return;
    }
    auto result = (*svc)->evaluate(request_for(*code));
    if (!result || !result->passed()) {
      spdlog::warn("--baseline-solution {}: it did not pass here ({}); scoring by speedup over the reference", name,
                   result ? std::string(tasks::to_string(result->status)) + ": " + result->log : result.error().to_string());
      return;
    }
    baseline_latencies ran;
    ran.solution = solution->name;
    ran.source = "run in this session, same harness and GPU";
    for (const eval::workload_result& w : result->workloads) ran.latency_ms[w.uuid] = w.latency_ms;
    baseline_ = std::move(ran);
    spdlog::info("baseline {}: {}", baseline_->solution, baseline_->source);
  }

  result<evaluation_outcome> on_gpu(eval::evaluation_pool& pool, const eval::solution_code& code) {
    ensure_baseline();
    eval::eval_request request = request_for(code);
    auto result = pool.evaluate(request);
    if (!result) return std::unexpected(result.error());

    evaluation_outcome out;
    out.status = result->status;
    out.passed = result->passed();
    out.score_name = baseline_ ? baseline_score : speedup_score;
    out.phases.push_back({"workloads", *result});
    if (out.passed && !result->workloads.empty()) {
      double latency = 0, reference_latency = 0;
      for (const eval::workload_result& w : result->workloads) {
        latency += w.latency_ms;
        reference_latency += w.reference_latency_ms;
        out.feedback += workload_line(w);
      }
      const double n = static_cast<double>(result->workloads.size());
      out.latency_ms = latency / n;
      out.reference_latency_ms = reference_latency / n;
      out.speedup_factor = result->mean_speedup();
      out.score = out.speedup_factor;
      if (baseline_) {
        double vs_base = 0;
        for (const eval::workload_result& w : result->workloads) vs_base += baseline_->latency_ms.at(w.uuid) / w.latency_ms;
        out.mean_vs_baseline_factor = vs_base / n;
        out.score = out.mean_vs_baseline_factor;
        out.feedback += "mean vs baseline " + baseline_->solution + " (" + baseline_->source + "): " +
                        std::to_string(*out.mean_vs_baseline_factor) + "x\n";
      }
    } else {
      out.feedback = out.status_name() + ": " + result->log;
    }
    return out;
  }

  flashinfer_task_options options_;
  tasks::dataset_definition loaded_;
  reference_choice reference_;
  std::vector<tasks::workload> workloads_;
  std::string text_;
  mutable lazy_pool service_;  // started on the first evaluation (or the baseline's run)
  mutable std::mutex baseline_lock_;  // guards the two below, held while the baseline is measured
  mutable std::optional<baseline_latencies> baseline_;
  mutable bool baseline_tried_ = false;
};

}  // namespace

std::string reference_choice::describe() const {
  return native ? "solution " + native->name : std::string("oracle: the definition's Python reference (PyTorch)");
}

result<reference_choice> choose_reference(const fs::path& dataset_root, const tasks::definition& def,
                                          const std::string& wanted) {
  reference_choice choice;
  if (wanted == "oracle") {
    auto oracle = oracle_for(def);
    if (!oracle) return std::unexpected(oracle.error());
    choice.oracle = *oracle;
    return choice;
  }
  if (wanted.ends_with(".json")) {
    auto loaded = tasks::load_solution(wanted);
    if (!loaded) return std::unexpected(loaded.error());
    choice.native = std::move(*loaded);
    return choice;
  }
  auto native = find_native_reference(dataset_root, def.name, wanted);
  if (native) {
    choice.native = std::move(*native);
    return choice;
  }
  if (!wanted.empty() || def.reference.empty()) return std::unexpected(native.error());
  auto oracle = oracle_for(def);
  if (!oracle) return std::unexpected(oracle.error());
  choice.oracle = *oracle;
  return choice;
}

result<std::vector<std::string>> dataset_feedback_workloads(const fs::path& dataset_root, const std::string& definition) {
  const fs::path file = dataset_root / "feedback_workloads.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::vector<std::string>{};
  std::ifstream in(file);
  const json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  const auto table = doc.is_object() ? doc.find("feedback_workloads") : doc.end();
  if (!doc.is_object() || table == doc.end() || !table->is_object()) {
    return fail(file.string(), "must be a JSON object with a \"feedback_workloads\" object (definition -> UUID list)");
  }
  const auto entry = table->find(definition);
  if (entry == table->end()) return std::vector<std::string>{};
  if (!entry->is_array() || !std::all_of(entry->begin(), entry->end(), [](const json& u) { return u.is_string(); })) {
    return fail(file.string() + ": feedback_workloads." + definition, "must be a list of workload UUID strings");
  }
  return entry->get<std::vector<std::string>>();
}

double required_matched_ratio(std::string_view definition_name) {
  return definition_name.find("moe_fp8_block_scale") != std::string_view::npos ? 0.95 : 1.0;
}

result<std::unique_ptr<search_task>> make_flashinfer_task(const flashinfer_task_options& options) {
  auto loaded = tasks::load_dataset_definition(options.dataset_root, options.definition);
  if (!loaded) return std::unexpected(loaded.error());
  std::vector<tasks::workload> chosen;
  std::vector<std::string> uuids = options.workload_uuids;
  std::string uuids_from = "--feedback-workloads";
  if (uuids.empty() && options.dataset_feedback_defaults) {
    auto defaults = dataset_feedback_workloads(options.dataset_root, options.definition);
    if (!defaults) return std::unexpected(defaults.error());
    uuids = *defaults;
    uuids_from = (options.dataset_root / "feedback_workloads.json").string() + ": " + options.definition;
  }
  if (!uuids.empty()) {
    for (const std::string& uuid : uuids) {
      const auto it = std::find_if(loaded->workloads.begin(), loaded->workloads.end(),
                                   [&](const tasks::workload& w) { return w.uuid == uuid; });
      if (it == loaded->workloads.end()) {
        return fail(uuids_from + " " + uuid, "no such workload for " + options.definition,
                    "`ksearch tasks --task-path " + options.dataset_root.string() + "` lists the workloads");
      }
      chosen.push_back(*it);
    }
  } else {
    chosen = loaded->workloads;
    if (options.max_workloads > 0 && chosen.size() > static_cast<std::size_t>(options.max_workloads)) {
      chosen.resize(static_cast<std::size_t>(options.max_workloads));
    }
  }
  if (chosen.empty()) {
    return fail("--definition " + options.definition, "has no workloads in " + options.dataset_root.string(),
                "add workloads/<op>/" + options.definition + ".jsonl");
  }
  auto reference = choose_reference(options.dataset_root, loaded->def, options.reference_solution);
  if (!reference) return std::unexpected(reference.error());
  if (reference->native) {
    if (auto code = solution_code_of(*reference->native); !code) return std::unexpected(code.error());
  }
  flashinfer_task_options resolved = options;
  resolved.config.required_matched_ratio = required_matched_ratio(options.definition);
  return std::make_unique<flashinfer_task>(std::move(resolved), std::move(*loaded), std::move(*reference),
                                           std::move(chosen));
}

}  // namespace ksearch::search
