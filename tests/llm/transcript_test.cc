#include "ksearch/llm/transcript.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ksearch/common/json.h"

#include "support/temp_dir.h"

namespace ksearch::llm {
namespace {

using test_support::temp_dir;

constexpr const char* secret = "sk-transcript-secret-0123456789";

[[nodiscard]] std::string contains_note(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos ? "" : "missing '" + std::string(part) + "'";
}

[[nodiscard]] std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

[[nodiscard]] std::vector<json> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<json> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(json::parse(line));
  return lines;
}

[[nodiscard]] llm_request sample_request(std::string content = "Write a kernel.") {
  llm_request r;
  r.model = "gpt-5";
  r.messages = {{"system", "You write CUDA."}, {"user", std::move(content)}};
  r.options.max_output_tokens = 1000;
  r.purpose = "codegen";
  return r;
}

[[nodiscard]] llm_reply sample_reply() {
  llm_reply r;
  r.text = "```cuda\n__global__ void k() {}\n```";
  r.reasoning = "short plan";
  r.usage.prompt_tokens = 10;
  r.usage.completion_tokens = 20;
  r.cost_usd = 0.00021;
  r.latency_s = 1.5;
  r.finish_reason = "stop";
  r.model = "gpt-5-2025-08-07";
  r.raw = R"({"id":"resp_1","status":"completed"})";
  r.attempts = 2;
  return r;
}

TEST(Transcript, OneJsonObjectPerLineRequestThenOutcome) {
  temp_dir dir;
  const auto file = dir.path() / "run" / "transcript.jsonl";
  auto writer = transcript_writer::open(file, secret, "openai");
  ASSERT_TRUE(writer.has_value()) << writer.error().to_string();
  EXPECT_EQ((*writer)->last_call(), 0);
  ASSERT_TRUE((*writer)->record_request(1, sample_request(), "openai").has_value());
  ASSERT_TRUE((*writer)->record_reply(1, sample_reply()).has_value());
  ASSERT_TRUE((*writer)->record_request(2, sample_request("again"), "openai").has_value());
  ASSERT_TRUE((*writer)->record_error(2, llm_error{llm_failure::unavailable, error{"POST u", "HTTP 503", "later"}, 9})
                  .has_value());
  ASSERT_TRUE((*writer)->record_note(3, "budget reached: 2 calls").has_value());

  const auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 6U);
  EXPECT_EQ(lines[0]["type"], "header");
  EXPECT_EQ(lines[0]["format"], "ksearch-transcript");
  EXPECT_EQ(lines[0]["version"], 1);
  EXPECT_EQ(lines[1]["type"], "request");
  EXPECT_EQ(lines[1]["call"], 1);
  EXPECT_EQ(lines[1]["model"], "gpt-5");
  EXPECT_EQ(lines[1]["purpose"], "codegen");
  EXPECT_EQ(lines[1]["fingerprint"], request_fingerprint(sample_request()));
  EXPECT_EQ(lines[1]["options"]["max_output_tokens"], 1000);
  EXPECT_TRUE(lines[1]["options"]["temperature"].is_null());
  EXPECT_EQ(lines[1]["messages"][1]["content"], "Write a kernel.");
  EXPECT_TRUE(lines[1]["time"].get<std::string>().ends_with("Z"));
  EXPECT_EQ(lines[2]["type"], "reply");
  EXPECT_EQ(lines[2]["text"], sample_reply().text);
  EXPECT_EQ(lines[2]["usage"]["completion_tokens"], 20);
  EXPECT_TRUE(lines[2]["usage"]["reasoning_tokens"].is_null());
  EXPECT_EQ(lines[2]["raw"]["id"], "resp_1");  // JSON stays JSON
  EXPECT_EQ(lines[2]["attempts"], 2);
  EXPECT_EQ(lines[4]["type"], "error");
  EXPECT_EQ(lines[4]["kind"], "unavailable");
  EXPECT_EQ(lines[4]["attempts"], 9);
  EXPECT_EQ(lines[5]["type"], "note");
}

