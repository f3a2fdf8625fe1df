// ksearch/llm/metered_provider.h — budgets, usage accounting and the transcript around any provider.
//
// The search talks to a metered_provider. Before each call it checks the budgets (--max-llm-calls,
// --max-cost-usd) and, when one is reached, answers with an llm_error of kind `budget` without
// calling anything: the search stops cleanly and says why. Otherwise it records the request in
// the transcript, calls the wrapped provider, prices the reply (reply.cost_usd, nullopt when the
// model has no price), adds it to the run's ledger and records the outcome.
//
// Budgets are checked before a call, with what has been spent so far, so the call that crosses
// --max-cost-usd completes and the next one is refused. Only known costs count: calls whose cost
// is unknown (no price, no usage) are counted in the ledger as such, and validate_llm_options
// refuses --max-cost-usd for a model without a price.
//
// Thread-safety: complete() may be called from several threads at once, and the wrapped calls
// overlap. One mutex guards the budget check, the call numbers, the ledger and the transcript; it
// is not held while the wrapped provider works. --max-llm-calls holds exactly: a call in flight
// counts as made when the next one is checked (its slot is taken before it starts, and kept even
// if it fails, as the ledger counts failed calls). --max-cost-usd can only see the cost of calls
// that have ended, so with N callers up to N-1 calls may be in flight when the cost crosses it;
// they complete and are counted. Records of overlapping calls interleave in the transcript
// (request 5, request 6, reply 6, reply 5); each names its call.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ksearch/llm/llm_provider.h"
#include "ksearch/llm/pricing.h"
#include "ksearch/llm/transcript.h"
#include "ksearch/llm/usage.h"

namespace ksearch::llm {

struct llm_budget {
  std::optional<double> max_cost_usd;  // [USD]; unset = no limit
  std::optional<long> max_calls;       // unset = no limit
};

class metered_provider final : public llm_provider {
 public:
  /// `transcript` may be null (no transcript). Throws std::invalid_argument when `inner` is null.
  metered_provider(std::unique_ptr<llm_provider> inner, pricing_table pricing, llm_budget budget,
                   std::unique_ptr<transcript_writer> transcript);

  /// Budget check, transcript, the call, pricing, accounting. A transcript that cannot be written
  /// fails the call with kind `storage` (the run promised a complete record).
  [[nodiscard]] llm_result complete(const llm_request& request) override;
  /// The wrapped provider's name.
  [[nodiscard]] std::string_view name() const override { return inner_->name(); }

  /// Why the next call would be refused (calls in flight count as made), or nullopt when it may
  /// go ahead.
  [[nodiscard]] std::optional<std::string> budget_exhausted() const;

  /// A snapshot of the totals so far: a copy, since other threads may be adding to it. Calls
  /// still in flight are not in it yet.
  [[nodiscard]] usage_ledger ledger() const;
  [[nodiscard]] const llm_budget& budget() const { return budget_; }
  [[nodiscard]] const pricing_table& pricing() const { return pricing_; }
  [[nodiscard]] llm_provider& inner() { return *inner_; }
  /// The transcript's path, or empty when there is none.
  [[nodiscard]] std::filesystem::path transcript_path() const;

 private:
  [[nodiscard]] std::optional<std::string> budget_exhausted_locked() const;  // mutex_ held

  std::unique_ptr<llm_provider> inner_;
  pricing_table pricing_;
  llm_budget budget_;
  std::unique_ptr<transcript_writer> transcript_;

  mutable std::mutex mutex_;  // guards what follows, and every write to transcript_
  usage_ledger ledger_;
  long next_call_;
  long in_flight_ = 0;         // calls started but not yet in ledger_
  bool budget_noted_ = false;  // the "budget reached" note is written once
};

}  // namespace ksearch::llm
