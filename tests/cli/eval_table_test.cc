// The line under `ksearch eval`'s table that says which clock its latencies were read with.
#include "ksearch/cli/eval_table.h"

#include <gtest/gtest.h>

#include <string>

namespace ksearch::cli {
namespace {

eval::workload_result timed(const std::string& clock, double event_median_ms) {
  eval::workload_result w;
  w.uuid = "w-" + clock;
  w.timing.samples = 100;
  w.timing.clock = clock;
  w.timing.event_median_ms = event_median_ms;
  w.reference_timing = w.timing;
  return w;
}

TEST(EvalTable, CuptiLatenciesComeWithTheEventsMedianExplained) {
  eval::eval_result r;
  r.workloads = {timed("cupti", 0.0125)};
  const std::string note = timing_clock_note(r);
  EXPECT_NE(note.find("latency_ms: mean of the calls read with CUPTI activity timestamps"), std::string::npos) << note;
  EXPECT_NE(note.find("events_ms: median of the same calls read with CUDA events"), std::string::npos) << note;
  EXPECT_EQ(note.find("unavailable"), std::string::npos) << note;
  EXPECT_EQ(note.find("ref_ms"), std::string::npos) << "the reference was read like the candidate: " << note;
}

TEST(EvalTable, AFallbackToEventsSaysWhyCuptiWasNotUsed) {
  eval::eval_result r;
  r.workloads = {timed("events", 0)};  // asked for events (--timer events, GPUMode, KernelBench)
  EXPECT_EQ(timing_clock_note(r), "latency_ms: mean of the calls read with CUDA events");
  r.workloads[0].timing.clock_note = "CUPTI: cuptiActivityRegisterCallbacks failed: CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED";
  EXPECT_EQ(timing_clock_note(r),
            "latency_ms: mean of the calls read with CUDA events (CUPTI was unavailable: CUPTI: "
            "cuptiActivityRegisterCallbacks failed: CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED)");

  r.workloads.push_back(timed("cupti", 0.0125));
  const std::string mixed = timing_clock_note(r);
  EXPECT_NE(mixed.find("on 1 workloads, CUDA events on 1 (CUPTI was unavailable: CUPTI: cupti"), std::string::npos)
      << mixed;
}

TEST(EvalTable, NothingTimedNeedsNoNoteAndAReferenceReadOtherwiseIsNamed) {
  eval::eval_result r;
  r.workloads = {eval::workload_result{}};  // checked, not timed
  EXPECT_EQ(timing_clock_note(r), "");
  r.workloads = {timed("cupti", 0.0125)};
  r.workloads[0].reference_timing.clock = "events";  // the PyTorch oracle, or a native reference whose timer fell back
  EXPECT_NE(timing_clock_note(r).find("; ref_ms read with CUDA events"), std::string::npos);

  r.workloads[0].reference_timing.clock.clear();  // a summary that names no clock: nothing to say about ref_ms
  EXPECT_EQ(timing_clock_note(r).find("ref_ms"), std::string::npos);
}

}  // namespace
}  // namespace ksearch::cli
