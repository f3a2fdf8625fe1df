#include "ksearch/search/search_task.h"

#include <cstdio>

namespace ksearch::search {

namespace {

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json candidate_evaluation::summary_json() const {
  return {{"status", passed ? std::string("passed") : status},
          {"latency_ms", optional_number(latency_ms)},
          {"reference_latency_ms", optional_number(reference_latency_ms)},
          {"speedup_factor", optional_number(speedup_factor)},
          {"mean_vs_baseline_factor", optional_number(mean_vs_baseline_factor)},
          {"metrics", {{"score", optional_number(score)}, {"score_name", score_name}}}};
}

std::string candidate_evaluation::perf_summary(const std::string& prefix) const {
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
  return lines;
}

}  // namespace ksearch::search
