// ksearch/llm/provider_factory.h — builds the provider stack a run's LLM options select.
//
//   metered_provider (budgets, pricing, usage ledger, transcript)
//     └─ openai_provider | exchange_provider | replay_provider
//
// The search holds the metered_provider: it asks it for completions and reads its ledger for
// the run's report. The transcript, when a path is given, is appended (a resumed run continues
// the file and its call numbers).
//
// Thread-safety: construction only; see each provider for its own contract.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "ksearch/common/error.h"
#include "ksearch/llm/llm_options.h"
#include "ksearch/llm/metered_provider.h"

namespace ksearch::llm {

/// Errors: the pricing file, the replay transcript, the exchange folder or the transcript file
/// cannot be used; each names its flag or file. Call validate_llm_options first for the rest.
[[nodiscard]] result<std::unique_ptr<metered_provider>> make_llm_provider(const llm_options& options,
                                                                         const std::string& base_url,
                                                                         const std::string& api_key,
                                                                         const std::filesystem::path& transcript);

/// One tiny completion ("Reply with the single word: ok", at most 16 output tokens) through the
/// HTTP provider exactly as `options` configure it (API style, streaming, timeouts), without
/// retries: what `doctor --live` needs to show that a search's calls would work.
[[nodiscard]] llm_result probe_completion(const llm_options& options, const std::string& base_url,
                                          const std::string& api_key, const std::string& model);

}  // namespace ksearch::llm
