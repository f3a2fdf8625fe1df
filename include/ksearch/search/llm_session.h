// ksearch/search/llm_session.h — the search's side of LLM calls: what a failure means for the run.
//
// Every call of the search goes through ask(). It sends one conversation, adds the call's
// tokens and cost to the round's usage, and sorts failures by what the search must do:
//   retry_later  the endpoint is down or answered garbage after every retry: this round (or this
//                world-model step) is lost, the search goes on
//   stop         a budget (--max-llm-calls, --max-cost-usd) is reached: stop cleanly, resumable
//   fatal        the key, the model name, the account or the request is wrong, or the transcript
//                cannot be written: nothing later can succeed, stop and say why
//
// Thread-safety: one thread.
#pragma once

#include <string>
#include <vector>

#include "ksearch/llm/llm_provider.h"
#include "ksearch/search/round_record.h"

namespace ksearch::search {

// retry_later: this round is lost, the search goes on; pause: the search stops before recording
// the round, to resume at it (a reply still to come); stop and fatal: the search ends.
enum class call_failure { none, retry_later, pause, stop, fatal };

struct call_outcome {
  std::string text;              // the reply when failure == none
  call_failure failure = call_failure::none;
  std::string problem;           // the llm_error, when failed
  [[nodiscard]] bool ok() const { return failure == call_failure::none; }
};

class llm_session {
 public:
  llm_session(llm::llm_provider& provider, std::string model) : provider_(provider), model_(std::move(model)) {}

  /// Sends `messages`; `purpose` is recorded in the transcript ("codegen", "wm_init", ...).
  /// Usage and cost are added to `usage`.
  [[nodiscard]] call_outcome ask(const std::vector<llm::chat_message>& messages, const std::string& purpose,
                                 round_usage& usage);
  /// A single user message.
  [[nodiscard]] call_outcome ask(const std::string& prompt, const std::string& purpose, round_usage& usage);

 private:
  llm::llm_provider& provider_;
  std::string model_;
};

}  // namespace ksearch::search
