#include "ksearch/llm/provider_factory.h"

#include <utility>

#include "ksearch/llm/exchange_provider.h"
#include "ksearch/llm/openai_provider.h"
#include "ksearch/llm/replay_provider.h"
#include "ksearch/llm/transcript.h"

namespace ksearch::llm {

namespace {

[[nodiscard]] result<std::unique_ptr<llm_provider>> make_inner(const llm_options& options, const std::string& base_url,
                                                               const std::string& api_key) {
  const std::string provider = resolved_provider(options);
  if (provider == "replay") {
    auto replay = replay_provider::open(options.replay_file);
    if (!replay) {
      error e = replay.error();
      e.subject = "--llm-replay " + e.subject;
      return std::unexpected(std::move(e));
    }
    return std::unique_ptr<llm_provider>(std::move(*replay));
  }
  if (provider == "exchange") {
    auto exchange = exchange_provider::open(to_exchange_settings(options));
    if (!exchange) {
      error e = exchange.error();
      e.subject = "--exchange-dir " + e.subject;
      return std::unexpected(std::move(e));
    }
    return std::unique_ptr<llm_provider>(std::move(*exchange));
  }
  if (provider == "openai") {
    return std::unique_ptr<llm_provider>(std::make_unique<openai_provider>(to_openai_settings(options, base_url, api_key)));
  }
  return fail("--llm-provider", "unknown provider '" + provider + "'", "use openai, exchange or replay");
}

}  // namespace

result<std::unique_ptr<metered_provider>> make_llm_provider(const llm_options& options, const std::string& base_url,
                                                           const std::string& api_key,
                                                           const std::filesystem::path& transcript) {
  auto pricing = load_pricing(options);
  if (!pricing) return std::unexpected(std::move(pricing.error()));
  auto inner = make_inner(options, base_url, api_key);
  if (!inner) return std::unexpected(std::move(inner.error()));

  std::unique_ptr<transcript_writer> writer;
  if (!transcript.empty()) {
    auto opened = transcript_writer::open(transcript, api_key, std::string((*inner)->name()));
    if (!opened) return std::unexpected(std::move(opened.error()));
    writer = std::move(*opened);
  }
  return std::make_unique<metered_provider>(std::move(*inner), std::move(*pricing), to_budget(options), std::move(writer));
}

llm_result probe_completion(const llm_options& options, const std::string& base_url, const std::string& api_key,
                            const std::string& model) {
  openai_settings settings = to_openai_settings(options, base_url, api_key);
  settings.retry.max_retries = 0;
  settings.max_output_tokens = 16;
  openai_provider provider(std::move(settings));
  llm_request request;
  request.model = model;
  request.messages = {{"user", "Reply with the single word: ok"}};
  request.purpose = "probe";
  return provider.complete(request);
}

}  // namespace ksearch::llm
