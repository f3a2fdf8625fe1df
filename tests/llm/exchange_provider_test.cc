#include "ksearch/llm/exchange_provider.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ksearch/common/json.h"

#include "support/temp_dir.h"

namespace ksearch::llm {
namespace {

namespace fs = std::filesystem;
using test_support::temp_dir;
using namespace std::chrono_literals;

[[nodiscard]] std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

[[nodiscard]] llm_request ask() {
  llm_request r;
  r.model = "by-hand";
  r.purpose = "codegen";
  r.messages = {{"system", "You write CUDA."}, {"user", "Make it fast."}};
  r.options.temperature = 0.3;
  return r;
}

/// Plays the other side: waits for `prompt`, then writes `reply` the documented way (another
/// name, then a rename). Stops when told to.
class answerer {
 public:
  answerer(fs::path prompt, fs::path reply, std::string text)
      : thread_([this, prompt = std::move(prompt), reply = std::move(reply), text = std::move(text)] {
          while (!stop_ && !fs::exists(prompt)) std::this_thread::sleep_for(5ms);
          if (stop_) return;
          const fs::path temp = reply.string() + ".partial";
          std::ofstream(temp, std::ios::binary) << text;
          fs::rename(temp, reply);
        }) {}
  ~answerer() {
    stop_ = true;
    thread_.join();
  }
  answerer(const answerer&) = delete;
  answerer& operator=(const answerer&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(ExchangeProvider, RoundTripThroughFiles) {
  temp_dir dir;
  const fs::path folder = dir.path() / "exchange";
  auto provider = exchange_provider::open({folder, 10s, 10ms});
  ASSERT_TRUE(provider.has_value()) << provider.error().to_string();
  EXPECT_EQ((*provider)->next_call(), 1);
  answerer other_side(folder / "0001.prompt.md", folder / "0001.reply.md", "\xEF\xBB\xBF<cuda_file name=\"kernel.cu\">x</cuda_file>\n");

  auto reply = (*provider)->complete(ask());

  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "<cuda_file name=\"kernel.cu\">x</cuda_file>\n");  // the BOM is dropped
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_FALSE(reply->usage.reported());
  EXPECT_GT(reply->latency_s, 0.0);

  const json request = json::parse(read_all(folder / "0001.request.json"));
  EXPECT_EQ(request["call"], 1);
  EXPECT_EQ(request["model"], "by-hand");
  EXPECT_EQ(request["purpose"], "codegen");
  EXPECT_EQ(request["messages"][1], json::parse(R"({"role":"user","content":"Make it fast."})"));
  EXPECT_EQ(request["options"]["temperature"], 0.3);
  const std::string prompt = read_all(folder / "0001.prompt.md");
  EXPECT_NE(prompt.find("Answer in 0001.reply.md"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("\n## system\n\nYou write CUDA.\n"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("\n## user\n\nMake it fast.\n"), std::string::npos) << prompt;
  for (const auto& entry : fs::directory_iterator(folder)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
  EXPECT_EQ((*provider)->next_call(), 2);
}

TEST(ExchangeProvider, NumberingContinuesAfterEarlierExchanges) {
  temp_dir dir;
  dir.write("ex/0001.prompt.md", "old");
  dir.write("ex/0007.reply.md", "old");
  dir.write("ex/notes.txt", "unrelated");
  auto provider = exchange_provider::open({dir.path() / "ex", 10s, 10ms});
  ASSERT_TRUE(provider.has_value());
  EXPECT_EQ((*provider)->next_call(), 8);
  EXPECT_EQ((*provider)->file_for(8, ".reply.md"), dir.path() / "ex" / "0008.reply.md");
}

TEST(ExchangeProvider, NoReplyWithinTheTimeoutSaysWhereToWriteIt) {
  temp_dir dir;
  auto provider = exchange_provider::open({dir.path(), 150ms, 10ms});
  ASSERT_TRUE(provider.has_value());
  const auto start = std::chrono::steady_clock::now();
  auto reply = (*provider)->complete(ask());
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, llm_failure::no_reply_yet);
  EXPECT_EQ(reply.error().detail.subject, (dir.path() / "0001.prompt.md").string());
  EXPECT_NE(reply.error().detail.fix.find((dir.path() / "0001.reply.md").string()), std::string::npos);
  EXPECT_NE(reply.error().detail.fix.find("then rename it"), std::string::npos);
  EXPECT_NE(reply.error().detail.fix.find("--resume"), std::string::npos);
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 2s);
  EXPECT_TRUE(fs::exists(dir.path() / "0001.prompt.md"));
}

TEST(ExchangeProvider, AResumedSearchAskingTheSameQuestionTakesTheReplyWrittenMeanwhile) {
  temp_dir dir;
  {
    auto first = exchange_provider::open({dir.path(), 50ms, 10ms});
    ASSERT_TRUE(first.has_value());
    ASSERT_FALSE((*first)->complete(ask()).has_value()) << "nobody answered: the search paused";
  }
  dir.write("0001.reply.md", "answered while ksearch was stopped");

  // The resumed process asks the same question: call 1 again, no new files, the reply read.
  auto resumed = exchange_provider::open({dir.path(), 2s, 10ms});
  ASSERT_TRUE(resumed.has_value());
  auto reply = (*resumed)->complete(ask());
  ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
  EXPECT_EQ(reply->text, "answered while ksearch was stopped");
  EXPECT_FALSE(fs::exists(dir.path() / "0002.prompt.md"));
  EXPECT_TRUE(fs::exists(dir.path() / "0001.done"));

  // Answered once: the same question later is a new call, not the old reply again.
  llm_request other = ask();
  auto again = exchange_provider::open({dir.path(), 50ms, 10ms});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)->next_call(), 2);
  EXPECT_FALSE((*again)->complete(other).has_value());
  EXPECT_TRUE(fs::exists(dir.path() / "0002.prompt.md"));

