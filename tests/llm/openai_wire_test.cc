#include "ksearch/llm/openai_wire.h"

#include <gtest/gtest.h>

#include "ksearch/common/json.h"

namespace ksearch::llm {
namespace {

[[nodiscard]] llm_request one_question() {
  llm_request r;
  r.model = "m";
  r.messages = {{"user", "hi"}};
  r.options.temperature = 9.0;  // ignored by request_body: settings carry the effective values
  return r;
}

[[nodiscard]] sse_event data(std::string text) { return {"", std::move(text), ""}; }

TEST(OpenaiWire, AutoStylePicksResponsesForGpt5AndO3Only) {
  EXPECT_EQ(resolve_api_style("auto", "gpt-5"), api_style::responses);
  EXPECT_EQ(resolve_api_style("auto", "gpt-5.1-codex"), api_style::responses);
  EXPECT_EQ(resolve_api_style("auto", "o3"), api_style::responses);
  EXPECT_EQ(resolve_api_style("auto", "o3-mini"), api_style::responses);
  EXPECT_EQ(resolve_api_style("auto", "gpt-4o"), api_style::chat);
  EXPECT_EQ(resolve_api_style("auto", "o4-mini"), api_style::chat);
  EXPECT_EQ(resolve_api_style("auto", "openai/gpt-5"), api_style::chat);  // K-Search's rule is a plain prefix
  EXPECT_EQ(resolve_api_style("chat", "gpt-5"), api_style::chat);
  EXPECT_EQ(resolve_api_style("responses", "llama3"), api_style::responses);
  EXPECT_EQ(api_path(api_style::chat), "/chat/completions");
  EXPECT_EQ(api_path(api_style::responses), "/responses");
}

TEST(OpenaiWire, BodiesCarryOnlyWhatIsSet) {
  wire_settings chat;
  EXPECT_EQ(json::parse(request_body(one_question(), chat)),
            json::parse(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"));

  chat.token_field = "max_completion_tokens";
  chat.max_output_tokens = 100;
  chat.stream = true;
  EXPECT_EQ(json::parse(request_body(one_question(), chat)),
            json::parse(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":100,
                            "stream":true,"stream_options":{"include_usage":true}})"));

  wire_settings responses;
  responses.style = api_style::responses;
  responses.temperature = 0.5;
  EXPECT_EQ(json::parse(request_body(one_question(), responses)),
            json::parse(R"({"model":"m","input":[{"role":"user","content":"hi"}],"temperature":0.5,"store":false})"));
}

TEST(OpenaiWire, InvalidUtf8IsSentAsReplacementCharacters) {
  llm_request r = one_question();
  r.messages[0].content = "bad \xC3( byte";
  const json body = json::parse(request_body(r, wire_settings{}));
  EXPECT_EQ(body["messages"][0]["content"], "bad \xEF\xBF\xBD( byte");
}

TEST(OpenaiWire, ChatContentMayBeNullOrAListOfParts) {
  auto parts = parse_reply(api_style::chat, R"({"choices":[{"message":{"content":[{"type":"text","text":"a"},
                                                 {"type":"text","text":"b"}]},"finish_reason":"stop"}]})");
  ASSERT_TRUE(parts.has_value()) << parts.error();
  EXPECT_EQ(parts->text, "ab");

  auto null_content = parse_reply(api_style::chat, R"({"choices":[{"message":{"content":null,"refusal":"I can't"}}]})");
  ASSERT_TRUE(null_content.has_value()) << null_content.error();
  EXPECT_EQ(null_content->text, "");
  EXPECT_EQ(null_content->finish_reason, "refusal");

  auto reasoning = parse_reply(api_style::chat, R"({"choices":[{"message":{"content":"x","reasoning":"why"}}]})");
  ASSERT_TRUE(reasoning.has_value());
  EXPECT_EQ(reasoning->reasoning, "why");
}

