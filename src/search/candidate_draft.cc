#include "ksearch/search/candidate_draft.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace ksearch::search {

candidate_draft draft_candidate(llm_session& llm, const std::string& prompt, const candidate_identity& identity,
                                int attempts, const std::function<void(int)>& on_reply_wait) {
  candidate_draft out;
  std::vector<llm::chat_message> conversation{{"user", prompt}};
  std::string last_problem;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (on_reply_wait) on_reply_wait(attempt);
    call_outcome reply = llm.ask(conversation, "codegen", out.usage);
    if (!reply.ok()) {
      out.status = tasks::evaluation_status::llm_error;
      out.feedback = reply.problem;
      // A call that failed after its retries costs this round only; a reply still to come pauses
      // the search, budgets and fatal errors stop it.
      out.stop = reply.failure == call_failure::retry_later ? call_failure::none : reply.failure;
      return out;
    }
    out.raw_reply = reply.text;
    auto parsed = parse_candidate_reply(reply.text, identity);
    if (parsed) {
      out.solution = std::move(*parsed);
      return out;
    }
    last_problem = parsed.error().to_string();
    spdlog::debug("{}: reply {} unusable: {}", identity.name, attempt, last_problem);
    conversation.push_back({"assistant", reply.text});
    conversation.push_back({"user", "Your reply could not be used: " + last_problem +
                                        "\nReply again with the complete kernel.cu and launch.json in the format asked for."});
  }
  out.status = tasks::evaluation_status::no_candidate;
  out.feedback = "The reply could not be turned into a candidate: " + last_problem;
  return out;
}

}  // namespace ksearch::search
