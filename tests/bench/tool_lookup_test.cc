#include "ksearch/bench/tool_lookup.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.h"

namespace ksearch::bench {
namespace {

namespace fs = std::filesystem;

fs::path make_tool(const test_support::temp_dir& dir, const std::string& relative, const std::string& script) {
  const fs::path file = dir.write(relative, "#!/bin/sh\n" + script);
  fs::permissions(file, fs::perms::owner_all);
  return file;
}

TEST(ToolLookup, ExecutableFilesOnly) {
  test_support::temp_dir dir;
  const fs::path tool = make_tool(dir, "bin/tool", "exit 0\n");
  const fs::path data = dir.write("bin/data", "not a program");
  fs::permissions(data, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_TRUE(is_executable_file(tool));
  EXPECT_FALSE(is_executable_file(data));
  EXPECT_FALSE(is_executable_file(dir.path() / "bin"));  // a folder
  EXPECT_FALSE(is_executable_file(dir.path() / "missing"));
}

TEST(ToolLookup, SearchesPathFoldersInOrder) {
  test_support::temp_dir dir;
  const fs::path second = make_tool(dir, "b/nvcc", "exit 0\n");
  const fs::path third = make_tool(dir, "c/nvcc", "exit 0\n");
  const std::string path =
      (dir.path() / "a").string() + "::" + (dir.path() / "b").string() + ":" + (dir.path() / "c").string();
  EXPECT_EQ(find_in_path("nvcc", path), second);
  EXPECT_EQ(find_in_path("ncu", path), std::nullopt);
  EXPECT_EQ(find_in_path("nvcc", ""), std::nullopt);
  (void)third;
}

TEST(ToolLookup, NsightComputeInstallsNewestFirst) {
  test_support::temp_dir dir;
  make_tool(dir, "2024.3.2/ncu", "exit 0\n");
  make_tool(dir, "2025.1.0/ncu", "exit 0\n");
  make_tool(dir, "2024.10.1/ncu", "exit 0\n");  // 10 > 3: versions compare as numbers, not text
  dir.write("2026.1.0/README", "no ncu here");
  const auto installs = nsight_compute_installs(dir.path());
  ASSERT_EQ(installs.size(), 3u);
  EXPECT_EQ(installs[0].parent_path().filename(), "2025.1.0");
  EXPECT_EQ(installs[1].parent_path().filename(), "2024.10.1");
  EXPECT_EQ(installs[2].parent_path().filename(), "2024.3.2");
  EXPECT_TRUE(nsight_compute_installs(dir.path() / "missing").empty());
}

TEST(ToolLookup, AGivenPathWinsAndMustBeExecutable) {
  test_support::temp_dir dir;
  const fs::path tool = make_tool(dir, "mine/ncu", "exit 0\n");
  auto found = find_tool("ncu", tool.string(), "--ncu", {});
  ASSERT_TRUE(found.has_value()) << found.error().to_string();
  EXPECT_EQ(*found, tool);

  auto bad = find_tool("ncu", (dir.path() / "nope").string(), "--ncu", {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().subject, "--ncu " + (dir.path() / "nope").string());
}

TEST(ToolLookup, FallsBackToFixedPlacesAndSaysWhenAbsent) {
  test_support::temp_dir dir;
  const fs::path fallback = make_tool(dir, "opt/ksearch-test-tool-xyz", "exit 0\n");
  auto found = find_tool("ksearch-test-tool-xyz", "", "--tool", {dir.path() / "missing", fallback});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, fallback);
  auto absent = find_tool("ksearch-test-tool-xyz", "", "--tool", {dir.path() / "missing"});
  ASSERT_TRUE(absent.has_value());
  EXPECT_EQ(*absent, std::nullopt);
}

TEST(ToolLookup, VersionLinePrefersTheOneNamingTheVersion) {
  test_support::temp_dir dir;
  const fs::path nvcc = make_tool(dir, "nvcc",
                                  "echo 'nvcc: NVIDIA (R) Cuda compiler driver'\n"
                                  "echo 'Cuda compilation tools, release 13.0, V13.0.88'\n"
                                  "echo 'Build cuda_13.0.r13.0/compiler.36424714_0'\n");
  EXPECT_EQ(tool_version(nvcc, std::chrono::seconds(10)), "Cuda compilation tools, release 13.0, V13.0.88");
  const fs::path other = make_tool(dir, "other", "echo first\necho last\n");
  EXPECT_EQ(tool_version(other, std::chrono::seconds(10)), "last");
  const fs::path failing = make_tool(dir, "failing", "echo 'Version 1'\nexit 1\n");
  EXPECT_EQ(tool_version(failing, std::chrono::seconds(10)), "");
}

}  // namespace
}  // namespace ksearch::bench
