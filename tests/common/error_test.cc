#include "ksearch/common/error.h"

#include <gtest/gtest.h>

namespace ksearch {
namespace {

TEST(Error, ToStringNamesSubjectProblemAndFix) {
  error e{"--max-opt-rounds", "must be at least 1, got 0", "pass a positive round count"};
  EXPECT_EQ(e.to_string(), "--max-opt-rounds: must be at least 1, got 0 (fix: pass a positive round count)");
}

TEST(Error, ToStringLeavesOutEmptyParts) {
  EXPECT_EQ((error{"", "no CUDA driver", ""}.to_string()), "no CUDA driver");
  EXPECT_EQ((error{"cuInit", "CUDA_ERROR_NO_DEVICE", ""}.to_string()), "cuInit: CUDA_ERROR_NO_DEVICE");
}

TEST(Error, FailBuildsAnUnexpectedResult) {
  auto parse = [](int v) -> result<int> {
    if (v < 0) return fail("value", "negative");
    return v * 2;
  };
  EXPECT_EQ(parse(3).value(), 6);
  auto bad = parse(-1);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().subject, "value");
  EXPECT_EQ(bad.error().problem, "negative");
}

}  // namespace
}  // namespace ksearch
