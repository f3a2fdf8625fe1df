#include "ksearch/eval/gpu/timing_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <numeric>
#include <vector>

namespace ksearch::eval {
namespace {

// stdrel's "settled" test: over the last kNoiseWindow noise estimates, checked every
// kSettleCheckEvery samples, the estimates' standard deviation is under kSettledSpread of the
// current estimate. A kernel whose noise sits above the target (a busy GPU, a bimodal kernel) then
// stops once more samples no longer change the picture, instead of running into the wall budget.
constexpr std::size_t kNoiseWindow = 64;
constexpr std::size_t kSettleCheckEvery = 16;
constexpr double kSettledSpread = 0.05;

std::string ms_text(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g ms", ms);
  return text;
}

// Two significant digits below 10% ("0.053%", "3.1%"), whole percent above ("55%", "140%").
std::string percent(double fraction) {
  if (!std::isfinite(fraction)) return "unknown";
  const double value = fraction * 100;
  char text[32];
  std::snprintf(text, sizeof text, value >= 10 ? "%.0f%%" : "%.2g%%", value);
  return text;
}

std::string after(std::size_t samples) {
  return "after " + std::to_string(samples) + (samples == 1 ? " sample" : " samples");
}

// Value at quantile q of sorted data, interpolating linearly between neighbours.
double quantile(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  if (below + 1 >= sorted.size()) return sorted.back();
  const double weight = position - static_cast<double>(below);
  return sorted[below] + weight * (sorted[below + 1] - sorted[below]);
}

std::string budget_reason(const stopping_criterion& c, double elapsed_wall_ms) {
  if (elapsed_wall_ms < c.params().time_budget_ms) return {};
  return "time budget " + ms_text(c.params().time_budget_ms) + " reached with noise " + percent(c.rel_noise()) +
         " " + after(c.samples());
}

std::string gpu_time_reason(const stopping_criterion& c) {
  if (c.total_ms() < c.params().max_gpu_time_ms) return {};
  return "GPU time budget " + ms_text(c.params().max_gpu_time_ms) + " reached (" + ms_text(c.total_ms()) +
         ") with noise " + percent(c.rel_noise()) + " " + after(c.samples());
}

class stdrel_criterion final : public stopping_criterion {
 public:
  explicit stdrel_criterion(const criterion_params& params) : stopping_criterion(params) {}

 private:
  void do_add(double /*sample_ms*/) override {
    if (samples() < 2) return;
    noise_history_.push_back(rel_noise());
    if (noise_history_.size() > kNoiseWindow) noise_history_.pop_front();
  }

  std::string do_is_finished(double elapsed_wall_ms) override {
    const criterion_params& p = params();
    if (samples() >= p.min_samples && total_ms() >= p.min_gpu_time_ms) {
      const double noise = rel_noise();
      if (noise < p.target_rel_noise) {
        return "noise " + percent(noise) + " < " + percent(p.target_rel_noise) + " " + after(samples());
      }
      if (settled(noise)) {
        return "noise settled at " + percent(noise) + " (target " + percent(p.target_rel_noise) + ") " +
               after(samples());
      }
    }
    if (auto reason = gpu_time_reason(*this); !reason.empty()) return reason;
    return budget_reason(*this, elapsed_wall_ms);
  }

  [[nodiscard]] bool settled(double noise) const {
    if (noise_history_.size() < kNoiseWindow || samples() % kSettleCheckEvery != 0 || !(noise > 0)) return false;
    const double n = static_cast<double>(noise_history_.size());
    const double mean = std::accumulate(noise_history_.begin(), noise_history_.end(), 0.0) / n;
    double squares = 0;
    for (double value : noise_history_) squares += (value - mean) * (value - mean);
    return std::sqrt(squares / (n - 1)) < kSettledSpread * noise;
  }

  std::deque<double> noise_history_;  // the last kNoiseWindow values of rel_noise()
};

class gpumode_criterion final : public stopping_criterion {
 public:
  explicit gpumode_criterion(const criterion_params& params) : stopping_criterion(params) {}

 private:
  std::string do_is_finished(double elapsed_wall_ms) override {
    const criterion_params& p = params();
    if (samples() < p.min_samples) return {};
    // Standard error of the mean, relative to the mean: stdev / sqrt(n) / mean.
    const double relative_error = rel_noise() / std::sqrt(static_cast<double>(samples()));
    if (relative_error < p.target_rel_noise) {
      return "standard error " + percent(relative_error) + " of the mean < " + percent(p.target_rel_noise) + " " +
             after(samples());
    }
    if (auto reason = gpu_time_reason(*this); !reason.empty()) return reason;
    return budget_reason(*this, elapsed_wall_ms);
  }
};

class fixed_criterion final : public stopping_criterion {
 public:
  explicit fixed_criterion(const criterion_params& params) : stopping_criterion(params) {}

