#include "ksearch/llm/sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ksearch::llm {
namespace {

struct collected {
  std::vector<sse_event> events;
  sse_decoder::sink sink() {
    return [this](const sse_event& e) {
      events.push_back(e);
      return true;
    };
  }
};

[[nodiscard]] std::vector<std::string> data_of(const std::vector<sse_event>& events) {
  std::vector<std::string> out;
  for (const sse_event& e : events) out.push_back(e.data);
  return out;
}

constexpr std::string_view stream =
    ": comment first\n"
    "event: response.output_text.delta\n"
    "id: 7\n"
    "data: {\"delta\":\"a\"}\n"
    "\n"
    "data: line one\n"
    "data:line two\n"
    "data:  two spaces\n"
    "\n"
    "event: only-an-event\n"
    "\n"
    "data\n"
    "\n"
    "retry: 1000\n"
    "data: [DONE]\n"
    "\n";

TEST(SseParser, DecodesFieldsCommentsAndMultiLineData) {
  sse_decoder decoder;
  collected out;
  EXPECT_TRUE(decoder.feed(stream, out.sink()));
  EXPECT_TRUE(decoder.finish(out.sink()));
  ASSERT_EQ(out.events.size(), 4U);
  EXPECT_EQ(out.events[0].event, "response.output_text.delta");
  EXPECT_EQ(out.events[0].id, "7");
  EXPECT_EQ(out.events[0].data, R"({"delta":"a"})");
  EXPECT_EQ(out.events[1].event, "");  // the event name does not carry over
  EXPECT_EQ(out.events[1].data, "line one\nline two\n two spaces");
  EXPECT_EQ(out.events[2].data, "");  // "data" without a colon is an empty data line
  EXPECT_EQ(out.events[3].data, "[DONE]");
  EXPECT_EQ(decoder.bytes_seen(), stream.size());
}

TEST(SseParser, ByteByByteGivesTheSameEvents) {
  sse_decoder whole;
  collected expected;
  ASSERT_TRUE(whole.feed(stream, expected.sink()));

  sse_decoder split;
  collected got;
  for (char c : stream) ASSERT_TRUE(split.feed(std::string_view(&c, 1), got.sink()));
  EXPECT_EQ(data_of(got.events), data_of(expected.events));
}

TEST(SseParser, EveryLineEndingWorksEvenWhenCrlfIsSplit) {
  sse_decoder decoder;
  collected out;
  ASSERT_TRUE(decoder.feed("data: crlf\r", out.sink()));
  ASSERT_TRUE(decoder.feed("\n\r\ndata: cr\r\rdata: lf\n\n", out.sink()));
  EXPECT_EQ(data_of(out.events), (std::vector<std::string>{"crlf", "cr", "lf"}));
}

TEST(SseParser, LastEventWithoutBlankLineIsDeliveredAtFinish) {
  sse_decoder decoder;
  collected out;
  ASSERT_TRUE(decoder.feed("data: first\n\ndata: [DONE]", out.sink()));
  EXPECT_EQ(out.events.size(), 1U);
  ASSERT_TRUE(decoder.finish(out.sink()));
  EXPECT_EQ(data_of(out.events), (std::vector<std::string>{"first", "[DONE]"}));
}

TEST(SseParser, SinkCanStopTheStream) {
  sse_decoder decoder;
  int seen = 0;
  const sse_decoder::sink stop_after_one = [&seen](const sse_event&) { return ++seen < 1; };
  EXPECT_FALSE(decoder.feed("data: a\n\ndata: b\n\n", stop_after_one));
  EXPECT_FALSE(decoder.feed("data: c\n\n", stop_after_one));
  EXPECT_FALSE(decoder.finish(stop_after_one));
  EXPECT_EQ(seen, 1);
}

TEST(SseParser, LeadingByteOrderMarkIsIgnoredEvenWhenSplit) {
  sse_decoder decoder;
  collected out;
  ASSERT_TRUE(decoder.feed("\xEF", out.sink()));
  ASSERT_TRUE(decoder.feed("\xBB\xBF" "data: x\n\n", out.sink()));
  ASSERT_EQ(out.events.size(), 1U);
  EXPECT_EQ(out.events[0].data, "x");
  EXPECT_EQ(decoder.bytes_seen(), 12U);
}

}  // namespace
}  // namespace ksearch::llm
