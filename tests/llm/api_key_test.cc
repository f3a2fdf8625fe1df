#include "ksearch/llm/api_key.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace ksearch::llm {
namespace {

/// Saves LLM_API_KEY and OPENAI_API_KEY, unsets them for the test, and restores them afterwards so
/// that a developer's real key neither leaks into the test nor gets lost.
class ApiKey : public testing::Test {
 protected:
  void SetUp() override {
    for (auto& [name, saved] : saved_) {
      if (const char* value = std::getenv(name)) saved = value;
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    for (const auto& [name, saved] : saved_) {
      if (saved) {
        ::setenv(name, saved->c_str(), 1);
      } else {
        ::unsetenv(name);
      }
    }
  }

 private:
  std::pair<const char*, std::optional<std::string>> saved_[2] = {{"LLM_API_KEY", std::nullopt},
                                                                  {"OPENAI_API_KEY", std::nullopt}};
};

TEST_F(ApiKey, FlagWinsOverEnvironment) {
  ::setenv("LLM_API_KEY", "env-llm-key", 1);
  ::setenv("OPENAI_API_KEY", "env-openai-key", 1);
  const api_key key = resolve_api_key("flag-key");
  EXPECT_EQ(key.value, "flag-key");
  EXPECT_EQ(key.source, "--api-key");
  EXPECT_TRUE(key.present());
}

TEST_F(ApiKey, EmptyFlagFallsBackToEnvironment) {
  ::setenv("OPENAI_API_KEY", "env-openai-key", 1);
  const api_key key = resolve_api_key(std::string());
  EXPECT_EQ(key.value, "env-openai-key");
  EXPECT_EQ(key.source, "OPENAI_API_KEY");
}

TEST_F(ApiKey, LlmApiKeyWinsOverOpenAiApiKey) {
  ::setenv("LLM_API_KEY", "env-llm-key", 1);
  ::setenv("OPENAI_API_KEY", "env-openai-key", 1);
  const api_key key = resolve_api_key(std::nullopt);
  EXPECT_EQ(key.value, "env-llm-key");
  EXPECT_EQ(key.source, "LLM_API_KEY");
}

TEST_F(ApiKey, EmptyEnvironmentValueIsSkipped) {
  ::setenv("LLM_API_KEY", "", 1);
  ::setenv("OPENAI_API_KEY", "env-openai-key", 1);
  EXPECT_EQ(resolve_api_key(std::nullopt).source, "OPENAI_API_KEY");
}

TEST_F(ApiKey, NoneFoundIsEmpty) {
  const api_key key = resolve_api_key(std::nullopt);
  EXPECT_FALSE(key.present());
  EXPECT_EQ(key.value, "");
  EXPECT_EQ(key.source, "");
}

TEST(Redact, ReplacesEveryOccurrence) {
  EXPECT_EQ(redact("Bearer sk-123456 and again sk-123456.", "sk-123456"),
            "Bearer [REDACTED] and again [REDACTED].");
}

TEST(Redact, LeavesTextWithoutTheSecretAlone) {
  EXPECT_EQ(redact("nothing to hide", "sk-123456"), "nothing to hide");
}

TEST(Redact, ShortOrEmptySecretsAreNotRedacted) {
  EXPECT_EQ(redact("a cat sat", "a"), "a cat sat");
  EXPECT_EQ(redact("abc abc", "abc"), "abc abc");
  EXPECT_EQ(redact("text", ""), "text");
  EXPECT_EQ(redact("abcd abcd", "abcd"), "[REDACTED] [REDACTED]");
}

TEST(Redact, SecretInsideTheReplacementDoesNotLoop) {
  EXPECT_EQ(redact("REDACTED", "REDACTED"), "[REDACTED]");
  EXPECT_EQ(redact("xREDACTEDREDACTED", "REDACTED"), "x[REDACTED][REDACTED]");
}

}  // namespace
}  // namespace ksearch::llm