TEST(Transcript, TheSecretIsRedactedFromEveryField) {
  temp_dir dir;
  const auto file = dir.path() / "transcript.jsonl";
  auto writer = transcript_writer::open(file, secret, "openai");
  ASSERT_TRUE(writer.has_value());
  llm_request request = sample_request(std::string("my key is ") + secret + " \"quoted\\" + secret);
  request.model = std::string("model-") + secret;
  llm_reply reply = sample_reply();
  reply.text = std::string("echo: Bearer ") + secret;
  reply.raw = std::string(R"({"echo":")") + secret + R"(","nested":{")" + secret + R"(":1}})";
  ASSERT_TRUE((*writer)->record_request(1, request, "openai").has_value());
  ASSERT_TRUE((*writer)->record_reply(1, reply).has_value());
  ASSERT_TRUE((*writer)->record_error(2, llm_error{llm_failure::auth, error{"POST u", std::string("bad ") + secret, ""}, 1})
                  .has_value());

  const std::string text = read_all(file);
  EXPECT_EQ(text.find(secret), std::string::npos) << text;
  EXPECT_EQ(contains_note(text, "Bearer [REDACTED]"), "");
  EXPECT_EQ(contains_note(text, R"(\"quoted\\[REDACTED])"), "");
  // The fingerprint is of the real request, so a replay of the same request still matches.
  EXPECT_EQ(read_lines(file)[1]["fingerprint"], request_fingerprint(request));
}

TEST(Transcript, ReadBackGivesCompleteCallsAndSkipsTornLines) {
  temp_dir dir;
  const auto file = dir.path() / "transcript.jsonl";
  {
    auto writer = transcript_writer::open(file, secret, "openai");
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->record_request(1, sample_request(), "openai").has_value());
    ASSERT_TRUE((*writer)->record_reply(1, sample_reply()).has_value());
    ASSERT_TRUE((*writer)->record_request(2, sample_request("second"), "openai").has_value());
  }
  // The process died while writing call 2's reply.
  std::ofstream(file, std::ios::app) << R"({"type":"reply","call":2,"text":"cut o)";

  auto contents = read_transcript(file);
  ASSERT_TRUE(contents.has_value()) << contents.error().to_string();
  ASSERT_EQ(contents->calls.size(), 1U);
  const transcript_call& call = contents->calls[0];
  EXPECT_EQ(call.call, 1);
  EXPECT_EQ(call.line, 2U);
  EXPECT_EQ(call.request.messages, sample_request().messages);
  EXPECT_EQ(call.request.options.max_output_tokens, 1000);
  ASSERT_TRUE(call.reply.has_value());
  EXPECT_EQ(call.reply->text, sample_reply().text);
  EXPECT_EQ(call.reply->usage.prompt_tokens, 10);
  EXPECT_EQ(call.reply->cost_usd, 0.00021);
  EXPECT_EQ(call.reply->attempts, 2);
  ASSERT_EQ(contents->warnings.size(), 2U);
  EXPECT_EQ(contents->warnings[0], file.string() + ":5: not a JSON object (a torn record?), skipped");
  EXPECT_EQ(contents->warnings[1], file.string() + ":4: call 2 has no reply (skipped)");
}

TEST(Transcript, ReopeningContinuesCallNumbersOnAFreshLine) {
  temp_dir dir;
  const auto file = dir.path() / "transcript.jsonl";
  {
    auto writer = transcript_writer::open(file, secret, "openai");
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->record_request(4, sample_request(), "openai").has_value());
  }
  std::ofstream(file, std::ios::app) << R"({"type":"reply","call":4,"te)";  // torn

  auto writer = transcript_writer::open(file, secret, "openai");
  ASSERT_TRUE(writer.has_value());
  EXPECT_EQ((*writer)->last_call(), 4);
  ASSERT_TRUE((*writer)->record_request(5, sample_request("resumed"), "openai").has_value());
  ASSERT_TRUE((*writer)->record_reply(5, sample_reply()).has_value());

  auto contents = read_transcript(file);
  ASSERT_TRUE(contents.has_value());
  ASSERT_EQ(contents->calls.size(), 1U);
  EXPECT_EQ(contents->calls[0].call, 5);
  EXPECT_EQ(contents->calls[0].request.messages[1].content, "resumed");
}