  // A different question never takes a pending call's number.
  other.messages.back().content = "Make it faster.";
  auto different = exchange_provider::open({dir.path(), 50ms, 10ms});
  ASSERT_TRUE(different.has_value());
  EXPECT_FALSE((*different)->complete(other).has_value());
  EXPECT_TRUE(fs::exists(dir.path() / "0003.prompt.md"));
}

TEST(ExchangeProvider, FolderThatCannotBeCreatedIsNamed) {
  temp_dir dir;
  const auto blocker = dir.write("file", "x");
  auto provider = exchange_provider::open({blocker / "sub", 1s, 10ms});
  ASSERT_FALSE(provider.has_value());
  EXPECT_EQ(provider.error().subject, (blocker / "sub").string());
  EXPECT_EQ(provider.error().fix, "check --exchange-dir");
}

TEST(ExchangeProvider, ConcurrentCallsGetDistinctNumbersAndWaitTogether) {
  temp_dir dir;
  auto opened = exchange_provider::open({dir.path(), 30s, 5ms});
  ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
  exchange_provider& provider = **opened;

  std::array<llm_result, 2> replies;
  std::vector<std::thread> callers;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    callers.emplace_back([&, i] { replies[i] = provider.complete(ask()); });
  }

  // Both prompts appear while neither call has a reply: the waits overlap.
  auto asked = [&] { return fs::exists(dir.path() / "0001.prompt.md") && fs::exists(dir.path() / "0002.prompt.md"); };
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!asked() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  const bool both_asked = asked();
  // Answered either way, so that the callers end; the second one first.
  for (long call : {2L, 1L}) {
    const fs::path reply = provider.file_for(call, ".reply.md");
    const fs::path temp = reply.string() + ".partial";
    std::ofstream(temp, std::ios::binary) << "answer " << call;
    fs::rename(temp, reply);
  }
  for (std::thread& t : callers) t.join();

  EXPECT_TRUE(both_asked) << "the second call did not ask while the first was waiting";
  std::set<std::string> texts;
  for (const llm_result& reply : replies) {
    ASSERT_TRUE(reply.has_value()) << reply.error().to_string();
    texts.insert(reply->text);
  }
  // Each caller read its own reply file: the numbers were distinct.
  EXPECT_EQ(texts, (std::set<std::string>{"answer 1", "answer 2"}));
  EXPECT_EQ(json::parse(read_all(dir.path() / "0001.request.json"))["call"], 1);
  EXPECT_EQ(json::parse(read_all(dir.path() / "0002.request.json"))["call"], 2);
  EXPECT_EQ(provider.next_call(), 3);
}

}  // namespace
}  // namespace ksearch::llm
