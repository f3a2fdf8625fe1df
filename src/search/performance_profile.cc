#include "ksearch/search/performance_profile.h"

#include <algorithm>
#include <cstdio>

namespace ksearch::search {

namespace {

constexpr std::size_t max_lines = 8;  // per kind: the feedback workloads and a plan's kernels fit

std::string bytes_text(double bytes) {
  char text[32];
  if (bytes >= 1e9) {
    std::snprintf(text, sizeof text, "%.2f GB", bytes / 1e9);
  } else if (bytes >= 1e6) {
    std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.1f KB", bytes / 1e3);
  }
  return text;
}

std::string workload_line(const eval::workload_result& w, const std::string& prefix) {
  char line[256];
  const std::string id = w.uuid.substr(0, 8);
  if (w.min_bytes <= 0 || w.peak_bandwidth_bytes_per_s <= 0) {
    std::snprintf(line, sizeof line, "%s workload %s: %.4f ms\n", prefix.c_str(), id.c_str(), w.latency_ms);
    return line;
  }
  const double achieved = w.min_bytes / (w.latency_ms * 1e-3);  // [bytes/s]
  std::snprintf(line, sizeof line, "%s workload %s: %.4f ms; moves >= %s: %.2f TB/s = %.0f%% of the %.2f TB/s DRAM peak\n",
                prefix.c_str(), id.c_str(), w.latency_ms, bytes_text(w.min_bytes).c_str(), achieved / 1e12,
                100 * achieved / w.peak_bandwidth_bytes_per_s, w.peak_bandwidth_bytes_per_s / 1e12);
  return line;
}

}  // namespace

std::string profile_lines(const evaluation_outcome& outcome, const std::string& prefix) {
  std::string out;
  std::size_t workloads = 0;
  std::size_t kernels = 0;
  for (const phase_result& phase : outcome.phases) {
    for (const eval::workload_result& w : phase.result.workloads) {
      if (w.latency_ms <= 0 || workloads == max_lines) continue;
      out += workload_line(w, prefix);
      ++workloads;
    }
    for (const eval::kernel_resources& k : phase.result.kernels) {
      const std::string line = prefix + " kernel " + k.summary() + "\n";
      if (kernels == max_lines || out.find(line) != std::string::npos) continue;  // phases share kernels
      out += line;
      ++kernels;
    }
  }
  return out;
}

}  // namespace ksearch::search
