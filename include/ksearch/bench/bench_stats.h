// ksearch/bench/bench_stats.h — the numbers `ksearch bench eval` reports, computed from evaluation
// results: where an evaluation's wall time goes, how much of it the measured kernels account for,
// and how far repeated measurements spread.
//
// Definitions (bench/README.md repeats them for readers of the table):
//   kernel time = sum over workloads of samples x median, for the candidate's and the reference's
//                 timed calls: the GPU time that the timing phase exists to measure (warm-up and
//                 correctness calls are not counted);
//   overhead    = wall time of the whole evaluation - kernel time;
//   spread      = (max - min) / median of one workload's medians over the repeats.
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <vector>

#include "ksearch/eval/eval_result.h"

namespace ksearch::bench {

/// Median of `values`: the middle one, or the mean of the middle two; 0 for none.
[[nodiscard]] double median_of(std::vector<double> values);

/// (max - min) / median; 0 with fewer than two values or a median of 0.
[[nodiscard]] double relative_spread(std::span<const double> values);

/// 100 x (ours - theirs) / theirs [%]; 0 when theirs is 0.
[[nodiscard]] double percent_difference(double ours, double theirs);

/// Kernel time of one evaluation [ms] (see above).
[[nodiscard]] double kernel_time_ms(const eval::eval_result& r);

struct wall_split {
  double compile_ms = 0;      // NVRTC, the candidate
  double load_ms = 0;         // compile and load both solutions (includes compile_ms)
  double correctness_ms = 0;  // all workloads' correctness trials
  double timing_ms = 0;       // all workloads' timing (warm-up, samples, both solutions)
  double defences_ms = 0;     // of timing_ms, the timing defences between the candidate's timed calls
  int timed_checks = 0;       // timed calls checked, over all workloads
  double wall_ms = 0;         // the whole evaluation as the caller saw it
  double kernel_ms = 0;       // kernel_time_ms
  double overhead_ms = 0;     // wall_ms - kernel_ms
};

/// The phases of `r`, whose evaluation took `wall_ms` as seen by the caller [ms].
[[nodiscard]] wall_split split_wall_time(const eval::eval_result& r, double wall_ms);

}  // namespace ksearch::bench
