// ksearch/llm/replay_provider.h — answers from a recorded transcript instead of the network.
//
// `--llm-replay FILE` reproduces a search on another machine without an API key: the n-th call
// gets the n-th recorded outcome (reply or error), in file order. Each request must be the one
// that was recorded: its fingerprint (model + messages, see transcript.h) is compared, and a
// difference, or a call past the end of the transcript, fails with replay_divergence, naming the
// call, the transcript line and what differs. A failed call does not advance the replay.
//
// Replies come back as recorded: text, reasoning, usage, latency, finish reason. Metering on top
// (metered_provider) prices and counts them like live calls, so budgets stop a replayed search
// where they stopped the original.
//
// Thread-safety: complete() may be called from several threads at once; a mutex serves the
// callers one at a time, each getting the next recorded call in the order the callers arrive.
// A search whose calls overlapped (several samples per round) may therefore diverge on replay:
// its threads can ask in another order than the one recorded, and the fingerprint check then
// fails the call with replay_divergence.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/llm/llm_provider.h"
#include "ksearch/llm/transcript.h"

namespace ksearch::llm {

class replay_provider final : public llm_provider {
 public:
  /// Reads the transcript. Errors: unreadable file (see read_transcript), or no complete call in it.
  /// Lines it had to skip are in warnings().
  [[nodiscard]] static result<std::unique_ptr<replay_provider>> open(const std::filesystem::path& transcript);

  /// Replays from already-read contents (`origin` names them in errors).
  replay_provider(transcript_contents contents, std::string origin);

  [[nodiscard]] llm_result complete(const llm_request& request) override;
  [[nodiscard]] std::string_view name() const override { return "replay"; }

  [[nodiscard]] std::size_t total_calls() const { return calls_.size(); }
  [[nodiscard]] std::size_t remaining_calls() const;
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::vector<transcript_call> calls_;
  std::vector<std::string> warnings_;
  std::string origin_;
  mutable std::mutex mutex_;  // guards next_
  std::size_t next_ = 0;
};

}  // namespace ksearch::llm
