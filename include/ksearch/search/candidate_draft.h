// ksearch/search/candidate_draft.h — one candidate out of the LLM: the prompt, then follow-ups.
//
// draft_candidate() sends the prompt; a reply that is not kernel.cu + launch.json gets a follow-up
// message with the parse error, up to `attempts` replies in all. The draft holds the candidate
// (unevaluated), the last raw reply and the LLM usage; when no candidate came out, a round-level
// status says why:
//   LLM_ERROR     the call failed (its call_failure says whether the search must stop)
//   NO_CANDIDATE  every reply was unusable
// The round runner drafts several candidates of a round at once, one thread each.
//
// Thread-safety: reentrant; each call uses only its arguments (llm_session may be shared).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "ksearch/search/candidate_reply.h"
#include "ksearch/search/llm_session.h"
#include "ksearch/search/round_record.h"
#include "ksearch/tasks/evaluation_status.h"
#include "ksearch/tasks/solution.h"

namespace ksearch::search {

struct candidate_draft {
  std::optional<tasks::solution> solution;
  std::string raw_reply;       // the last reply ("" when none came)
  round_usage usage;
  // Without a solution, why: LLM_ERROR or NO_CANDIDATE.
  tasks::evaluation_status status = tasks::evaluation_status::no_candidate;
  std::string feedback;        // why there is no solution
  call_failure stop = call_failure::none;  // pause (not recorded), stop or fatal: the search ends after this round
};

/// `on_reply_wait(n)` is called before the n-th call (1-based), so a front end can say which
/// reply is awaited; it may be empty.
[[nodiscard]] candidate_draft draft_candidate(llm_session& llm, const std::string& prompt, const candidate_identity& identity,
                                              int attempts, const std::function<void(int)>& on_reply_wait);

}  // namespace ksearch::search
