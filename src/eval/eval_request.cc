#include "ksearch/eval/eval_request.h"

#include <cmath>

#include "ksearch/common/json.h"

namespace ksearch::eval {

ordered_json to_json(const eval_request& request) {
  ordered_json workloads = ordered_json::array();
  for (const tasks::workload& w : request.workloads) workloads.push_back(tasks::to_json(w));
  auto solution = [](const solution_code& s) {
    return ordered_json{{"name", s.name}, {"source", s.source}, {"plan", s.plan_json}};
  };
  const eval_config& c = request.config;
  return {{"definition", tasks::to_json(request.definition)},
          {"workloads", workloads},
          {"reference", solution(request.reference)},
          {"oracle", request.oracle ? ordered_json{{"python", request.oracle->python},
                                           {"script", request.oracle->script},
                                           {"call_timeout_s", request.oracle->call_timeout_s}}
                                    : ordered_json(nullptr)},
          {"dataset_root", request.dataset_root},
          {"candidate", solution(request.candidate)},
          {"config",
           {{"correctness_trials", c.correctness_trials},
            {"seed", c.seed},
            {"comparator", c.comparator},
            {"atol", c.atol},
            {"rtol", c.rtol},
            {"required_matched_ratio", c.required_matched_ratio},
            {"time_reference", c.time_reference},
            {"time_candidate", c.time_candidate},
            {"recheck", c.recheck},
            {"timed_check_probability", c.timed_check_probability},
            {"max_timed_checks", c.max_timed_checks},
            {"flush_l2", c.flush_l2},
            {"clock", to_string(c.clock)},
            {"peak_bandwidth_bytes_per_s", c.peak_bandwidth_bytes_per_s},
            {"compile_timeout_s", c.compile.time.count()},
            {"compile_memory_mb", c.compile.memory_mb},
            {"timing",
             {{"kind", static_cast<int>(c.timing.kind)},
              {"min_samples", c.timing.min_samples},
              {"max_samples", c.timing.max_samples},
              {"target_rel_noise", c.timing.target_rel_noise},
              {"min_gpu_time_ms", c.timing.min_gpu_time_ms},
              {"time_budget_ms", c.timing.time_budget_ms},
              // JSON has no infinity: "no GPU-time cap" travels as null.
              {"max_gpu_time_ms", std::isfinite(c.timing.max_gpu_time_ms) ? ordered_json(c.timing.max_gpu_time_ms) : ordered_json(nullptr)}}}}}};
}

result<eval_request> eval_request_from_json(const ordered_json& doc) {
  if (!doc.is_object() || !doc.contains("definition") || !doc["definition"].is_object()) {
    return fail("evaluation request", "missing the definition (a JSON object)");
  }
  eval_request request;
  auto def = tasks::parse_definition(doc["definition"], "request.definition");
  if (!def) return std::unexpected(def.error());
  request.definition = std::move(*def);
  const ordered_json workloads = doc.value("workloads", ordered_json::array());
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    auto w = tasks::parse_workload(workloads[i], request.definition, "request.workloads[" + std::to_string(i) + "]");
    if (!w) return std::unexpected(w.error());
    request.workloads.push_back(std::move(*w));
  }
  auto solution = [](const ordered_json& s) {
    return solution_code{s.value("name", ""), s.value("source", ""), s.value("plan", "")};
  };
  request.reference = solution(doc.value("reference", ordered_json::object()));
  request.candidate = solution(doc.value("candidate", ordered_json::object()));
  if (const auto oracle = doc.find("oracle"); oracle != doc.end() && oracle->is_object()) {
    request.oracle = oracle_reference{oracle->value("python", std::string("python3")), oracle->value("script", std::string()),
                                      oracle->value("call_timeout_s", 600.0)};
  }
  request.dataset_root = doc.value("dataset_root", std::string());
  const ordered_json c = doc.value("config", ordered_json::object());
  eval_config& config = request.config;
  config.correctness_trials = c.value("correctness_trials", config.correctness_trials);
  config.seed = c.value("seed", config.seed);
  config.comparator = c.value("comparator", config.comparator);
  config.atol = c.value("atol", config.atol);
  config.rtol = c.value("rtol", config.rtol);
  config.required_matched_ratio = c.value("required_matched_ratio", config.required_matched_ratio);
  config.time_reference = c.value("time_reference", config.time_reference);
  config.time_candidate = c.value("time_candidate", config.time_candidate);
  config.recheck = c.value("recheck", config.recheck);
  config.timed_check_probability = c.value("timed_check_probability", config.timed_check_probability);
  config.max_timed_checks = c.value("max_timed_checks", config.max_timed_checks);
  config.flush_l2 = c.value("flush_l2", config.flush_l2);
  if (c.contains("clock")) {
    auto clock = parse_timing_clock(c.value("clock", std::string()), "config.clock");
    if (!clock) return std::unexpected(clock.error());
    config.clock = *clock;
  }
  config.peak_bandwidth_bytes_per_s = c.value("peak_bandwidth_bytes_per_s", 0.0);
  config.compile.time = std::chrono::seconds(c.value("compile_timeout_s", config.compile.time.count()));
  config.compile.memory_mb = c.value("compile_memory_mb", config.compile.memory_mb);
  const ordered_json t = c.value("timing", ordered_json::object());
  config.timing.kind = static_cast<criterion_kind>(t.value("kind", static_cast<int>(config.timing.kind)));
  config.timing.min_samples = t.value("min_samples", config.timing.min_samples);
  config.timing.max_samples = t.value("max_samples", config.timing.max_samples);
  config.timing.target_rel_noise = t.value("target_rel_noise", config.timing.target_rel_noise);
  config.timing.min_gpu_time_ms = t.value("min_gpu_time_ms", config.timing.min_gpu_time_ms);
  config.timing.time_budget_ms = t.value("time_budget_ms", config.timing.time_budget_ms);
  if (auto cap = t.find("max_gpu_time_ms"); cap != t.end() && cap->is_number()) config.timing.max_gpu_time_ms = cap->get<double>();
  if (config.comparator != "flashinfer" && config.comparator != "allclose" && config.comparator != "allclose_candidate") {
    return fail("config.comparator", "must be flashinfer, allclose or allclose_candidate, got '" + config.comparator + "'");
  }
  if (config.correctness_trials < 1) return fail("config.correctness_trials", "must be at least 1");
  if (!(config.timed_check_probability >= 0 && config.timed_check_probability <= 1)) {
    return fail("config.timed_check_probability", "must be between 0 and 1");
  }
  if (config.compile.time.count() < 1) return fail("config.compile_timeout_s", "must be at least 1");
  return request;
}

}  // namespace ksearch::eval
