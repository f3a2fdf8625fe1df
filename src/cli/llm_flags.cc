#include "ksearch/cli/llm_flags.h"

#include <CLI/CLI.hpp>

namespace ksearch::cli {

using llm::llm_options;

namespace {

constexpr const char* group = "LLM";

void add_request_flags(CLI::App& app, llm_options& o) {
  app.add_option("--api-style", o.api_style,
                 "auto: the Responses API for gpt-5* and o3* models, Chat Completions for others")
      ->check(CLI::IsMember({"auto", "chat", "responses"}))
      ->capture_default_str()
      ->group(group);
  app.add_option("--reasoning-effort", o.reasoning_effort,
                 "Reasoning effort sent to the model (default: medium on the Responses API, not sent on chat)")
      ->check(CLI::IsMember({"none", "minimal", "low", "medium", "high", "xhigh"}))
      ->group(group);
  app.add_option_function<double>(
         "--temperature", [&o](const double& v) { o.temperature = v; }, "Sampling temperature (default: not sent)")
      ->check(CLI::Range(0.0, 2.0))
      ->group(group);
  app.add_option_function<long>(
         "--max-output-tokens", [&o](const long& v) { o.max_output_tokens = v; },
         "Cap on reply tokens, reasoning included (max_completion_tokens / max_tokens / max_output_tokens; default: not sent)")
      ->check(CLI::Range(1L, 10'000'000L))
      ->group(group);
  app.add_option("--request-timeout", o.request_timeout_s, "Seconds one attempt may take, whole reply included")
      ->check(CLI::Range(0.001, 86'400.0))
      ->capture_default_str()
      ->group(group);
  app.add_option("--connect-timeout", o.connect_timeout_s, "Seconds to establish the connection")
      ->check(CLI::Range(0.001, 3'600.0))
      ->capture_default_str()
      ->group(group);
  app.add_option("--stall-timeout", o.stall_timeout_s, "With --stream: seconds without a byte before the attempt fails")
      ->check(CLI::Range(0.001, 86'400.0))
      ->capture_default_str()
      ->group(group);
  app.add_flag("--stream", o.stream, "Stream replies (SSE), watching for stalls")->group(group);
}

void add_run_only_flags(CLI::App& app, llm_options& o) {
  app.add_option("--llm-provider", o.provider,
                 "Who answers: openai (any OpenAI-compatible HTTP endpoint), exchange (files in --exchange-dir), "
                 "replay (a transcript; implied by --llm-replay)")
      ->check(CLI::IsMember({"openai", "exchange", "replay"}))
      ->group(group);
  app.add_option("--max-retries", o.max_retries, "Retries of a failed call (network, 408/409/429/5xx)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str()
      ->group(group);
  app.add_option("--max-retry-time", o.max_retry_time_s, "Seconds after a call's first attempt when no retry starts")
      ->check(CLI::Range(0.0, 7.0 * 86'400.0))
      ->capture_default_str()
      ->group(group);
  app.add_option_function<double>(
         "--max-cost-usd", [&o](const double& v) { o.max_cost_usd = v; },
         "Stop the search once LLM calls cost this much (USD, from the pricing table)")
      ->check(CLI::Range(0.0, 1e9))
      ->group(group);
  app.add_option_function<long>(
         "--max-llm-calls", [&o](const long& v) { o.max_llm_calls = v; }, "Stop the search after this many LLM calls")
      ->check(CLI::Range(1L, 1'000'000'000L))
      ->group(group);
  app.add_option("--pricing-file", o.pricing_file,
                 R"(JSON prices overriding the built-in ones: {"models":{"<model>":{"input":USD,"output":USD}}} per million tokens)")
      ->check(CLI::ExistingFile)
      ->group(group);
  app.add_option("--llm-replay", o.replay_file,
                 "Answer from this transcript.jsonl instead of the endpoint (same order; fails on divergence)")
      ->check(CLI::ExistingFile)
      ->group(group);
  app.add_option("--exchange-dir", o.exchange_dir,
                 "With --llm-provider exchange: write NNNN.prompt.md here and wait for NNNN.reply.md")
      ->group(group);
  app.add_option("--exchange-timeout", o.exchange_timeout_s, "Seconds to wait for one NNNN.reply.md")
      ->check(CLI::Range(0.001, 30.0 * 86'400.0))
      ->capture_default_str()
      ->group(group);
  app.add_option("--exchange-poll", o.exchange_poll_s, "Seconds between checks for the reply file")
      ->check(CLI::Range(0.001, 3'600.0))
      ->capture_default_str()
      ->group(group);
}

}  // namespace

void add_llm_flags(CLI::App& app, llm_options& options, llm_flag_set set) {
  add_request_flags(app, options);
  if (set == llm_flag_set::run) add_run_only_flags(app, options);
}

}  // namespace ksearch::cli
