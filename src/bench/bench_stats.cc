#include "ksearch/bench/bench_stats.h"

#include <algorithm>

namespace ksearch::bench {

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double relative_spread(std::span<const double> values) {
  if (values.size() < 2) return 0;
  const double median = median_of({values.begin(), values.end()});
  if (median == 0) return 0;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return (*hi - *lo) / median;
}

double percent_difference(double ours, double theirs) { return theirs == 0 ? 0 : 100 * (ours - theirs) / theirs; }

double kernel_time_ms(const eval::eval_result& r) {
  double total = 0;
  for (const eval::workload_result& w : r.workloads) {
    total += static_cast<double>(w.timing.samples) * w.timing.median_ms;
    total += static_cast<double>(w.reference_timing.samples) * w.reference_timing.median_ms;
  }
  return total;
}

wall_split split_wall_time(const eval::eval_result& r, double wall_ms) {
  wall_split split;
  split.compile_ms = r.compile_ms;
  split.load_ms = r.load_wall_ms;
  for (const eval::workload_result& w : r.workloads) {
    split.correctness_ms += w.correctness_wall_ms;
    split.timing_ms += w.timing_wall_ms;
    split.defences_ms += w.defences_wall_ms;
    split.timed_checks += w.timed_checks;
  }
  split.wall_ms = wall_ms;
  split.kernel_ms = kernel_time_ms(r);
  split.overhead_ms = wall_ms - split.kernel_ms;
  return split;
}

}  // namespace ksearch::bench
