#include "ksearch/search/evaluation_outcome.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>

#include "ksearch/common/json.h"
#include "ksearch/common/json_fields.h"
#include "ksearch/search/performance_profile.h"

namespace ksearch::search {

namespace {

using tasks::evaluation_status;

result<phase_result> phase_from_json(const json& doc, std::string name, const std::string& where) {
  auto parsed = eval::eval_result_from_json(doc);
  if (!parsed) return fail(where, parsed.error().to_string());
  return phase_result{std::move(name), std::move(*parsed)};
}

// Records written before evaluation_outcome kept the evaluator's results in an untyped "detail"
// object, in the shape of the backend that wrote it: FlashInfer's was one evaluator result;
// GPUMode's and KernelBench's held {"phases": {name: result}} (an object, so its order is lost:
// the phases are put back in the order the backends run them), KernelBench's also {"kernelbench":
// verdict}; compile-only mode's was {compile_ms, kernels (as text)}.
result<void> read_legacy_detail(const json& detail, evaluation_status status, evaluation_outcome& e,
                                const std::string& where) {
  if (!detail.is_object() || detail.empty()) return {};
  if (const auto phases = detail.find("phases"); phases != detail.end() && phases->is_object()) {
    constexpr std::array<std::string_view, 4> run_order{"tests", "benchmarks", "trials", "perf"};
    std::vector<std::string> names;
    for (const auto& [name, value] : phases->items()) names.push_back(name);
    std::stable_sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
      return std::find(run_order.begin(), run_order.end(), a) < std::find(run_order.begin(), run_order.end(), b);
    });
    for (const std::string& name : names) {
      auto phase = phase_from_json(phases->at(name), name, where + ".detail.phases." + name);
      if (!phase) return std::unexpected(phase.error());
      e.phases.push_back(std::move(*phase));
    }
    if (const auto verdict = detail.find("kernelbench"); verdict != detail.end() && verdict->is_object()) {
      for (const auto& [name, value] : verdict->items()) {
        if (value.is_number()) e.task_metrics[name] = value.get<double>();
        if (value.is_boolean()) e.task_metrics[name] = value.get<bool>() ? 1 : 0;
      }
    }
    return {};
  }
  if (detail.contains("status")) {
    auto phase = phase_from_json(detail, "workloads", where + ".detail");
    if (!phase) return std::unexpected(phase.error());
    e.phases.push_back(std::move(*phase));
    return {};
  }
  if (status == evaluation_status::compiled) {
    eval::eval_result compiled;
    compiled.status = status;
    compiled.compile_ms = detail.value("compile_ms", 0.0);
    e.phases.push_back({"compile", std::move(compiled)});
  }
  return {};
}

}  // namespace

std::vector<eval::workload_result> evaluation_outcome::workloads() const {
  std::vector<eval::workload_result> all;
  for (const phase_result& p : phases) all.insert(all.end(), p.result.workloads.begin(), p.result.workloads.end());
  return all;
}

json evaluation_outcome::summary_json() const {
  return {{"status", passed ? std::string("passed") : std::string(tasks::to_string(status))},
          {"latency_ms", optional_number(latency_ms)},
          {"reference_latency_ms", optional_number(reference_latency_ms)},
          {"speedup_factor", optional_number(speedup_factor)},
          {"mean_vs_baseline_factor", optional_number(mean_vs_baseline_factor)},
          {"metrics", {{"score", optional_number(score)}, {"score_name", score_name}}}};
}

std::string evaluation_outcome::perf_summary(const std::string& prefix) const {
  if (!passed) return {};
  std::string lines;
  char line[160];
  const auto add = [&](const char* format, double value) {
    std::snprintf(line, sizeof line, format, prefix.c_str(), value);
    lines += line;
  };
  if (latency_ms) add("%s mean_latency_ms=%.4f\n", *latency_ms);
  if (speedup_factor) add("%s speedup_vs_ref=%.3fx\n", *speedup_factor);
  if (mean_vs_baseline_factor) add("%s vs_baseline=%.3fx\n", *mean_vs_baseline_factor);
  if (score) add("%s score=%.4f\n", *score);
  return lines + profile_lines(*this, prefix);
}

evaluation_outcome outcome_without_evaluation(evaluation_status status, std::string feedback) {
  evaluation_outcome out;
  out.status = status;
  out.feedback = std::move(feedback);
  return out;
}

json to_json(const evaluation_outcome& e) {
  json phases = json::array();
  for (const phase_result& p : e.phases) {
    json doc = eval::to_json(p.result);
    doc["name"] = p.name;
    phases.push_back(std::move(doc));
  }
  return {{"status", tasks::to_string(e.status)},
          {"passed", e.passed},
          {"score", optional_number(e.score)},
          {"score_name", e.score_name},
          {"latency_ms", optional_number(e.latency_ms)},
          {"reference_latency_ms", optional_number(e.reference_latency_ms)},
          {"speedup_factor", optional_number(e.speedup_factor)},
          {"mean_vs_baseline_factor", optional_number(e.mean_vs_baseline_factor)},
          {"feedback", e.feedback},
          {"phases", phases},
          {"task_metrics", e.task_metrics}};
}

result<evaluation_outcome> evaluation_outcome_from_json(const json& doc, const std::string& where) {
  if (!doc.is_object()) return fail(where, "an evaluation must be a JSON object");
  evaluation_outcome e;
  auto status = tasks::evaluation_status_from_string(string_at(doc, "status"));
  if (!status) return fail(where + ".status", status.error().problem);
  e.status = *status;
  e.passed = doc.value("passed", false);
  e.score = number_at(doc, "score");
  e.score_name = string_at(doc, "score_name");
  e.latency_ms = number_at(doc, "latency_ms");
  e.reference_latency_ms = number_at(doc, "reference_latency_ms");
  e.speedup_factor = number_at(doc, "speedup_factor");
  e.mean_vs_baseline_factor = number_at(doc, "mean_vs_baseline_factor");
  e.feedback = string_at(doc, "feedback");
  if (const auto phases = doc.find("phases"); phases != doc.end() && phases->is_array()) {
    for (std::size_t i = 0; i < phases->size(); ++i) {
      const json& p = (*phases)[i];
      auto phase = phase_from_json(p, p.is_object() ? string_at(p, "name") : std::string(),
                                   where + ".phases[" + std::to_string(i) + "]");
      if (!phase) return std::unexpected(phase.error());
      e.phases.push_back(std::move(*phase));
    }
  } else if (const auto detail = doc.find("detail"); detail != doc.end()) {
    if (auto read = read_legacy_detail(*detail, e.status, e, where); !read) return std::unexpected(read.error());
  }
  if (const auto metrics = doc.find("task_metrics"); metrics != doc.end() && metrics->is_object()) {
    for (const auto& [name, value] : metrics->items()) {
      if (value.is_number()) e.task_metrics[name] = value.get<double>();
    }
  }
  return e;
}

}  // namespace ksearch::search
