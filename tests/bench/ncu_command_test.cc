#include "ksearch/bench/ncu_command.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace ksearch::bench {
namespace {

// The value that follows `flag` in argv, or "" when the flag is absent.
std::string value_of(const std::vector<std::string>& argv, const std::string& flag) {
  const auto it = std::find(argv.begin(), argv.end(), flag);
  return it == argv.end() || it + 1 == argv.end() ? "" : *(it + 1);
}

TEST(NcuCommand, WindowSkipsWholeCallsBeforeTheTimingPhase) {
  const ncu_window one = timing_phase_window(1, 20);
  EXPECT_EQ(one.launch_skip, calls_before_timing);
  EXPECT_EQ(one.launch_count, 20u);
  const ncu_window two = timing_phase_window(2, 20);
  EXPECT_EQ(two.launch_skip, 2 * calls_before_timing);  // a multiple of the kernels per call
  EXPECT_EQ(two.launch_count, 40u);
  EXPECT_EQ(calls_before_timing, 4u);  // one correctness call (--trials 1) and the 3 warm-up calls
}

TEST(NcuCommand, FilterMatchesExactlyTheKernelNames) {
  EXPECT_EQ(kernel_name_filter({"gqa_split_kv", "gqa_merge_splits"}), "regex:^(gqa_split_kv|gqa_merge_splits)$");
  EXPECT_EQ(kernel_name_filter({"a.b", "c+"}), R"(regex:^(a\.b|c\+)$)");
}

TEST(NcuCommand, ArgvProfilesTheProgramWithTheAgreedSettings) {
  ncu_invocation invocation;
  invocation.ncu = "/opt/nvidia/nsight-compute/2025.1.0/ncu";
  invocation.log_file = "/tmp/x/ncu.csv";
  invocation.kernel_names = {"scale_add_bench_vec4"};
  invocation.window = timing_phase_window(1, 20);
  invocation.program = {"build/ksearch", "eval", "s.json", "--trials", "1"};
  const std::vector<std::string> argv = ncu_argv(invocation);
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv.front(), "/opt/nvidia/nsight-compute/2025.1.0/ncu");
  EXPECT_EQ(value_of(argv, "--target-processes"), "all");
  EXPECT_EQ(value_of(argv, "--clock-control"), "none");
  EXPECT_EQ(value_of(argv, "--cache-control"), "none") << "ksearch's own flush sets the cache state";
  EXPECT_EQ(value_of(argv, "--kernel-name"), "regex:^(scale_add_bench_vec4)$");
  EXPECT_EQ(value_of(argv, "--launch-skip"), "4");
  EXPECT_EQ(value_of(argv, "--launch-count"), "20");
  EXPECT_EQ(value_of(argv, "--metrics"), "gpu__time_duration.sum");
  EXPECT_EQ(value_of(argv, "--log-file"), "/tmp/x/ncu.csv");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--csv"), argv.end());
  // The profiled program comes last, whole and in order.
  ASSERT_GE(argv.size(), invocation.program.size());
  EXPECT_TRUE(std::equal(invocation.program.begin(), invocation.program.end(), argv.end() - 5));
}

}  // namespace
}  // namespace ksearch::bench
