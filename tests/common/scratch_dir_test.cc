#include "ksearch/common/scratch_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace ksearch {
namespace {

namespace fs = std::filesystem;

TEST(ScratchDir, FilesLiveAsLongAsTheOwner) {
  fs::path folder;
  {
    auto scratch = scratch_dir::create("ksearch-scratch-test-");
    ASSERT_TRUE(scratch.has_value()) << scratch.error().to_string();
    folder = scratch->path();
    EXPECT_TRUE(fs::is_directory(folder));
    auto file = scratch->write("kernel.cu", "extern \"C\" __global__ void k() {}\n");
    ASSERT_TRUE(file.has_value()) << file.error().to_string();
    std::ifstream in(*file);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), "extern \"C\" __global__ void k() {}\n");
  }
  EXPECT_FALSE(fs::exists(folder));
}

TEST(ScratchDir, MovingHandsOverTheFolder) {
  auto first = scratch_dir::create("ksearch-scratch-test-");
  ASSERT_TRUE(first.has_value());
  const fs::path folder = first->path();
  scratch_dir moved = std::move(*first);
  EXPECT_EQ(moved.path(), folder);
  EXPECT_TRUE(first->path().empty());
  auto other = scratch_dir::create("ksearch-scratch-test-");
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->path(), folder);
  const fs::path other_folder = other->path();
  moved = std::move(*other);  // the old folder goes
  EXPECT_FALSE(fs::exists(folder));
  EXPECT_EQ(moved.path(), other_folder);
}

}  // namespace
}  // namespace ksearch
