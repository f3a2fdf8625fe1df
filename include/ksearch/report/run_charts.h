// ksearch/report/run_charts.h — the run report's four charts, built from a loaded run.
//
//   score_chart    each round's score (the mean speedup over the reference), markers coloured by
//                  status; rounds without a score (every failure) in the strip under the plot, at
//                  their round, in their status colour; the best-so-far score as a step line; the
//                  reference's 1.0 as a dashed line when the score is a speedup
//   latency_chart  each passed round's mean latency, the best candidate's latency so far, the
//                  reference latency; failures in the strip as above, so both charts line up
//   tokens_chart   prompt, completion and reasoning tokens per round
//   cost_chart     cumulative cost of the rounds [USD], and the whole run's when the transcript
//                  says more (world-model calls are paid for outside the rounds)
// Every marker's tooltip names the round, status, node and numbers. The charts are returned
// unrendered so that callers (and tests) can ask where a value lands.
//
// Thread-safety: pure functions.
#pragma once

#include "ksearch/report/run_data.h"
#include "ksearch/report/svg_chart.h"

namespace ksearch::report {

[[nodiscard]] svg_chart score_chart(const run_data& run);
[[nodiscard]] svg_chart latency_chart(const run_data& run);
[[nodiscard]] svg_chart tokens_chart(const run_data& run);
[[nodiscard]] svg_chart cost_chart(const run_data& run);

}  // namespace ksearch::report