TEST(OpenaiWire, ChatErrorsNameTheJsonPath) {
  EXPECT_EQ(parse_reply(api_style::chat, "[]").error(), "the body is array, expected an object");
  EXPECT_EQ(parse_reply(api_style::chat, "{}").error(), "choices missing");
  EXPECT_EQ(parse_reply(api_style::chat, R"({"choices":{}})").error(), "choices is object, expected an array");
  EXPECT_EQ(parse_reply(api_style::chat, R"({"choices":[{}]})").error(), "choices[0].message missing");
  EXPECT_EQ(parse_reply(api_style::chat, R"({"choices":[{"message":{"content":5}}]})").error(),
            "choices[0].message.content is number, expected a string, null or a list of parts");
  EXPECT_EQ(parse_reply(api_style::chat, "").error(), "the body is not JSON (empty body)");
  EXPECT_EQ(parse_reply(api_style::chat, R"({"error":{"message":"upstream timeout"}})").error(),
            "the reply is an error: upstream timeout");
}

TEST(OpenaiWire, ResponsesFallsBackToOutputTextAndReportsFailure) {
  auto plain = parse_reply(api_style::responses, R"({"status":"completed","output_text":"short"})");
  ASSERT_TRUE(plain.has_value()) << plain.error();
  EXPECT_EQ(plain->text, "short");
  EXPECT_EQ(plain->finish_reason, "stop");

  auto failed = parse_reply(api_style::responses,
                            R"({"status":"failed","error":{"code":"server_error","message":"something broke"}})");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error(), "the response failed: something broke");

  auto filtered = parse_reply(api_style::responses,
                              R"({"status":"incomplete","incomplete_details":{"reason":"content_filter"},"output":[]})");
  ASSERT_TRUE(filtered.has_value());
  EXPECT_EQ(filtered->finish_reason, "content_filter");

  EXPECT_EQ(parse_reply(api_style::responses, R"({"status":"completed","output":[7]})").error(),
            "output[0] is number, expected an object");
}

TEST(OpenaiWire, ChatAssemblerStopsAtDone) {
  stream_assembler a(api_style::chat);
  EXPECT_TRUE(a.on_event(data(R"({"model":"m1","choices":[{"delta":{"content":"x"}}]})")));
  EXPECT_TRUE(a.on_event(data(R"({"choices":[{"delta":{"content":"y"},"finish_reason":"length"}]})")));
  EXPECT_FALSE(a.finished());
  EXPECT_FALSE(a.on_event(data("[DONE]")));
  EXPECT_TRUE(a.finished());
  EXPECT_FALSE(a.failure().has_value());
  EXPECT_EQ(a.reply().text, "xy");
  EXPECT_EQ(a.reply().finish_reason, "length");
  EXPECT_EQ(a.reply().model, "m1");
  EXPECT_FALSE(a.on_event(data(R"({"choices":[{"delta":{"content":"late"}}]})")));
  EXPECT_EQ(a.reply().text, "xy");
}

TEST(OpenaiWire, AssemblerFailsOnGarbageAndErrorEvents) {
  stream_assembler garbage(api_style::chat);
  EXPECT_FALSE(garbage.on_event(data("{not json")));
  ASSERT_TRUE(garbage.failure().has_value());
  EXPECT_EQ(*garbage.failure(), "stream event 1 is not a JSON object: {not json");

  stream_assembler failed(api_style::responses);
  EXPECT_TRUE(failed.on_event(data(R"({"type":"response.output_text.delta","delta":"par"})")));
  EXPECT_FALSE(failed.on_event(
      data(R"({"type":"response.failed","response":{"status":"failed","error":{"message":"rate limited mid-stream"}}})")));
  ASSERT_TRUE(failed.failure().has_value());
  EXPECT_EQ(*failed.failure(), "response.failed: rate limited mid-stream");
  EXPECT_FALSE(failed.finished());
}

TEST(OpenaiWire, ResponsesAssemblerKeepsDeltasWhenTheFinalEventHasNoText) {
  stream_assembler a(api_style::responses);
  EXPECT_TRUE(a.on_event(data(R"({"type":"response.output_text.delta","delta":"streamed "})")));
  EXPECT_TRUE(a.on_event({"response.output_text.delta", R"({"delta":"text"})", ""}));  // type from the event name
  EXPECT_FALSE(a.on_event(data(R"({"type":"response.incomplete","response":{"status":"incomplete",
      "incomplete_details":{"reason":"max_output_tokens"},"output":[],"usage":{"input_tokens":1,"output_tokens":2}}})")));
  EXPECT_TRUE(a.finished());
  EXPECT_EQ(a.reply().text, "streamed text");
  EXPECT_EQ(a.reply().finish_reason, "length");
  EXPECT_EQ(a.reply().usage.completion_tokens, 2);
}

}  // namespace
}  // namespace ksearch::llm
