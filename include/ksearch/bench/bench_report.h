// ksearch/bench/bench_report.h — what `ksearch bench eval` measured, and the table and JSON it
// prints.
//
// The command fills a bench_report section by section (evaluations, compile times, Nsight Compute
// comparisons) and renders it here, so the layout is one function of plain data and can be tested
// without a GPU. The Markdown table is meant to be pasted into results/ as is; the JSON holds the
// same numbers plus every run's raw values. Targets are issue 3's (see check_targets).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "ksearch/bench/bench_stats.h"
#include "ksearch/bench/compile_timing.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/tasks/evaluation_status.h"

namespace ksearch::bench {

// Issue 3's targets.
inline constexpr double compile_target_ms = 1500;   // NVRTC, a ~300-line attention kernel
inline constexpr double overhead_target_ms = 5000;  // a full evaluation of 5 workloads, beyond kernel time
inline constexpr double ncu_target_percent = 3;     // |ksearch - ncu| / ncu, kernels >= ncu_min_kernel_ms
inline constexpr double ncu_min_kernel_ms = 0.010;
inline constexpr double spread_target = 0.02;  // (max - min) / median over repeats

struct bench_environment {
  std::string device;   // "NVIDIA H200 (sm_90a, 132 SMs)"
  std::string driver;   // "13000"
  std::string nvrtc;    // "13.0"
  std::string nvcc;     // "path (version)", or why it is absent
  std::string ncu;      // likewise
  std::string dataset;  // its folder
  int repeats = 0;
  std::string clock;    // what ksearch's latencies were read with: "cupti", "events", or both ("cupti, events")
};

struct run_entry {
  tasks::evaluation_status status = tasks::evaluation_status::passed;
  std::string log;     // the failure; empty when passed
  wall_split split;
  std::vector<std::optional<double>> median_ms;            // per workload of the definition; nullopt: not timed
  std::vector<std::optional<double>> reference_median_ms;  // likewise, the reference
  std::vector<std::optional<double>> event_median_ms;      // the candidate's same calls read with CUDA events
                                                           // (timing_summary::event_median_ms); nullopt: none taken
  std::string clock;  // what median_ms was read with ("cupti" or "events"); empty when nothing was timed
  std::vector<std::size_t> samples;                        // the candidate's timed samples per workload (0: not timed)
};

struct evaluation_entry {
  std::string definition;
  std::string candidate;
  std::string reference;
  std::vector<std::string> workloads;  // uuids, in dataset order
  double warmup_wall_ms = 0;           // the untimed first evaluation (worker start, reference compile)
  std::vector<run_entry> runs;

  [[nodiscard]] bool all_passed() const;
  /// The candidate's medians of workload `index` over the runs that timed it [ms].
  [[nodiscard]] std::vector<double> medians_of(std::size_t index) const;
  [[nodiscard]] std::vector<double> reference_medians_of(std::size_t index) const;
  [[nodiscard]] std::vector<double> event_medians_of(std::size_t index) const;
};

struct compile_entry {
  std::string definition;
  std::string solution;
  std::size_t lines = 0;  // of kernel.cu
  std::optional<compile_timing> nvrtc;
  std::string nvrtc_error;  // when nvrtc is empty
  std::optional<compile_timing> nvcc;
  std::string nvcc_note;  // why nvcc is empty
};

struct ncu_entry {
  std::string definition;
  std::string candidate;
  std::string workload;
  double ksearch_ms = 0;             // median over runs of ksearch's median for this workload
  std::optional<double> ksearch_events_ms;  // likewise with CUDA events; nullopt when no run read them
  std::optional<double> known_ms;           // the call's known length (a workload's spin_ns input), if it has one
  std::vector<double> ncu_calls_ms;  // gpu__time_duration summed per call, per profiled call
  std::optional<double> ncu_ms;      // their median; nullopt when ncu gave nothing
  std::string note;                  // why ncu_ms is empty, or a warning
};

struct bench_report {
  bench_environment environment;
  std::vector<evaluation_entry> evaluations;
  std::vector<compile_entry> compiles;
  std::vector<ncu_entry> ncu;
  std::string ncu_note;  // why there is no ncu section (no ncu, no evaluation passed)
};

struct target_check {
  std::string target;       // "NVRTC compile <= 1500 ms (slowest bench kernel)"
  std::string measured;     // "412 ms (gqa_decode_bench_split_kv)", or "not measured: ..."
  std::optional<bool> met;  // nullopt when not measured
};

/// Issue 3's four targets against the report: the slowest NVRTC compile, the largest evaluation
/// overhead, the largest |ksearch - ncu| among kernels of at least 10 us, the largest spread.
[[nodiscard]] std::vector<target_check> check_targets(const bench_report& report);

/// The report as Markdown: environment, evaluation wall time per run, latency per workload,
/// compile times, the ncu comparison (ksearch's primary clock and its CUDA-event median beside
/// ncu) and the targets.
[[nodiscard]] std::string render_markdown(const bench_report& report);

/// The report as JSON (every section, every run's raw numbers, the targets).
[[nodiscard]] ordered_json to_json(const bench_report& report);

}  // namespace ksearch::bench
