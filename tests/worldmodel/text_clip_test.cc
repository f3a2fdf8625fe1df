#include "ksearch/worldmodel/text_clip.h"

#include <gtest/gtest.h>

namespace ksearch::worldmodel {
namespace {

TEST(TextClip, FitsTheBudgetAndMarksTheCut) {
  EXPECT_EQ(clip_text("short", 10), "short");
  EXPECT_EQ(clip_text("exactly10!", 10), "exactly10!");
  EXPECT_EQ(clip_text("0123456789abc", 10), "0123456...");
  EXPECT_EQ(clip_text("abc", 0), "");
  EXPECT_EQ(clip_text("abcdef", 2), "..");
}

TEST(TextClip, EndsOnAWholeSentenceOrWordWhenOneIsNearTheBudget) {
  const std::string action = "Tile the KV loop by 64. Use cp.async for the next tile while computing.";
  EXPECT_EQ(clip_text(action, 40), "Tile the KV loop by 64....");
  EXPECT_EQ(clip_text("Split the KV sequence across blocks for small batches", 30), "Split the KV sequence...");
  // A sentence end too near the start would waste the budget: the last whole word instead.
  EXPECT_EQ(clip_text("Go. Split the KV sequence across blocks for small batches", 30), "Go. Split the KV sequence...");
}

TEST(TextClip, NeverSplitsAUtf8Sequence) {
  const std::string text = "ab\xE2\x86\x92\xE2\x86\x92";  // "ab→→", 8 bytes
  for (std::size_t budget = 3; budget <= text.size(); ++budget) {
    const std::string clipped = clip_text(text, budget);
    EXPECT_LE(clipped.size(), budget);
    const std::string kept = clipped.size() >= 3 && clipped.ends_with("...") ? clipped.substr(0, clipped.size() - 3) : clipped;
    EXPECT_TRUE(text.starts_with(kept));
    // The kept head ends on a character boundary: the next byte of `text` is not a continuation byte.
    if (kept.size() < text.size()) {
      EXPECT_NE(static_cast<unsigned char>(text[kept.size()]) & 0xC0u, 0x80u) << "budget " << budget;
    }
  }
  EXPECT_EQ(clip_text(text, 6), "ab...");
}

TEST(TextClip, OneLineCollapsesWhitespace) {
  EXPECT_EQ(one_line("  a\n\n b\t c  "), "a b c");
  EXPECT_EQ(one_line("\n"), "");
}

}  // namespace
}  // namespace ksearch::worldmodel
