#include "ksearch/cli/eval_table.h"

#include <cstdio>
#include <string>

namespace ksearch::cli {

void print_eval_table(const eval::eval_result& r, const eval::eval_request& request) {
  std::fprintf(stderr, "definition %s  candidate %s  reference %s\n", request.definition.name.c_str(),
               request.candidate.name.c_str(),
               request.oracle ? "oracle (the definition's Python reference, PyTorch)" : request.reference.name.c_str());
  for (const auto& k : r.kernels) std::fprintf(stderr, "  kernel %s\n", k.summary().c_str());
  std::fprintf(stderr, "%-46s %-20s %11s %11s %8s %9s %9s %7s %7s\n", "workload", "status", "latency_ms", "ref_ms",
               "speedup", "max_abs", "max_rel", "noise", "samples");
  bool timed = false;
  for (const eval::workload_result& w : r.workloads) {
    if (w.timing.samples == 0) {  // checked, not timed (a GPUMode test shape, or a failure before timing)
      std::fprintf(stderr, "%-46s %-20s %11s %11s %8s %9.2e %9.2e %7s %7s\n", w.uuid.c_str(),
                   std::string(eval::to_string(w.status)).c_str(), "-", "-", "-", w.max_absolute_error,
                   w.max_relative_error, "-", "-");
      continue;
    }
    timed = true;
    std::fprintf(stderr, "%-46s %-20s %11.4f %11.4f %7.2fx %9.2e %9.2e %6.2f%% %7zu\n", w.uuid.c_str(),
                 std::string(eval::to_string(w.status)).c_str(), w.latency_ms, w.reference_latency_ms, w.speedup_factor,
                 w.max_absolute_error, w.max_relative_error, 100 * w.timing.rel_noise, w.timing.samples);
  }
  double correctness_ms = 0, timing_ms = 0;
  for (const eval::workload_result& w : r.workloads) {
    correctness_ms += w.correctness_wall_ms;
    timing_ms += w.timing_wall_ms;
  }
  std::fprintf(stderr, "wall: compile+load %.0f ms (NVRTC %.0f ms), correctness %.0f ms, timing %.0f ms\n", r.load_wall_ms,
               r.compile_ms, correctness_ms, timing_ms);
  std::fprintf(stderr, "overall: %s", std::string(eval::to_string(r.status)).c_str());
  if (r.passed() && timed) {
    std::fprintf(stderr, ", mean speedup %.3fx over %zu workloads", r.mean_speedup(), r.workloads.size());
  }
  std::fprintf(stderr, "\n");
  if (!r.log.empty()) std::fprintf(stderr, "%s\n", r.log.c_str());
}

}  // namespace ksearch::cli
