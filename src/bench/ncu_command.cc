#include "ksearch/bench/ncu_command.h"

#include <string_view>

namespace ksearch::bench {

ncu_window timing_phase_window(std::size_t kernels_per_call, std::size_t calls) {
  return {.launch_skip = calls_before_timing * kernels_per_call, .launch_count = calls * kernels_per_call};
}

std::string kernel_name_filter(const std::vector<std::string>& kernel_names) {
  constexpr std::string_view special = R"(\^$.|?*+()[]{})";
  std::string alternatives;
  for (const std::string& name : kernel_names) {
    if (!alternatives.empty()) alternatives += '|';
    for (char c : name) {
      if (special.find(c) != std::string_view::npos) alternatives += '\\';
      alternatives += c;
    }
  }
  return "regex:^(" + alternatives + ")$";
}

std::vector<std::string> ncu_argv(const ncu_invocation& invocation) {
  std::vector<std::string> argv = {
      invocation.ncu.string(),
      "--target-processes", "all",  // the kernels run in ksearch's worker, a child of `ksearch eval`
      "--clock-control", "none",
      // ksearch's own read-only L2 flush runs before each timed call (it is not profiled): both
      // sides then start a call from the same cold L2, and a plan's second kernel finds the first
      // one's output in L2 as in production. "all" would flush again before every kernel.
      "--cache-control", "none",
      "--kernel-name", kernel_name_filter(invocation.kernel_names),
      "--launch-skip", std::to_string(invocation.window.launch_skip),
      "--launch-count", std::to_string(invocation.window.launch_count),
      "--metrics", invocation.metric,
      "--csv",
      "--page", "details",
      "--print-units", "base",
      "--log-file", invocation.log_file.string(),
  };
  argv.insert(argv.end(), invocation.program.begin(), invocation.program.end());
  return argv;
}

}  // namespace ksearch::bench
