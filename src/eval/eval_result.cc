#include "ksearch/eval/eval_result.h"

#include <cmath>
#include <limits>
#include <utility>

#include "ksearch/common/json.h"

namespace ksearch::eval {

namespace {

// JSON has no infinity or NaN; like FlashInfer Trace, such values travel as strings.
json number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

double number_from(const json& parent, const char* key, double fallback) {
  auto it = parent.find(key);
  if (it == parent.end()) return fallback;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    const std::string text = it->get<std::string>();
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  return fallback;
}

json summary_json(const timing_summary& t) {
  return {{"samples", t.samples}, {"mean_ms", t.mean_ms}, {"median_ms", t.median_ms}, {"min_ms", t.min_ms},
          {"max_ms", t.max_ms}, {"stdev_ms", t.stdev_ms}, {"p10_ms", t.p10_ms}, {"p90_ms", t.p90_ms},
          {"rel_noise", number(t.rel_noise)},
          {"stop_reason", t.stop_reason}, {"clock", t.clock}, {"clock_note", t.clock_note},
          {"event_median_ms", t.event_median_ms}};
}

timing_summary summary_from_json(const json& j) {
  timing_summary t;
  if (!j.is_object()) return t;
  t.samples = j.value("samples", std::size_t{0});
  t.mean_ms = j.value("mean_ms", 0.0);
  t.median_ms = j.value("median_ms", 0.0);
  t.min_ms = j.value("min_ms", 0.0);
  t.max_ms = j.value("max_ms", 0.0);
  t.stdev_ms = j.value("stdev_ms", 0.0);
  t.p10_ms = j.value("p10_ms", 0.0);
  t.p90_ms = j.value("p90_ms", 0.0);
  t.rel_noise = number_from(j, "rel_noise", t.rel_noise);
  t.stop_reason = j.value("stop_reason", "");
  t.clock = j.value("clock", "");
  t.clock_note = j.value("clock_note", "");
  t.event_median_ms = j.value("event_median_ms", 0.0);
  return t;
}

}  // namespace

double eval_result::mean_speedup() const {
  if (!passed() || workloads.empty()) return -1;
  double sum = 0;
  for (const workload_result& w : workloads) sum += w.speedup_factor;
  return sum / static_cast<double>(workloads.size());
}

json to_json(const workload_result& w) {
  return {{"workload_uuid", w.uuid},
          {"status", tasks::to_string(w.status)},
          {"log", w.log},
          {"correctness",
           {{"max_absolute_error", number(w.max_absolute_error)},
            {"max_relative_error", number(w.max_relative_error)},
            {"matched_ratio", number(w.matched_ratio)}}},
          {"performance",
           {{"latency_ms", number(w.latency_ms)},
            {"reference_latency_ms", number(w.reference_latency_ms)},
            {"speedup_factor", number(w.speedup_factor)},
            {"floor_ms", number(w.floor_ms)},
            {"min_bytes", number(w.min_bytes)},
            {"peak_bandwidth_bytes_per_s", number(w.peak_bandwidth_bytes_per_s)}}},
          {"timing", summary_json(w.timing)},
          {"wall_ms",
           {{"correctness", w.correctness_wall_ms}, {"timing", w.timing_wall_ms}, {"timing_defences", w.defences_wall_ms}}},
          {"timed_checks", w.timed_checks},
          {"reference_timing", summary_json(w.reference_timing)}};
}

result<workload_result> workload_result_from_json(const json& w) {
  if (!w.is_object()) return fail("workload result", "must be a JSON object");
  workload_result out;
  out.uuid = w.value("workload_uuid", "");
  auto status = tasks::evaluation_status_from_string(w.value("status", ""));
  if (!status) return std::unexpected(status.error());
  out.status = *status;
  out.log = w.value("log", "");
  const json correctness = w.value("correctness", json::object());
  out.max_absolute_error = number_from(correctness, "max_absolute_error", 0.0);
  out.max_relative_error = number_from(correctness, "max_relative_error", 0.0);
  out.matched_ratio = number_from(correctness, "matched_ratio", 1.0);
  const json performance = w.value("performance", json::object());
  out.latency_ms = number_from(performance, "latency_ms", -1.0);
  out.reference_latency_ms = number_from(performance, "reference_latency_ms", -1.0);
  out.speedup_factor = number_from(performance, "speedup_factor", -1.0);
  out.floor_ms = number_from(performance, "floor_ms", 0.0);
  out.min_bytes = number_from(performance, "min_bytes", 0.0);
  out.peak_bandwidth_bytes_per_s = number_from(performance, "peak_bandwidth_bytes_per_s", 0.0);
  out.timing = summary_from_json(w.value("timing", json::object()));
  out.reference_timing = summary_from_json(w.value("reference_timing", json::object()));
  const json wall = w.value("wall_ms", json::object());
  out.correctness_wall_ms = wall.value("correctness", 0.0);
  out.timing_wall_ms = wall.value("timing", 0.0);
  out.defences_wall_ms = wall.value("timing_defences", 0.0);
  out.timed_checks = w.value("timed_checks", 0);
  return out;
}

json to_json(const eval_result& r) {
  json workloads = json::array();
  for (const workload_result& w : r.workloads) workloads.push_back(to_json(w));
  return {{"status", tasks::to_string(r.status)}, {"log", r.log},
          {"compile_ms", r.compile_ms},            {"load_wall_ms", r.load_wall_ms},
          {"kernels", to_json(r.kernels)},         {"workloads", workloads}};
}

result<eval_result> eval_result_from_json(const json& doc) {
  if (!doc.is_object() || !doc.contains("status") || !doc["status"].is_string()) {
    return fail("evaluation reply", "not an evaluation result (no status)");
  }
  eval_result r;
  auto status = tasks::evaluation_status_from_string(doc["status"].get<std::string>());
  if (!status) return std::unexpected(status.error());
  r.status = *status;
  r.log = doc.value("log", "");
  r.compile_ms = doc.value("compile_ms", 0.0);
  r.load_wall_ms = doc.value("load_wall_ms", 0.0);
  r.kernels = kernel_resources_from_json(doc.value("kernels", json::array()));
  for (const json& w : doc.value("workloads", json::array())) {
    auto workload = workload_result_from_json(w);
    if (!workload) return std::unexpected(workload.error());
    r.workloads.push_back(std::move(*workload));
  }
  return r;
}

}  // namespace ksearch::eval
