#include "ksearch/llm/llm_options.h"

#include <cmath>
#include <filesystem>

#include "ksearch/common/json.h"

namespace ksearch::llm {

namespace {

[[nodiscard]] std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000.0)));
}

template <class T>
[[nodiscard]] json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace

std::string resolved_provider(const llm_options& options) {
  if (!options.provider.empty()) return options.provider;
  return options.replay_file.empty() ? "openai" : "replay";
}

result<pricing_table> load_pricing(const llm_options& options) {
  pricing_table table = pricing_table::builtin();
  if (!options.pricing_file.empty()) {
    if (auto merged = table.merge_file(options.pricing_file); !merged) {
      error e = merged.error();
      e.subject = "--pricing-file " + e.subject;
      return std::unexpected(std::move(e));
    }
  }
  return table;
}

std::vector<error> validate_llm_options(const llm_options& options, std::string_view model_name) {
  std::vector<error> problems;
  const std::string provider = resolved_provider(options);

  // Step 1: each provider's own flags, and no flag of another provider.
  if (provider != "openai" && provider != "exchange" && provider != "replay") {
    problems.push_back({"--llm-provider", "unknown provider '" + provider + "'", "use openai, exchange or replay"});
  }
  if (provider == "replay" && options.replay_file.empty()) {
    problems.push_back({"--llm-replay", "--llm-provider replay needs the transcript to replay",
                        "pass --llm-replay RUN/transcript.jsonl"});
  }
  if (provider != "replay" && !options.replay_file.empty()) {
    problems.push_back({"--llm-replay", "answers from a transcript, which --llm-provider " + provider + " does not",
                        "drop --llm-provider, or --llm-replay"});
  }
  if (provider == "exchange" && options.exchange_dir.empty()) {
    problems.push_back({"--exchange-dir", "--llm-provider exchange needs a folder to exchange files in",
                        "pass --exchange-dir DIR"});
  }
  if (provider != "exchange" && !options.exchange_dir.empty()) {
    problems.push_back({"--exchange-dir", "is only used with --llm-provider exchange", "add --llm-provider exchange"});
  }
  if (!options.replay_file.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.replay_file, ec)) {
      problems.push_back({"--llm-replay", "no such file '" + options.replay_file + "'", ""});
    }
  }

  // Step 2: numbers that single-flag checks could not cover (defaults set in code, API callers).
  if (options.request_timeout_s <= 0 || options.connect_timeout_s <= 0 || options.stall_timeout_s <= 0) {
    problems.push_back({"--request-timeout/--connect-timeout/--stall-timeout", "timeouts must be positive", ""});
  }
  if (options.max_retries < 0 || options.max_retry_time_s < 0) {
    problems.push_back({"--max-retries/--max-retry-time", "must not be negative", ""});
  }
  if (options.exchange_timeout_s <= 0 || options.exchange_poll_s <= 0) {
    problems.push_back({"--exchange-timeout/--exchange-poll", "must be positive", ""});
  }

  // Step 3: prices, when a cost budget must be enforced.
  auto pricing = load_pricing(options);
  if (!pricing) {
    problems.push_back(pricing.error());
  } else if (options.max_cost_usd) {
    if (provider == "exchange") {
      problems.push_back({"--max-cost-usd", "replies through --exchange-dir carry no token counts, so their cost is unknown",
                          "use --max-llm-calls instead"});
    } else if (!model_name.empty() && !pricing->find(model_name)) {
      problems.push_back({"--max-cost-usd", "no price known for model '" + std::string(model_name) +
                                                "', so the cost budget could not be enforced",
                          R"(give its price with --pricing-file ({"models":{"<model>":{"input":USD,"output":USD}}}, per million tokens))"});
    }
  }
  return problems;
}

openai_settings to_openai_settings(const llm_options& options, std::string base_url, std::string api_key) {
  openai_settings settings;
  settings.base_url = std::move(base_url);
  settings.api_key = std::move(api_key);
  settings.api_style = options.api_style;
  settings.temperature = options.temperature;
  settings.max_output_tokens = options.max_output_tokens;
  if (!options.reasoning_effort.empty()) settings.reasoning_effort = options.reasoning_effort;
  settings.stream = options.stream;
  settings.request_timeout = to_ms(options.request_timeout_s);
  settings.connect_timeout = to_ms(options.connect_timeout_s);
  settings.stall_timeout = to_ms(options.stall_timeout_s);
  settings.retry.max_retries = options.max_retries;
  settings.retry.max_retry_time = to_ms(options.max_retry_time_s);
  return settings;
}

exchange_settings to_exchange_settings(const llm_options& options) {
  return {options.exchange_dir, to_ms(options.exchange_timeout_s), to_ms(options.exchange_poll_s)};
}

llm_budget to_budget(const llm_options& options) { return {options.max_cost_usd, options.max_llm_calls}; }

json to_json(const llm_options& options) {
  return {{"llm_provider", resolved_provider(options)},
          {"api_style", options.api_style},
          {"reasoning_effort", options.reasoning_effort.empty() ? json(nullptr) : json(options.reasoning_effort)},
          {"temperature", optional_json(options.temperature)},
          {"max_output_tokens", optional_json(options.max_output_tokens)},
          {"request_timeout", options.request_timeout_s},
          {"connect_timeout", options.connect_timeout_s},
          {"stall_timeout", options.stall_timeout_s},
          {"stream", options.stream},
          {"max_retries", options.max_retries},
          {"max_retry_time", options.max_retry_time_s},
          {"max_cost_usd", optional_json(options.max_cost_usd)},
          {"max_llm_calls", optional_json(options.max_llm_calls)},
          {"pricing_file", options.pricing_file.empty() ? json(nullptr) : json(options.pricing_file)},
          {"llm_replay", options.replay_file.empty() ? json(nullptr) : json(options.replay_file)},
          {"exchange_dir", options.exchange_dir.empty() ? json(nullptr) : json(options.exchange_dir)},
          {"exchange_timeout", options.exchange_timeout_s},
          {"exchange_poll", options.exchange_poll_s}};
}

}  // namespace ksearch::llm
