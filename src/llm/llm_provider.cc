#include "ksearch/llm/llm_provider.h"

#include <utility>

namespace ksearch::llm {

std::string_view to_string(llm_failure kind) {
  switch (kind) {
    case llm_failure::unavailable: return "unavailable";
    case llm_failure::auth: return "auth";
    case llm_failure::quota: return "quota";
    case llm_failure::not_found: return "not_found";
    case llm_failure::bad_request: return "bad_request";
    case llm_failure::budget: return "budget";
    case llm_failure::malformed_reply: return "malformed_reply";
    case llm_failure::replay_divergence: return "replay_divergence";
    case llm_failure::storage: return "storage";
    case llm_failure::no_reply_yet: return "no_reply_yet";
  }
  return "unknown";
}

std::string llm_error::to_string() const {
  return "[" + std::string(llm::to_string(kind)) + "] " + detail.to_string();
}

std::unexpected<llm_error> llm_fail(llm_failure kind, std::string subject, std::string problem, std::string fix) {
  return std::unexpected<llm_error>(
      llm_error{kind, error{std::move(subject), std::move(problem), std::move(fix)}, 0});
}

}  // namespace ksearch::llm
