// tests/support/scripted_llm.h — an OpenAI-compatible chat endpoint on loopback that answers a
// search's calls from scripts, one queue per kind of call.
//
// The kind is read from the prompt the search sent: the world-model init prompt, an edit prompt
// (propose / refine / too-hard), or a code-generation prompt (everything else). Each kind answers
// from its own queue, in order; an empty queue answers with that kind's fallback. A reply can be
// delayed (to kill a search mid-call) or be an HTTP error status.
//
// Thread-safety: the queues are guarded; the server's connection threads read them.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support/loopback_http_server.h"

namespace ksearch::test_support {

enum class llm_call_kind { init, edit, codegen };

struct scripted_reply {
  std::string text;
  int status = 200;                       // != 200: an error reply with this status
  std::chrono::milliseconds delay{0};
};

class scripted_llm {
 public:
  scripted_llm();

  void add(llm_call_kind kind, scripted_reply reply);
  void add(llm_call_kind kind, std::string text) { add(kind, scripted_reply{std::move(text)}); }
  void set_fallback(llm_call_kind kind, scripted_reply reply);

  /// "http://127.0.0.1:<port>/v1", for --base-url.
  [[nodiscard]] std::string base_url() const { return server_->url("/v1"); }
  /// Prompts received for `kind`, in order.
  [[nodiscard]] std::vector<std::string> prompts(llm_call_kind kind) const;

 private:
  scripted_response answer(const received_request& request);

  mutable std::mutex mutex_;
  std::deque<scripted_reply> queues_[3];
  scripted_reply fallbacks_[3];
  std::vector<std::string> prompts_[3];
  std::unique_ptr<loopback_http_server> server_;  // last: stops before the queues go
};

/// A reply carrying a candidate in the format the search parses.
[[nodiscard]] std::string candidate_reply(const std::string& kernel_cu, const std::string& launch_json);

}  // namespace ksearch::test_support
