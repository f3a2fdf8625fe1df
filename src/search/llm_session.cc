#include "ksearch/search/llm_session.h"

#include "ksearch/common/known_sum.h"

namespace ksearch::search {

namespace {

call_failure classify(llm::llm_failure kind) {
  switch (kind) {
    case llm::llm_failure::unavailable:
    case llm::llm_failure::malformed_reply:
      return call_failure::retry_later;
    case llm::llm_failure::budget:
      return call_failure::stop;
    case llm::llm_failure::no_reply_yet:
      return call_failure::pause;
    case llm::llm_failure::auth:
    case llm::llm_failure::quota:
    case llm::llm_failure::not_found:
    case llm::llm_failure::bad_request:
    case llm::llm_failure::replay_divergence:
    case llm::llm_failure::storage:
      return call_failure::fatal;
  }
  return call_failure::fatal;
}

}  // namespace

call_outcome llm_session::ask(const std::vector<llm::chat_message>& messages, const std::string& purpose,
                              round_usage& usage) {
  llm::llm_request request{.model = model_, .messages = messages, .options = {}, .purpose = purpose};
  llm::llm_result reply = provider_.complete(request);
  call_outcome out;
  if (!reply) {
    // A budget refusal never reached the provider; everything else was a call.
    if (reply.error().kind != llm::llm_failure::budget) ++usage.calls;
    out.failure = classify(reply.error().kind);
    out.problem = reply.error().to_string();
    return out;
  }
  ++usage.calls;
  // The round's counts and cost are known only while every call's are.
  usage.prompt_tokens = known_sum(usage.prompt_tokens, reply->usage.prompt_tokens);
  usage.completion_tokens = known_sum(usage.completion_tokens, reply->usage.completion_tokens);
  usage.reasoning_tokens = known_sum(usage.reasoning_tokens, reply->usage.reasoning_tokens);
  usage.cost_usd = known_sum(usage.cost_usd, reply->cost_usd);
  out.text = std::move(reply->text);
  return out;
}

call_outcome llm_session::ask(const std::string& prompt, const std::string& purpose, round_usage& usage) {
  return ask(std::vector<llm::chat_message>{{"user", prompt}}, purpose, usage);
}

}  // namespace ksearch::search
