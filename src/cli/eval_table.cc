#include "ksearch/cli/eval_table.h"

#include <cstdio>
#include <string>

namespace ksearch::cli {

namespace {

const char* clock_words(const std::string& clock) {
  return clock == "cupti" ? "CUPTI activity timestamps (each call's GPU work, first start to last end)" : "CUDA events";
}

}  // namespace

std::string timing_clock_note(const eval::eval_result& r) {
  std::size_t cupti = 0, events = 0, with_event_median = 0;
  std::string reference_clock;
  std::string why_not_cupti;  // the first fallback's reason
  for (const eval::workload_result& w : r.workloads) {
    if (w.timing.samples == 0) continue;
    if (why_not_cupti.empty()) why_not_cupti = w.timing.clock_note;
    cupti += w.timing.clock == "cupti";
    events += w.timing.clock == "events";
    with_event_median += w.timing.event_median_ms > 0;
    if (reference_clock.empty() && w.reference_timing.samples > 0) reference_clock = w.reference_timing.clock;
  }
  if (cupti + events == 0) return "";
  const std::string fallback = why_not_cupti.empty() ? "" : " (CUPTI was unavailable: " + why_not_cupti + ")";
  std::string note = "latency_ms: mean of the calls read with ";
  if (events == 0) {
    note += clock_words("cupti");
  } else if (cupti == 0) {
    note += clock_words("events") + fallback;
  } else {  // the timer fell back part way
    note += clock_words("cupti") + std::string(" on ") + std::to_string(cupti) + " workloads, CUDA events on " +
            std::to_string(events) + fallback;
  }
  if (with_event_median > 0) note += "; events_ms: median of the same calls read with CUDA events";
  // A native reference is timed like the candidate; the oracle's summary says CUDA events, whatever the candidate's clock.
  const std::string candidate_clock = cupti > 0 ? "cupti" : "events";
  if (!reference_clock.empty() && reference_clock != candidate_clock) {
    note += std::string("; ref_ms read with ") + (reference_clock == "cupti" ? "CUPTI" : "CUDA events");
  }
  return note;
}

void print_eval_table(const eval::eval_result& r, const eval::eval_request& request) {
  std::fprintf(stderr, "definition %s  candidate %s  reference %s\n", request.definition.name.c_str(),
               request.candidate.name.c_str(),
               request.oracle ? "oracle (the definition's Python reference, PyTorch)" : request.reference.name.c_str());
  for (const auto& k : r.kernels) std::fprintf(stderr, "  kernel %s\n", k.summary().c_str());
  std::fprintf(stderr, "%-46s %-20s %11s %10s %11s %8s %9s %9s %7s %7s\n", "workload", "status", "latency_ms",
               "events_ms", "ref_ms", "speedup", "max_abs", "max_rel", "noise", "samples");
  bool timed = false;
  for (const eval::workload_result& w : r.workloads) {
    if (w.timing.samples == 0) {  // checked, not timed (a GPUMode test shape, or a failure before timing)
      std::fprintf(stderr, "%-46s %-20s %11s %10s %11s %8s %9.2e %9.2e %7s %7s\n", w.uuid.c_str(),
                   std::string(tasks::to_string(w.status)).c_str(), "-", "-", "-", "-", w.max_absolute_error,
                   w.max_relative_error, "-", "-");
      continue;
    }
    timed = true;
    char events[32] = "-";  // no CUDA-event reading beside the primary clock
    if (w.timing.event_median_ms > 0) std::snprintf(events, sizeof events, "%.4f", w.timing.event_median_ms);
    std::fprintf(stderr, "%-46s %-20s %11.4f %10s %11.4f %7.2fx %9.2e %9.2e %6.2f%% %7zu\n", w.uuid.c_str(),
                 std::string(tasks::to_string(w.status)).c_str(), w.latency_ms, events, w.reference_latency_ms,
                 w.speedup_factor, w.max_absolute_error, w.max_relative_error, 100 * w.timing.rel_noise,
                 w.timing.samples);
  }
  if (const std::string note = timing_clock_note(r); !note.empty()) std::fprintf(stderr, "%s\n", note.c_str());
  double correctness_ms = 0, timing_ms = 0;
  for (const eval::workload_result& w : r.workloads) {
    correctness_ms += w.correctness_wall_ms;
    timing_ms += w.timing_wall_ms;
  }
  std::fprintf(stderr, "wall: compile+load %.0f ms (NVRTC %.0f ms), correctness %.0f ms, timing %.0f ms\n", r.load_wall_ms,
               r.compile_ms, correctness_ms, timing_ms);
  std::fprintf(stderr, "overall: %s", std::string(tasks::to_string(r.status)).c_str());
  if (r.passed() && timed) {
    std::fprintf(stderr, ", mean speedup %.3fx over %zu workloads", r.mean_speedup(), r.workloads.size());
  }
  std::fprintf(stderr, "\n");
  if (!r.log.empty()) std::fprintf(stderr, "%s\n", r.log.c_str());
}

}  // namespace ksearch::cli
