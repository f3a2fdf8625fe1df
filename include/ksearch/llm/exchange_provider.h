// ksearch/llm/exchange_provider.h — a person or another tool answers, through files in a folder.
//
// `--llm-provider exchange --exchange-dir D`: for call NNNN (4 digits, numbered after the highest
// NNNN.prompt.md already in D, so earlier exchanges are never overwritten) ksearch writes
//
//   D/NNNN.request.json   {"call":N,"model":...,"purpose":...,"messages":[{"role","content"}...],"options":{...}}
//   D/NNNN.prompt.md      the same messages as Markdown, one "## <role>" section each, for reading
//
// (each written to a temporary name and renamed, so a watcher never sees half a file) and then
// waits for D/NNNN.reply.md, checking every poll interval, up to the timeout.
//
// Convention for whoever answers: write the reply to another name in D (e.g. NNNN.reply.md.tmp),
// then rename it to NNNN.reply.md. A rename within one folder is atomic, so ksearch reads either
// nothing or the whole reply. The reply file's whole content (UTF-8, a leading BOM dropped) is
// the reply text; there is no usage, so the cost of such a call is unknown. Once read, the call is
// marked done (an empty NNNN.done).
//
// Answering later: when no reply comes within the timeout (--exchange-timeout), the call fails as
// no_reply_yet, which pauses the search without recording the round. A resumed search
// (`ksearch run ... --resume`) asks the same question again; a request equal to one already in D
// that is not done (same model, purpose, messages and options) takes that call's number instead
// of a new one, so the reply written meanwhile (or still to come) answers it.
//
// Thread-safety: complete() may be called from several threads at once. Each call takes its
// number from an atomic counter, so concurrent calls never share files; the waits for replies
// overlap (whoever answers sees several prompts at once and may answer them in any order). Only
// this process numbers calls: two processes sharing one folder would collide.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "ksearch/common/error.h"
#include "ksearch/llm/llm_provider.h"

namespace ksearch::llm {

struct exchange_settings {
  std::filesystem::path dir;                                // created if missing
  std::chrono::milliseconds timeout{3'600'000};             // waiting for one reply
  std::chrono::milliseconds poll_interval{500};
};

class exchange_provider final : public llm_provider {
 public:
  /// Creates the folder if needed and finds the next call number. Errors name the folder.
  [[nodiscard]] static result<std::unique_ptr<exchange_provider>> open(exchange_settings settings);

  /// Writes the request files (or finds the same request pending in the folder) and waits for the
  /// reply. Errors: `storage` when the files cannot be written or the reply cannot be read;
  /// `no_reply_yet` when no reply came within the timeout.
  [[nodiscard]] llm_result complete(const llm_request& request) override;
  [[nodiscard]] std::string_view name() const override { return "exchange"; }

  /// The number the next call will use.
  [[nodiscard]] long next_call() const { return next_call_.load(); }

  /// "D/0007.reply.md" and friends.
  [[nodiscard]] std::filesystem::path file_for(long call, std::string_view suffix) const;

 private:
  exchange_provider(exchange_settings settings, long next_call, std::map<long, std::string> pending);
  /// The number of a pending call asking exactly `request_key`, claimed for this caller, or -1.
  [[nodiscard]] long claim_pending(const std::string& request_key);

  exchange_settings settings_;
  std::atomic<long> next_call_;
  std::mutex pending_mutex_;
  std::map<long, std::string> pending_;  // guarded by pending_mutex_: call -> its request key, not done
};

}  // namespace ksearch::llm
