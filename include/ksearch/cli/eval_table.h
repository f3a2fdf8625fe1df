// ksearch/cli/eval_table.h — the per-workload table `ksearch eval` prints for one evaluation.
//
// One line per workload on stderr: status, candidate latency and its CUDA-event median, reference
// latency, speedup, the largest absolute and relative errors, timing noise and sample count ("-"
// for a workload checked but not timed), then which clock the latencies were read with, the wall
// time split (compile+load, correctness, timing) and the overall verdict.
#pragma once

#include <string>

#include "ksearch/eval/eval_result.h"
#include "ksearch/eval/eval_request.h"

namespace ksearch::cli {

void print_eval_table(const eval::eval_result& r, const eval::eval_request& request);

/// The line under the table that says what latency_ms and events_ms were read with (CUPTI activity
/// timestamps or CUDA events, and where the timer fell back to events); "" when nothing was timed.
[[nodiscard]] std::string timing_clock_note(const eval::eval_result& r);

}  // namespace ksearch::cli
