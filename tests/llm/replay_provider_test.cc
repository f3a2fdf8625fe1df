#include "ksearch/llm/replay_provider.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ksearch/common/json.h"
#include "ksearch/llm/metered_provider.h"
#include "ksearch/llm/openai_provider.h"
#include "support/loopback_http_server.h"
#include "support/temp_dir.h"

namespace ksearch::llm {
namespace {

using test_support::loopback_http_server;
using test_support::received_request;
using test_support::scripted_response;
using test_support::temp_dir;
using namespace std::chrono_literals;

[[nodiscard]] bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

[[nodiscard]] llm_request ask(const std::string& prompt, const std::string& model = "local-model") {
  llm_request r;
  r.model = model;
  r.messages = {{"system", "You optimise kernels."}, {"user", prompt}};
  return r;
}

/// A server that answers "reply to: <last message>" with usage, or 404 for the model "missing".
[[nodiscard]] scripted_response echo(const received_request& request) {
  const json body = json::parse(request.body);
  if (body["model"] == "missing") {
    return {.status = 404, .body = R"({"error":{"message":"model missing not found","code":"model_not_found"}})"};
  }
  const std::string content = "reply to: " + body["messages"].back()["content"].get<std::string>();
  return {.status = 200,
          .headers = {{"Content-Type", "application/json"}},
          .body = json{{"model", "served"},
                       {"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}},
                       {"usage", {{"prompt_tokens", 11}, {"completion_tokens", 7}}}}
                      .dump()};
}

/// Records a run of three calls (two replies and one error) into dir/transcript.jsonl.
void record_run(const std::filesystem::path& transcript) {
  loopback_http_server server(echo);
  openai_settings settings;
  settings.base_url = server.url("/v1");
  settings.retry.max_retries = 0;
  auto writer = transcript_writer::open(transcript, "", "openai");
  ASSERT_TRUE(writer.has_value()) << writer.error().to_string();
  metered_provider live(std::make_unique<openai_provider>(settings), pricing_table{}, llm_budget{}, std::move(*writer));
  ASSERT_TRUE(live.complete(ask("first")).has_value());
  ASSERT_TRUE(live.complete(ask("second")).has_value());
  ASSERT_EQ(live.complete(ask("third", "missing")).error().kind, llm_failure::not_found);
}

TEST(ReplayProvider, ReproducesTheRecordedRunWithoutTheNetwork) {
  temp_dir dir;
  const auto transcript = dir.path() / "transcript.jsonl";
  record_run(transcript);

  auto replay = replay_provider::open(transcript);
  ASSERT_TRUE(replay.has_value()) << replay.error().to_string();
  EXPECT_EQ((*replay)->total_calls(), 3U);
  EXPECT_TRUE((*replay)->warnings().empty());

  auto first = (*replay)->complete(ask("first"));
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_EQ(first->text, "reply to: first");
  EXPECT_EQ(first->usage.prompt_tokens, 11);
  EXPECT_EQ(first->finish_reason, "stop");
  EXPECT_EQ(first->model, "served");
  auto second = (*replay)->complete(ask("second"));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->text, "reply to: second");
  auto third = (*replay)->complete(ask("third", "missing"));
  ASSERT_FALSE(third.has_value());
  EXPECT_EQ(third.error().kind, llm_failure::not_found);  // recorded failures replay too
  EXPECT_TRUE(contains(third.error().detail.problem, "model 'missing' not found")) << third.error().to_string();
  EXPECT_EQ((*replay)->remaining_calls(), 0U);
}

TEST(ReplayProvider, DivergenceNamesTheCallAndWhatDiffers) {
  temp_dir dir;
  const auto transcript = dir.path() / "transcript.jsonl";
  record_run(transcript);
  auto replay = replay_provider::open(transcript);
  ASSERT_TRUE(replay.has_value());
  ASSERT_TRUE((*replay)->complete(ask("first")).has_value());

  auto diverged = (*replay)->complete(ask("secOnd"));
  ASSERT_FALSE(diverged.has_value());
  const llm_error& e = diverged.error();
  EXPECT_EQ(e.kind, llm_failure::replay_divergence);
  EXPECT_EQ(e.detail.subject, transcript.string() + ":4");  // the recorded request's line
  EXPECT_TRUE(contains(e.detail.problem, "call 2 (recorded as call 2) diverges: message 2 (user) differs at character 4"))
      << e.detail.problem;
  EXPECT_TRUE(contains(e.detail.problem, "now 'secOnd', recorded 'second'")) << e.detail.problem;

  auto other_model = (*replay)->complete(ask("second", "another-model"));
  ASSERT_FALSE(other_model.has_value());
  EXPECT_TRUE(contains(other_model.error().detail.problem, "model 'another-model' asked, 'local-model' recorded"));

  // A divergence does not advance the replay: the right request still gets its reply.
  auto second = (*replay)->complete(ask("second"));
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  EXPECT_EQ(second->text, "reply to: second");
}

TEST(ReplayProvider, AskingPastTheEndIsADivergence) {
  temp_dir dir;
  const auto transcript = dir.path() / "transcript.jsonl";
  record_run(transcript);
  auto replay = replay_provider::open(transcript);
  ASSERT_TRUE(replay.has_value());
  ASSERT_TRUE((*replay)->complete(ask("first")).has_value());
  ASSERT_TRUE((*replay)->complete(ask("second")).has_value());
  ASSERT_FALSE((*replay)->complete(ask("third", "missing")).has_value());
  auto extra = (*replay)->complete(ask("fourth"));
  ASSERT_FALSE(extra.has_value());
  EXPECT_EQ(extra.error().kind, llm_failure::replay_divergence);
  EXPECT_EQ(extra.error().detail.problem, "the search asked for call 4 but the transcript holds only 3 calls");
}

TEST(ReplayProvider, MessageCountDifferenceIsNamed) {
  temp_dir dir;
  const auto transcript = dir.path() / "transcript.jsonl";
  record_run(transcript);
  auto replay = replay_provider::open(transcript);
  ASSERT_TRUE(replay.has_value());
  llm_request longer = ask("first");
  longer.messages.push_back({"user", "and more"});
  auto diverged = (*replay)->complete(longer);
  ASSERT_FALSE(diverged.has_value());
  EXPECT_TRUE(contains(diverged.error().detail.problem, "3 messages asked, 2 recorded")) << diverged.error().to_string();
}

TEST(ReplayProvider, TranscriptWithoutCompleteCallsIsRefused) {
  temp_dir dir;
  const auto empty = dir.write("empty.jsonl", R"({"type":"header","format":"ksearch-transcript","version":1})" "\n");
  auto replay = replay_provider::open(empty);
  ASSERT_FALSE(replay.has_value());
  EXPECT_EQ(replay.error().problem, "the transcript holds no complete call");
}

}  // namespace
}  // namespace ksearch::llm
