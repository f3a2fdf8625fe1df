// profile_calls against stand-ins for ncu: shell scripts that read the flags ncu would read, run the
// profiled program, and write what ncu writes (or fail the way it fails).
#include "ksearch/bench/ncu_profile.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/temp_dir.h"

namespace ksearch::bench {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// Parses the flags that carry values, records skip/count/filter and the program in `record`, runs
// the program, then lets `body` write the output (it sees $log, $skip, $count); exits with the
// program's exit code, as ncu does.
fs::path fake_ncu(const test_support::temp_dir& dir, const std::string& body) {
  const std::string record = (dir.path() / "record").string();
  const fs::path file = dir.write("ncu", "#!/bin/sh\n"
                                         "while [ $# -gt 0 ]; do\n"
                                         "  case \"$1\" in\n"
                                         "    --log-file) log=\"$2\"; shift 2 ;;\n"
                                         "    --launch-skip) skip=\"$2\"; shift 2 ;;\n"
                                         "    --launch-count) count=\"$2\"; shift 2 ;;\n"
                                         "    --kernel-name) filter=\"$2\"; shift 2 ;;\n"
                                         "    --csv) shift ;;\n"
                                         "    --*) shift 2 ;;\n"
                                         "    *) break ;;\n"
                                         "  esac\n"
                                         "done\n"
                                         "echo \"$skip $count $filter $*\" > " + record + "\n"
                                         "\"$@\"; rc=$?\n" + body + "\nexit $rc\n");
  fs::permissions(file, fs::perms::owner_all);
  return file;
}

// Writes $count rows to `target` alternating split (10 us) and merge (2 us), as ncu's CSV.
const std::string two_kernel_rows =
    "rows() {\n"
    "  echo '\"ID\",\"Process ID\",\"Process Name\",\"Host Name\",\"Kernel Name\",\"Context\",\"Stream\",\"Block Size\","
    "\"Grid Size\",\"Device\",\"CC\",\"Section Name\",\"Metric Name\",\"Metric Unit\",\"Metric Value\"'\n"
    "  i=0\n"
    "  while [ $i -lt $count ]; do\n"
    "    if [ $((i % 2)) -eq 0 ]; then k=split; v=10,000; else k=merge; v=2,000; fi\n"
    "    echo \"\\\"$i\\\",\\\"7\\\",\\\"ksearch\\\",\\\"h\\\",\\\"$k\\\",\\\"1\\\",\\\"13\\\",\\\"(128, 1, 1)\\\","
    "\\\"(8, 1, 1)\\\",\\\"0\\\",\\\"9.0\\\",\\\"Command line profiler metrics\\\",\\\"gpu__time_duration.sum\\\","
    "\\\"nsecond\\\",\\\"$v\\\"\"\n"
    "    i=$((i + 1))\n"
    "  done\n"
    "}\n";

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(NcuProfile, GroupsTheProfiledKernelsIntoCalls) {
  test_support::temp_dir dir;
  const fs::path ncu = fake_ncu(dir, two_kernel_rows + "rows > \"$log\"");
  const std::string ran = (dir.path() / "ran").string();
  auto profile = profile_calls(ncu, {"/bin/sh", "-c", "touch " + ran}, {"split", "merge"}, 3, seconds(30));
  ASSERT_TRUE(profile.has_value()) << profile.error().to_string();
  EXPECT_TRUE(profile->run.succeeded()) << profile->run.err;
  ASSERT_EQ(profile->calls_ms.size(), 3u);
  for (double ms : profile->calls_ms) EXPECT_NEAR(ms, 0.012, 1e-12);
  EXPECT_EQ(profile->ncu_error, "");
  EXPECT_TRUE(fs::exists(ran));  // the program ran under the stand-in
  // Skip 4 calls of 2 kernels, profile 3 calls; the filter names each kernel once.
  EXPECT_EQ(read_file(dir.path() / "record"), "8 6 regex:^(merge|split)$ /bin/sh -c touch " + ran + "\n");
}

TEST(NcuProfile, ReadsStdoutWhenThereIsNoLogFile) {
  test_support::temp_dir dir;
  const fs::path ncu = fake_ncu(dir, two_kernel_rows + "echo '==PROF== Disconnected'; rows");
  auto profile = profile_calls(ncu, {"/bin/true"}, {"split", "merge"}, 2, seconds(30));
  ASSERT_TRUE(profile.has_value()) << profile.error().to_string();
  EXPECT_EQ(profile->calls_ms.size(), 2u);
}

TEST(NcuProfile, NothingProfiledKeepsNcusReason) {
  test_support::temp_dir dir;
  const fs::path ncu = fake_ncu(dir, "echo '==ERROR== ERR_NVGPUCTRPERM - The user does not have permission to access "
                                     "NVIDIA GPU Performance Counters'");
  auto profile = profile_calls(ncu, {"/bin/sh", "-c", "exit 1"}, {"scale_add_bench_vec4"}, 20, seconds(30));
  ASSERT_TRUE(profile.has_value()) << profile.error().to_string();
  EXPECT_TRUE(profile->calls_ms.empty());
  EXPECT_EQ(profile->run.exit_code, 1);
  EXPECT_NE(profile->ncu_error.find("ERR_NVGPUCTRPERM"), std::string::npos) << profile->ncu_error;
  EXPECT_EQ(read_file(dir.path() / "record"), "4 20 regex:^(scale_add_bench_vec4)$ /bin/sh -c exit 1\n");
}

TEST(NcuProfile, AHangingProfileIsStoppedAtTheDeadline) {
  test_support::temp_dir dir;
  const fs::path ncu = fake_ncu(dir, "");
  const auto start = std::chrono::steady_clock::now();
  auto profile = profile_calls(ncu, {"/bin/sleep", "60"}, {"k"}, 20, seconds(1));
  ASSERT_TRUE(profile.has_value()) << profile.error().to_string();
  EXPECT_TRUE(profile->run.timed_out);
  EXPECT_TRUE(profile->calls_ms.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));
}

TEST(NcuProfile, ALaunchOrderThatDoesNotFitTheCallIsAnError) {
  test_support::temp_dir dir;
  const fs::path ncu = fake_ncu(dir, two_kernel_rows + "rows > \"$log\"");
  auto profile = profile_calls(ncu, {"/bin/true"}, {"merge", "split"}, 2, seconds(30));
  ASSERT_FALSE(profile.has_value());
  EXPECT_EQ(profile.error().subject, "ncu result ID 0");
  EXPECT_FALSE(profile_calls(ncu, {"/bin/true"}, {}, 2, seconds(30)).has_value());
}

}  // namespace
}  // namespace ksearch::bench