 private:
  std::string do_is_finished(double elapsed_wall_ms) override {
    const criterion_params& p = params();
    if (samples() >= p.max_samples) {
      return std::to_string(samples()) + " samples as configured (noise " + percent(rel_noise()) + ")";
    }
    if (samples() >= p.min_samples) {
      if (auto reason = gpu_time_reason(*this); !reason.empty()) return reason;
    }
    return budget_reason(*this, elapsed_wall_ms);
  }
};

}  // namespace

timing_summary summarize(std::span<const double> samples_ms) {
  timing_summary summary;
  summary.samples = samples_ms.size();
  if (samples_ms.empty()) return summary;
  std::vector<double> sorted(samples_ms.begin(), samples_ms.end());
  std::sort(sorted.begin(), sorted.end());
  const double n = static_cast<double>(sorted.size());
  summary.mean_ms = std::accumulate(sorted.begin(), sorted.end(), 0.0) / n;
  summary.min_ms = sorted.front();
  summary.max_ms = sorted.back();
  summary.median_ms = quantile(sorted, 0.5);
  summary.p10_ms = quantile(sorted, 0.1);
  summary.p90_ms = quantile(sorted, 0.9);
  if (sorted.size() >= 2) {
    double squares = 0;
    for (double value : sorted) squares += (value - summary.mean_ms) * (value - summary.mean_ms);
    summary.stdev_ms = std::sqrt(squares / (n - 1));
    if (summary.mean_ms > 0) summary.rel_noise = summary.stdev_ms / summary.mean_ms;
  }
  return summary;
}

criterion_params criterion_params::gpumode(double max_time_ms) {
  criterion_params p;
  p.kind = criterion_kind::gpumode;
  p.min_samples = 3;
  p.max_samples = 100;
  p.target_rel_noise = 0.001;
  p.min_gpu_time_ms = 0;
  p.max_gpu_time_ms = max_time_ms;
  p.time_budget_ms = 120000;
  return p;
}

criterion_params criterion_params::sample_count(std::size_t count, double time_budget_ms) {
  criterion_params p;
  p.kind = criterion_kind::fixed;
  p.min_samples = count;
  p.max_samples = count;
  p.min_gpu_time_ms = 0;
  p.time_budget_ms = time_budget_ms;
  return p;
}

criterion_params criterion_params::gpu_time_budget(double rep_ms, double time_budget_ms) {
  criterion_params p;
  p.kind = criterion_kind::fixed;
  p.min_samples = 1;
  p.max_samples = 1000000;
  p.min_gpu_time_ms = 0;
  p.max_gpu_time_ms = rep_ms;
  p.time_budget_ms = time_budget_ms;
  return p;
}

void stopping_criterion::add(double sample_ms) {
  ++count_;
  total_ms_ += sample_ms;
  const double delta = sample_ms - mean_;
  mean_ += delta / static_cast<double>(count_);
  m2_ += delta * (sample_ms - mean_);
  do_add(sample_ms);
}

bool stopping_criterion::is_finished(double elapsed_wall_ms) {
  if (!stop_reason_.empty()) return true;
  if (count_ == 0) return false;
  std::string reason = do_is_finished(elapsed_wall_ms);
  if (reason.empty() && count_ >= params_.max_samples) {
    reason = "max samples " + std::to_string(params_.max_samples) + " reached with noise " + percent(rel_noise());
  }
  if (reason.empty()) return false;
  stop_reason_ = std::move(reason);
  return true;
}

double stopping_criterion::rel_noise() const {
  if (count_ < 2 || !(mean_ > 0)) return std::numeric_limits<double>::infinity();
  return std::sqrt(m2_ / static_cast<double>(count_ - 1)) / mean_;
}

std::unique_ptr<stopping_criterion> make_criterion(const criterion_params& params) {
  switch (params.kind) {
    case criterion_kind::gpumode: return std::make_unique<gpumode_criterion>(params);
    case criterion_kind::fixed: return std::make_unique<fixed_criterion>(params);
    case criterion_kind::stdrel: break;
  }
  return std::make_unique<stdrel_criterion>(params);
}

double roofline_floor_ms(double bytes, double flops, double bandwidth_bytes_per_s, double flops_per_s) {
  const double memory_s = bandwidth_bytes_per_s > 0 ? bytes / bandwidth_bytes_per_s : 0;
  const double compute_s = flops_per_s > 0 ? flops / flops_per_s : 0;
  return std::max(memory_s, compute_s) * 1e3;
}

bool faster_than_physics(double measured_ms, double floor_ms, double slack) {
  return floor_ms > 0 && measured_ms < slack * floor_ms;
}

}  // namespace ksearch::eval
