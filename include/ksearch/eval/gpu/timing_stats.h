// ksearch/eval/gpu/timing_stats.h — statistics over timing samples, the rules that decide when to stop
// sampling, and the roofline floor that flags physically impossible timings. No GPU: pure host code.
//
// Stopping criteria follow nvbench's design (its stopping_criterion): a non-virtual public interface
// (add, is_finished, stop_reason) over private hooks, one object per measurement, passed in by the
// caller. Three rules, picked by criterion_params::kind:
//   - stdrel (default, after nvbench): once min_samples are in and at least min_gpu_time_ms of GPU
//     time has accumulated, stop when the relative standard deviation is under target_rel_noise,
//     or when it has settled (stopped moving over a trailing window) above it.
//   - gpumode (GPUMode eval.py, docs/task-formats.md, "GPUMode TriMul: modes and timing"): from
//     the third sample on, stop when the standard error of the mean is under target_rel_noise
//     (0.1%) of the mean, when the samples add up to max_gpu_time_ms, or when the wall clock
//     passes time_budget_ms (120 s); at most 100 samples.
//   - fixed: a sample count (max_samples) or a GPU-time budget (max_gpu_time_ms, the Triton
//     do_bench "rep" in milliseconds), whichever comes first.
// Every rule also stops at max_samples and, after at least one sample, at time_budget_ms of wall
// clock (gpumode only after its min_samples, as upstream). The budget overrides min_samples so a
// slow kernel cannot hold the search; the stop reason says so.
//
// Thread-safety: functions are pure; a stopping_criterion is used by one thread at a time.
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <span>
#include <string>

namespace ksearch::eval {

struct timing_summary {
  std::size_t samples = 0;
  double mean_ms = 0;
  double median_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  double stdev_ms = 0;  // sample standard deviation (n - 1); 0 with fewer than two samples
  double rel_noise = std::numeric_limits<double>::infinity();  // stdev / mean; +inf when unknown (n < 2)
  double p10_ms = 0;  // percentiles, linearly interpolated between order statistics (numpy's default)
  double p90_ms = 0;
  std::string stop_reason;  // why sampling stopped; filled in by the measurement, empty here
  // Filled in by the measurement (eval/gpu/gpu_timer.h), empty here:
  std::string clock;           // what the samples were read with: "cupti" or "events" (eval/gpu/timing_clock.h)
  std::string clock_note;      // why CUPTI was asked for and not used (its error); "" otherwise
  double event_median_ms = 0;  // median of the same calls read with CUDA events; 0 when not taken
};

/// Statistics of `samples_ms` [milliseconds]. An empty span gives a summary of zeros.
[[nodiscard]] timing_summary summarize(std::span<const double> samples_ms);

enum class criterion_kind { stdrel, gpumode, fixed };

struct criterion_params {
  criterion_kind kind = criterion_kind::stdrel;
  std::size_t min_samples = 10;
  std::size_t max_samples = 100000;
  double target_rel_noise = 0.01;  // stdrel: stdev / mean; gpumode: (stdev / sqrt(n)) / mean
  double min_gpu_time_ms = 10;     // stdrel: GPU time to accumulate before the noise may stop it
  double max_gpu_time_ms = std::numeric_limits<double>::infinity();  // stop once the samples add up to this
  double time_budget_ms = 2000;    // wall clock from the first sample [milliseconds]

  /// GPUMode eval.py: at least 3 and at most 100 samples, stderr/mean < 0.1%, `max_time_ms` of
  /// accumulated GPU time (10 000 in benchmark mode, 30 000 in leaderboard mode, 100 for the
  /// warm-up pass), 120 s of wall clock.
  [[nodiscard]] static criterion_params gpumode(double max_time_ms);
  /// Exactly `count` samples (KernelBench's num_perf_trials), unless the wall budget runs out.
  [[nodiscard]] static criterion_params sample_count(std::size_t count, double time_budget_ms = 60000);
  /// Samples until they add up to `rep_ms` of GPU time, at least one (Triton do_bench's `rep`,
  /// FlashInfer-Bench before Dec 2025 with K-Search's 10 ms).
  [[nodiscard]] static criterion_params gpu_time_budget(double rep_ms, double time_budget_ms = 60000);
};

/// Decides when a measurement has enough samples. Make one per measurement with make_criterion;
/// feed every sample to add(), ask is_finished() after each.
class stopping_criterion {
 public:
  virtual ~stopping_criterion() = default;
  stopping_criterion(const stopping_criterion&) = delete;
  stopping_criterion& operator=(const stopping_criterion&) = delete;

  /// Records one sample [milliseconds].
  void add(double sample_ms);
  /// True once the rule says stop; `elapsed_wall_ms` is the wall time since sampling began. Once
  /// true it stays true, and stop_reason() says why.
  [[nodiscard]] bool is_finished(double elapsed_wall_ms);
  /// "noise 0.6% < 1% after 57 samples", "time budget 2000 ms reached with noise 3.1% after 12
  /// samples", ...; empty while not finished.
  [[nodiscard]] const std::string& stop_reason() const { return stop_reason_; }

  [[nodiscard]] const criterion_params& params() const { return params_; }
  [[nodiscard]] std::size_t samples() const { return count_; }
  [[nodiscard]] double total_ms() const { return total_ms_; }
  [[nodiscard]] double mean_ms() const { return mean_; }
  /// Sample standard deviation over the mean; +inf with fewer than two samples.
  [[nodiscard]] double rel_noise() const;

 protected:
  explicit stopping_criterion(const criterion_params& params) : params_(params) {}

 private:
  // The rule's own stop test, asked after the common caps (max_samples, wall budget). Returns an
  // empty string to go on, else the stop reason.
  [[nodiscard]] virtual std::string do_is_finished(double elapsed_wall_ms) = 0;
  virtual void do_add(double /*sample_ms*/) {}

  criterion_params params_;
  std::size_t count_ = 0;
  double total_ms_ = 0;
  double mean_ = 0;  // running mean and sum of squared deviations (Welford)
  double m2_ = 0;
  std::string stop_reason_;
};

/// The criterion `params.kind` names, configured by `params`.
[[nodiscard]] std::unique_ptr<stopping_criterion> make_criterion(const criterion_params& params);

/// The fastest a kernel can be: the larger of moving `bytes` at `bandwidth_bytes_per_s` and doing
/// `flops` at `flops_per_s` [milliseconds]. A term whose rate is not positive is left out.
[[nodiscard]] double roofline_floor_ms(double bytes, double flops, double bandwidth_bytes_per_s, double flops_per_s);

/// True when `measured_ms` beats the floor by more than the slack allows (measured < slack * floor):
/// a timing that fast means the work was not done (skipped, cached, or run off the timed stream).
[[nodiscard]] bool faster_than_physics(double measured_ms, double floor_ms, double slack = 0.9);

}  // namespace ksearch::eval
