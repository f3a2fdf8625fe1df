// The worker's progress lines picked out of its output as evaluation_service reads it: chunks that
// cut lines anywhere, other output around them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ksearch/eval/isolation/evaluation_service.h"

namespace ksearch::eval {
namespace {

std::vector<std::string> scan(const std::vector<std::string>& chunks) {
  std::vector<std::string> seen;
  progress_line_scanner scanner([&seen](std::string_view text) { seen.emplace_back(text); });
  for (const std::string& chunk : chunks) scanner.feed(chunk);
  return seen;
}

TEST(ProgressLineScanner, PassesTheTextAfterTheMarkerOfEachCompleteLine) {
  EXPECT_EQ(scan({"ksearch-progress: compiling\nksearch-progress: workload 1/2 a1b2\n"}),
            (std::vector<std::string>{"compiling", "workload 1/2 a1b2"}));
}

TEST(ProgressLineScanner, JoinsALineCutAcrossChunksWhereverTheCutFalls) {
  const std::string output = "ksearch-progress: workload 2/5 0123-4567\n";
  for (std::size_t cut = 0; cut <= output.size(); ++cut) {
    EXPECT_EQ(scan({output.substr(0, cut), output.substr(cut)}), (std::vector<std::string>{"workload 2/5 0123-4567"}))
        << "cut at " << cut;
  }
  std::vector<std::string> bytes;
  for (const char c : output) bytes.emplace_back(1, c);
  EXPECT_EQ(scan(bytes), (std::vector<std::string>{"workload 2/5 0123-4567"}));
}

TEST(ProgressLineScanner, IgnoresOtherOutputAndUnfinishedLines) {
  EXPECT_EQ(scan({"nvrtc warning: unused variable\n", "[oracle] torch 2.5 ready\nksearch-progress: compiling\n",
                  "  ksearch-progress: indented is not a progress line\n", "ksearch-progres\n", "\n",
                  "before ksearch-progress: mid-line is not one either\n", "ksearch-progress: workload 1/1 w\n",
                  "ksearch-progress: unfinished"}),
            (std::vector<std::string>{"compiling", "workload 1/1 w"}));
}

TEST(ProgressLineScanner, SkipsAnOverlongLineWithoutKeepingItAndRecoversAfterIt) {
  const std::string huge(3 * progress_line_scanner::max_line_bytes, 'x');
  EXPECT_EQ(scan({"ksearch-progress: " + huge, huge, "\nksearch-progress: compiling\n"}),
            (std::vector<std::string>{"compiling"}));
  EXPECT_EQ(scan({huge, huge + "\n", "ksearch-progress: compiling\n"}), (std::vector<std::string>{"compiling"}));
}

TEST(ProgressLineScanner, AFailuresLogKeepsEverythingButTheProgressLines) {
  EXPECT_EQ(without_progress_lines("ksearch-progress: compiling\nkernel says hi\nksearch-progress: workload 1/2 a\n"
                                   "illegal address\nksearch-progress: workl"),
            "kernel says hi\nillegal address\n");
  EXPECT_EQ(without_progress_lines("no newline at the end"), "no newline at the end");
  EXPECT_EQ(without_progress_lines(""), "");
}

}  // namespace
}  // namespace ksearch::eval
