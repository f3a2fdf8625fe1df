// ksearch/bench/ncu_command.h — the Nsight Compute command line that profiles a candidate's kernels
// while `ksearch eval` times them.
//
// `ksearch eval --trials 1 --workloads UUID` makes, per workload, these candidate calls in order:
// 1 correctness call, then gpu_timer::measure's warm-up (at least 3 calls, eval/gpu/gpu_timer.h) and its
// samples (at least one), each after an L2 flush. Only the candidate's kernels pass the
// --kernel-name filter, and --launch-skip counts only launches that pass it, so skipping
// 4 x kernels-per-call launches starts the window at the first call that is certainly part of the
// timing phase, on a call boundary; --launch-count then takes up to `calls` whole calls.
// --cache-control none leaves the caches to ksearch's own L2 flush before each timed call and
// --clock-control none leaves the clocks as ksearch's timing finds them, so both measure the same
// calls from the same cold L2. (With --cache-control all ncu would also flush between a plan's
// kernels, and with its own method: a split-KV merge kernel then read 17% slower on an H200.)
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace ksearch::bench {

/// Candidate calls before the first one that is surely timed: the correctness call of one trial
/// and the warm-up's minimum of 3 calls.
inline constexpr std::size_t calls_before_timing = 4;

struct ncu_window {
  std::size_t launch_skip = 0;   // kernel launches passing the name filter to let go by
  std::size_t launch_count = 0;  // kernel launches to profile after them
};

/// The window for a solution that launches `kernels_per_call` kernels per call: skip
/// calls_before_timing calls, then profile `calls` calls.
[[nodiscard]] ncu_window timing_phase_window(std::size_t kernels_per_call, std::size_t calls);

/// "regex:^(a|b)$" for ncu's --kernel-name: exactly these kernel names (regex metacharacters in a
/// name are escaped).
[[nodiscard]] std::string kernel_name_filter(const std::vector<std::string>& kernel_names);

struct ncu_invocation {
  std::filesystem::path ncu;              // the ncu executable
  std::filesystem::path log_file;         // where ncu writes its CSV (--log-file)
  std::vector<std::string> kernel_names;  // the candidate's kernels
  ncu_window window;
  std::string metric = "gpu__time_duration.sum";
  std::vector<std::string> program;  // the command to profile: ksearch eval ...
};

/// ncu --target-processes all --clock-control none --cache-control none --kernel-name ...
///     --launch-skip S --launch-count C --metrics M --csv --page details --print-units base
///     --log-file F <program...>
[[nodiscard]] std::vector<std::string> ncu_argv(const ncu_invocation& invocation);

}  // namespace ksearch::bench
