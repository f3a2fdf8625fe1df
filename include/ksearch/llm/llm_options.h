// ksearch/llm/llm_options.h — the LLM settings of a run, with their defaults, checks and JSON form.
//
// One field per flag (cli/llm_flags.h registers them). The endpoint itself (--model-name,
// --base-url, --api-key) is the CLI's endpoint_selection and comes in as arguments where needed.
//
// Defaults, and why:
//   provider openai; --llm-replay alone implies replay.
//   api-style auto: the Responses API for gpt-5* and o3*, Chat Completions otherwise (K-Search).
//   reasoning-effort, temperature, max-output-tokens: unset = not sent, the server's default;
//     except reasoning effort "medium" on the Responses API (K-Search).
//   request-timeout 600 s (the OpenAI SDK's, which K-Search used), connect-timeout 10 s,
//     stall-timeout 180 s (streaming only: reasoning models can be silent for minutes).
//   max-retries 8, max-retry-time 900 s: a search runs for hours; riding out a 15-minute outage
//     costs less than losing the run.
//   exchange-timeout 3600 s, exchange-poll 0.5 s: a person answers by hand.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/common/json_fwd.h"
#include "ksearch/llm/exchange_provider.h"
#include "ksearch/llm/metered_provider.h"
#include "ksearch/llm/openai_provider.h"

namespace ksearch::llm {

struct llm_options {
  std::string provider;                   // --llm-provider openai|exchange|replay; "" = openai, or replay with --llm-replay
  std::string api_style = "auto";         // --api-style auto|chat|responses
  std::string reasoning_effort;           // --reasoning-effort; "" = medium on the Responses API, unsent on chat
  std::optional<double> temperature;      // --temperature
  std::optional<long> max_output_tokens;  // --max-output-tokens [tokens]
  double request_timeout_s = 600;         // --request-timeout [seconds], one attempt
  double connect_timeout_s = 10;          // --connect-timeout [seconds]
  double stall_timeout_s = 180;           // --stall-timeout [seconds], streaming only
  bool stream = false;                    // --stream
  int max_retries = 8;                    // --max-retries
  double max_retry_time_s = 900;          // --max-retry-time [seconds]
  std::optional<double> max_cost_usd;     // --max-cost-usd [USD]
  std::optional<long> max_llm_calls;      // --max-llm-calls
  std::string pricing_file;               // --pricing-file
  std::string replay_file;                // --llm-replay FILE
  std::string exchange_dir;               // --exchange-dir DIR
  double exchange_timeout_s = 3600;       // --exchange-timeout [seconds]
  double exchange_poll_s = 0.5;           // --exchange-poll [seconds]
};

/// "openai", "exchange" or "replay": the provider these options select.
[[nodiscard]] std::string resolved_provider(const llm_options& options);

/// Checks what single flags cannot: provider-specific flags present and consistent, the pricing
/// file readable, and a price for `model_name` when --max-cost-usd must be enforced. Every
/// problem names its flag; all of them are returned.
[[nodiscard]] std::vector<error> validate_llm_options(const llm_options& options, std::string_view model_name);

/// The pricing table the options select: built-in, merged with --pricing-file when given.
[[nodiscard]] result<pricing_table> load_pricing(const llm_options& options);

/// The HTTP provider's settings for these options and endpoint.
[[nodiscard]] openai_settings to_openai_settings(const llm_options& options, std::string base_url, std::string api_key);
[[nodiscard]] exchange_settings to_exchange_settings(const llm_options& options);
[[nodiscard]] llm_budget to_budget(const llm_options& options);

/// The options as JSON (flag names as keys, resolved provider), for run metadata and --dry-run.
[[nodiscard]] json to_json(const llm_options& options);

}  // namespace ksearch::llm
