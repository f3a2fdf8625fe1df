#include "ksearch/common/text.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ksearch {
namespace {

using std::string_view;

TEST(Text, TrimRemovesTheGivenCharactersFromBothEnds) {
  EXPECT_EQ(trim(" \t\r\n\f\vkernel.cu \n"), "kernel.cu");
  EXPECT_EQ(trim("  a b  "), "a b");  // inner blanks stay
  EXPECT_EQ(trim(" \t\r\n"), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" x\r", " \t"), "x\r");  // only what is asked for
  EXPECT_EQ(trim_start("  x  "), "x  ");
  EXPECT_EQ(trim_end("  x  "), "  x");
  EXPECT_EQ(trim_end("x\r\n", "\n"), "x\r");
}

TEST(Text, TrimReturnsAViewIntoItsArgument) {
  const std::string text = "  middle  ";
  const string_view trimmed = trim(text);
  EXPECT_EQ(trimmed.data(), text.data() + 2);
  EXPECT_EQ(trim_start("   ").size(), 0U);
}

TEST(Text, IsBlank) {
  EXPECT_TRUE(is_blank(""));
  EXPECT_TRUE(is_blank(" \t\r\n\f\v"));
  EXPECT_FALSE(is_blank(" x "));
  EXPECT_FALSE(is_blank("\f", " \t\r\n"));
}

TEST(Text, CaseIsAsciiOnly) {
  EXPECT_EQ(to_lower("Cuda_FILE 9"), "cuda_file 9");
  EXPECT_EQ(to_upper("nvidia h100 sxm"), "NVIDIA H100 SXM");
  // UTF-8 bytes are not letters here, whatever the locale says: "É" stays as it is.
  EXPECT_EQ(to_lower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");
  EXPECT_EQ(to_upper("\xC3\xA9t\xC3\xA9"), "\xC3\xA9T\xC3\xA9");
}

TEST(Text, ComparisonsIgnoringCase) {
  EXPECT_TRUE(equals_ignoring_case("OFF", "off"));
  EXPECT_FALSE(equals_ignoring_case("off", "of"));
  EXPECT_FALSE(equals_ignoring_case("off", "offf"));
  EXPECT_FALSE(equals_ignoring_case("[", "{"));  // '[' + 32 is '{': no arithmetic on non-letters
  EXPECT_TRUE(starts_with_ignoring_case("Content-Type: x", "content-type"));
  EXPECT_FALSE(starts_with_ignoring_case("Content", "content-type"));
  EXPECT_TRUE(ends_with_ignoring_case("cuda_FILE", "_file"));
  EXPECT_FALSE(ends_with_ignoring_case("file", "_file"));
  EXPECT_TRUE(starts_with_ignoring_case("anything", ""));
  EXPECT_TRUE(ends_with_ignoring_case("", ""));
}

TEST(Text, SplitLines) {
  EXPECT_EQ(split_lines("a\nb\n"), (std::vector<string_view>{"a", "b"}));
  EXPECT_EQ(split_lines("a\n\nb"), (std::vector<string_view>{"a", "", "b"}));
  EXPECT_EQ(split_lines("a\r\n"), (std::vector<string_view>{"a\r"}));  // '\r' is content
  EXPECT_TRUE(split_lines("").empty());
  EXPECT_EQ(split_lines("\n"), (std::vector<string_view>{""}));
}

}  // namespace
}  // namespace ksearch