TEST(Transcript, RecordedErrorsComeBackWithTheirKind) {
  temp_dir dir;
  const auto file = dir.path() / "transcript.jsonl";
  auto writer = transcript_writer::open(file, "", "openai");
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->record_request(1, sample_request(), "openai").has_value());
  ASSERT_TRUE((*writer)->record_error(1, llm_error{llm_failure::not_found, error{"POST u", "no model", "fix it"}, 1})
                  .has_value());
  auto contents = read_transcript(file);
  ASSERT_TRUE(contents.has_value());
  ASSERT_EQ(contents->calls.size(), 1U);
  ASSERT_TRUE(contents->calls[0].failure.has_value());
  EXPECT_EQ(contents->calls[0].failure->kind, llm_failure::not_found);
  EXPECT_EQ(contents->calls[0].failure->detail.problem, "no model");
  EXPECT_EQ(contents->calls[0].failure->detail.fix, "fix it");
}

TEST(Transcript, NewerVersionIsRefusedAndMissingFileNamed) {
  temp_dir dir;
  const auto file = dir.write("t.jsonl", R"({"type":"header","format":"ksearch-transcript","version":99})" "\n");
  auto contents = read_transcript(file);
  ASSERT_FALSE(contents.has_value());
  EXPECT_EQ(contents.error().subject, file.string() + ":1");
  EXPECT_NE(contents.error().problem.find("version 99 is newer"), std::string::npos);

  auto missing = read_transcript(dir.path() / "absent.jsonl");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().subject, (dir.path() / "absent.jsonl").string());
}

TEST(Transcript, FingerprintCoversModelRolesContentsAndTheirBoundaries) {
  const llm_request base = sample_request();
  const std::string fp = request_fingerprint(base);
  EXPECT_TRUE(fp.starts_with("fnv1a64:"));
  EXPECT_EQ(fp.size(), 8U + 16U);
  EXPECT_EQ(request_fingerprint(base), fp);

  llm_request other_model = base;
  other_model.model = "gpt-5-mini";
  llm_request other_role = base;
  other_role.messages[0].role = "developer";
  llm_request other_text = base;
  other_text.messages[1].content += " ";
  llm_request moved_boundary = base;
  moved_boundary.messages[0].content = "You write CUDA.W";
  moved_boundary.messages[1].content = "rite a kernel.";
  llm_request other_options = base;
  other_options.options.temperature = 0.1;
  other_options.purpose = "other";
  for (const llm_request* r : {&other_model, &other_role, &other_text, &moved_boundary}) {
    EXPECT_NE(request_fingerprint(*r), fp);
  }
  EXPECT_EQ(request_fingerprint(other_options), fp);  // options and purpose are not what is asked
}

TEST(Transcript, UnwritableLocationIsAnErrorNamingIt) {
  temp_dir dir;
  const auto blocker = dir.write("file", "x");
  auto writer = transcript_writer::open(blocker / "transcript.jsonl", "", "openai");
  ASSERT_FALSE(writer.has_value());
  EXPECT_NE(writer.error().subject.find(blocker.string()), std::string::npos) << writer.error().to_string();
}

TEST(Transcript, FailedWriteIsAnErrorNamingTheFile) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here (every write to it fails with ENOSPC)";
  auto writer = transcript_writer::open("/dev/full", "", "openai");
  ASSERT_FALSE(writer.has_value());
  EXPECT_EQ(writer.error().subject, "/dev/full");
  EXPECT_TRUE(writer.error().problem.starts_with("write: ")) << writer.error().to_string();
}

}  // namespace
}  // namespace ksearch::llm
