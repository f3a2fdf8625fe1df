// ksearch/cli/llm_flags.h — registers the LLM flags (llm/llm_options.h) on a CLI11 command.
//
// The endpoint flags (--model-name, --base-url, --api-key) belong to the CLI's endpoint_selection
// and are not registered here. Each flag checks its own value (choices, ranges, existing files);
// validate_llm_options checks the combinations once parsing is done.
//
// Thread-safety: registration happens once, before parsing, on the main thread.
#pragma once

#include "ksearch/llm/llm_options.h"

namespace CLI {
class App;
}

namespace ksearch::cli {

enum class llm_flag_set {
  run,    // every flag: provider, API style, generation, timeouts, retries, budgets, pricing, replay, exchange
  probe,  // what shapes one request (for `doctor --live`): --api-style, --reasoning-effort, --temperature,
          // --max-output-tokens, --request-timeout, --connect-timeout, --stall-timeout, --stream
};

/// Adds the flags of `set` to `app`, bound to `options` (which must outlive parsing), in the
/// "LLM" group.
void add_llm_flags(CLI::App& app, llm::llm_options& options, llm_flag_set set = llm_flag_set::run);

}  // namespace ksearch::cli
