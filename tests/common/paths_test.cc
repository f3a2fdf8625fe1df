#include "ksearch/common/paths.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "support/temp_dir.h"

namespace ksearch {
namespace {

TEST(Paths, SafeNameKeepsAlnumDashUnderscoreDotAndReplacesTheRest) {
  EXPECT_EQ(safe_name("mla_paged_decode_h16-ckv512.v1"), "mla_paged_decode_h16-ckv512.v1");
  EXPECT_EQ(safe_name("gpt-5.2/run 1:α"), "gpt-5.2_run_1___");
}

TEST(Paths, FindsBundledTasksAndPromptsFromTheBuildTree) {
  auto tasks = find_data_dir("tasks");
  ASSERT_TRUE(tasks.has_value());
  EXPECT_EQ(tasks->filename(), "tasks");
  EXPECT_TRUE(find_data_dir("prompts").has_value());
  EXPECT_FALSE(find_data_dir("no-such-folder-anywhere").has_value());
}

TEST(Paths, KsearchDataDirTakesPrecedence) {
  test_support::temp_dir dir;
  std::filesystem::create_directory(dir.path() / "tasks");
  ::setenv("KSEARCH_DATA_DIR", dir.path().c_str(), 1);
  auto tasks = find_data_dir("tasks");
  ::unsetenv("KSEARCH_DATA_DIR");
  ASSERT_TRUE(tasks.has_value());
  EXPECT_EQ(*tasks, std::filesystem::weakly_canonical(dir.path() / "tasks"));
}

}  // namespace
}  // namespace ksearch
