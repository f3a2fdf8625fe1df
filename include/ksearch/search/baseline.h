// ksearch/search/baseline.h — per-workload latencies of a baseline solution, for K-Search's
// vs_base score (docs/task-formats.md, "FlashInfer-Bench: vs-baseline score").
//
// K-Search scores a FlashInfer candidate by how it compares with a baseline (the FlashInfer
// library call of the definition): vs_base(w) = baseline latency(w) / candidate latency(w),
// averaged over the feedback workloads when all of them pass. The baseline latencies come, in
// order of preference, from the dataset's traces of the baseline solution on the same GPU (the
// minimum latency of its PASSED traces per workload, the GPU matched by name, case-insensitive),
// or from running the baseline solution in this session (see flashinfer_task.cc). Without a
// baseline the score is the mean speedup over the reference, as before.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::search {

struct baseline_latencies {
  std::string solution;                      // its name
  std::string source;                        // how the numbers were obtained, for every report
  std::map<std::string, double> latency_ms;  // by workload uuid

  /// True when every workload of `workloads` has a latency.
  [[nodiscard]] bool covers(const std::vector<tasks::workload>& workloads) const;
};

/// The baseline from `root`/traces/**.jsonl: for each workload, the smallest latency_ms of a PASSED
/// trace of `solution` on `definition` whose evaluation.environment.hardware equals `gpu_name`
/// (case-insensitive). Workloads without such a trace are absent. Unreadable lines are skipped;
/// a missing traces/ folder gives an empty map.
[[nodiscard]] baseline_latencies baseline_from_traces(const std::filesystem::path& root, const std::string& definition,
                                                      const std::string& solution, const std::string& gpu_name);

/// The prompt's performance targets, one line per workload with a baseline latency:
/// "workload <uuid>: target_latency_ms <= 0.0123 (spec: axes{batch_size=16, ...})".
[[nodiscard]] std::string baseline_targets_text(const baseline_latencies& baseline,
                                                const std::vector<tasks::workload>& workloads,
                                                const tasks::definition& def);

}  // namespace ksearch::search
