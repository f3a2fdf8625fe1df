#include <gtest/gtest.h>

#include <limits>

#include "ksearch/report/format.h"

namespace ksearch::report {
namespace {

TEST(ReportFormat, EscapesHtml) {
  EXPECT_EQ(escape_html("if (i < n && a > b) s = \"x\" + 'y';"),
            "if (i &lt; n &amp;&amp; a &gt; b) s = &quot;x&quot; + &#39;y&#39;;");
  EXPECT_EQ(escape_html("plain"), "plain");
}

TEST(ReportFormat, EscapesMarkdownOnlyWhereMarkdownWouldAct) {
  EXPECT_EQ(escape_markdown_cell("a | b\nc"), "a \\| b c");
  EXPECT_EQ(escape_markdown_cell("node_scale_add_d256_r5_1"), "node_scale_add_d256_r5_1");
  EXPECT_EQ(escape_markdown_cell("const __restrict__ x"), "const \\_\\_restrict\\_\\_ x");
  EXPECT_EQ(escape_markdown_cell("alpha * x"), "alpha * x");
  EXPECT_EQ(escape_markdown_cell("float4* p"), "float4\\* p");
  EXPECT_EQ(escape_markdown_cell("<stdio.h> `x`"), "\\<stdio.h> \\`x\\`");
}

TEST(ReportFormat, FormatsNumbers) {
  EXPECT_EQ(format_number(1.21134, 4), "1.211");
  EXPECT_EQ(format_number(0.00620, 3), "0.0062");
  EXPECT_EQ(format_number(12000, 4), "12000");
  EXPECT_EQ(format_number(0.30000000000000004, 6), "0.3");
  EXPECT_EQ(format_number(-0.0, 3), "0");
  EXPECT_EQ(format_number(2.5e-6, 3), "2.5e-06");
  EXPECT_EQ(format_number(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_fixed(std::numeric_limits<double>::infinity(), 2), "inf");
  EXPECT_EQ(format_fixed(1.005, 1), "1.0");
}

TEST(ReportFormat, FormatsUnits) {
  EXPECT_EQ(format_ms(0.0062), "0.00620 ms");
  EXPECT_EQ(format_ms(12.5), "12.5 ms");
  EXPECT_EQ(format_ms(std::nullopt), "-");
  EXPECT_EQ(format_ms(std::numeric_limits<double>::quiet_NaN()), "-");
  EXPECT_EQ(format_speedup(1.2113), "1.21x");
  EXPECT_EQ(format_usd(0.31256), "$0.3126");
  EXPECT_EQ(format_usd(12.5), "$12.50");
  EXPECT_EQ(format_usd(std::nullopt), "unknown");
  EXPECT_EQ(format_count(850), "850");
  EXPECT_EQ(format_count(7820), "7.82k");
  EXPECT_EQ(format_count(1250000), "1.25M");
}

TEST(ReportFormat, TruncatesWholeCharacters) {
  EXPECT_EQ(truncate_text("abcdef", 3), "abc\u2026");
  EXPECT_EQ(truncate_text("abc", 3), "abc");
  EXPECT_EQ(truncate_text("\u00e9\u00e9\u00e9\u00e9", 2), "\u00e9\u00e9\u2026");  // never half an 'é'
  EXPECT_EQ(utf8_length("a\u2192b"), 3u);
}

}  // namespace
}  // namespace ksearch::report
