#include "ksearch/store/artifacts_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/temp_dir.h"

namespace ksearch::store {
namespace {

TEST(ArtifactsDir, CreatesAMissingFolderAndLeavesNoProbeBehind) {
  test_support::temp_dir dir;
  const auto target = dir.path() / "runs" / "a";
  auto check = check_writable(target);
  ASSERT_TRUE(check.has_value()) << check.error().to_string();
  EXPECT_TRUE(check->created);
  EXPECT_TRUE(std::filesystem::is_directory(target));
  EXPECT_TRUE(std::filesystem::is_empty(target));
  EXPECT_GT(check->free_bytes, 0u);

  auto again = check_writable(target);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->created);
}

TEST(ArtifactsDir, AFileInTheWayIsAnErrorNamingIt) {
  test_support::temp_dir dir;
  const auto file = dir.write("taken", "x");
  auto check = check_writable(file);
  ASSERT_FALSE(check.has_value());
  EXPECT_NE(check.error().to_string().find("taken: exists but is not a folder"), std::string::npos);
}

TEST(ArtifactsDir, AReadOnlyFolderIsAnErrorNamingTheCall) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores folder permissions, so a read-only folder cannot be made";
  test_support::temp_dir dir;
  const auto locked = dir.path() / "locked";
  std::filesystem::create_directory(locked);
  ::chmod(locked.c_str(), 0555);
  auto check = check_writable(locked);
  ::chmod(locked.c_str(), 0755);
  ASSERT_FALSE(check.has_value());
  EXPECT_NE(check.error().problem.find("open failed"), std::string::npos) << check.error().to_string();
}

}  // namespace
}  // namespace ksearch::store
