// Finding KernelBench problems in a checkout: both layouts, ids in order, and errors that name the
// flag and say what is there instead.
#include "ksearch/tasks/kernelbench_problems.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.h"

namespace ksearch::tasks {
namespace {

namespace fs = std::filesystem;

TEST(KernelbenchProblems, ListsALevelByIdInEitherLayout) {
  test_support::temp_dir root;
  root.write("KernelBench/level1/10_ReLU.py", "# problem\n");
  root.write("KernelBench/level1/2_Square-matrix multiplication.py", "# problem\n");
  root.write("KernelBench/level1/README.md", "not a problem\n");
  root.write("KernelBench/level1/helper.py", "not a problem either\n");
  auto listed = list_kernelbench_problems(root.path(), 1);
  ASSERT_TRUE(listed.has_value()) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, 2);
  EXPECT_EQ((*listed)[0].name, "Square-matrix multiplication");
  EXPECT_EQ((*listed)[1].id, 10);
  EXPECT_EQ(kernelbench_definition_name((*listed)[0]), "kernelbench_l1_p2_Square_matrix_multiplication");

  test_support::temp_dir flat;  // level folders at the root
  flat.write("level2/7_Conv_ReLU.py", "# problem\n");
  auto found = find_kernelbench_problem(flat.path(), 2, 7);
  ASSERT_TRUE(found.has_value()) << found.error().to_string();
  EXPECT_EQ(found->file, flat.path() / "level2" / "7_Conv_ReLU.py");
  EXPECT_EQ(found->level, 2);
}

TEST(KernelbenchProblems, ErrorsNameTheFlagAndWhatIsThere) {
  test_support::temp_dir root;
  root.write("KernelBench/level1/1_A.py", "");
  root.write("KernelBench/level1/3_B.py", "");
  auto no_id = find_kernelbench_problem(root.path(), 1, 2);
  ASSERT_FALSE(no_id.has_value());
  EXPECT_EQ(no_id.error().subject, "--kernelbench-problem-id 2");
  EXPECT_NE(no_id.error().to_string().find("1 to 3 (2 problems)"), std::string::npos) << no_id.error().to_string();

  auto no_level = find_kernelbench_problem(root.path(), 4, 1);
  ASSERT_FALSE(no_level.has_value());
  EXPECT_EQ(no_level.error().subject, "--kernelbench-level 4");

  auto no_root = list_kernelbench_problems(root.path() / "missing", 1);
  ASSERT_FALSE(no_root.has_value());
  EXPECT_NE(no_root.error().subject.find("--kernelbench-root"), std::string::npos);

  root.write("KernelBench/level1/01_Again.py", "");
  auto twice = list_kernelbench_problems(root.path(), 1);
  ASSERT_FALSE(twice.has_value());
  EXPECT_NE(twice.error().to_string().find("two problems with id 1"), std::string::npos) << twice.error().to_string();
}

// The bundled problems are what the bundled examples are named after.
TEST(KernelbenchProblems, BundledProblemsMatchTheExamplesFolders) {
  const fs::path root = fs::path(KSEARCH_SOURCE_DIR) / "tasks" / "kernelbench" / "problems";
  const fs::path examples = fs::path(KSEARCH_SOURCE_DIR) / "tasks" / "kernelbench" / "examples";
  for (int level : {1, 2}) {
    auto p = find_kernelbench_problem(root, level, 1);
    ASSERT_TRUE(p.has_value()) << p.error().to_string();
    EXPECT_TRUE(fs::is_directory(examples / kernelbench_definition_name(*p))) << kernelbench_definition_name(*p);
  }
}

}  // namespace
}  // namespace ksearch::tasks
