// ksearch/eval/eval_result.h — what an evaluation says about a candidate.
//
// Statuses are FlashInfer Trace's (tasks/evaluation_status.h). A candidate's failure is never
// an error value: it is an eval_result with a failing status and a log written for the LLM
// (what failed, where, with numbers). JSON field names follow the Trace's evaluation object.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/eval/compile/kernel_resources.h"
#include "ksearch/eval/gpu/timing_stats.h"
#include "ksearch/tasks/evaluation_status.h"

namespace ksearch::eval {

struct workload_result {
  std::string uuid;
  tasks::evaluation_status status = tasks::evaluation_status::passed;
  std::string log;                    // for the LLM: what failed, with numbers; empty when passed
  double max_absolute_error = 0;
  double max_relative_error = 0;
  double matched_ratio = 1;
  double latency_ms = -1;             // candidate (summary per latency_statistic) [ms]; -1 if not timed
  double reference_latency_ms = -1;   // [ms]
  double speedup_factor = -1;         // reference / candidate
  double floor_ms = 0;                // roofline floor used for the physics check [ms]
  double min_bytes = 0;               // every input read once and every output written once [bytes]
  double peak_bandwidth_bytes_per_s = 0;  // the device's DRAM peak the floor used [bytes/s]
  timing_summary timing;              // the candidate's samples
  timing_summary reference_timing;
  double correctness_wall_ms = 0;     // host wall time of the correctness trials [ms]
  double timing_wall_ms = 0;          // host wall time of timing both solutions [ms]
  double defences_wall_ms = 0;        // of which between the candidate's timed calls: fresh inputs,
                                      // poisoned outputs and the checks (workload_evaluation.h) [ms]
  int timed_checks = 0;               // timed calls whose output was checked, the last included
};

struct eval_result {
  tasks::evaluation_status status = tasks::evaluation_status::passed;  // the first failing workload's, else PASSED
  std::string log;                           // compile log or the first failure, trimmed for a prompt
  double compile_ms = 0;                     // NVRTC time of the candidate (0 when cached) [ms]
  double load_wall_ms = 0;                   // host wall time to compile and load both solutions [ms]
  std::vector<kernel_resources> kernels;     // registers, smem, spills of the candidate's kernels
  std::vector<workload_result> workloads;

  [[nodiscard]] bool passed() const { return status == tasks::evaluation_status::passed; }
  /// Arithmetic mean of speedup_factor over the workloads (when all passed), else -1.
  [[nodiscard]] double mean_speedup() const;
};

/// The JSON of a workload: FlashInfer Trace's evaluation object plus "workload_uuid"
/// (docs/task-formats.md, "FlashInfer Trace: trace and statuses").
[[nodiscard]] json to_json(const workload_result& w);
[[nodiscard]] result<workload_result> workload_result_from_json(const json& doc);
[[nodiscard]] json to_json(const eval_result& r);
[[nodiscard]] result<eval_result> eval_result_from_json(const json& doc);

}  // namespace ksearch::eval
