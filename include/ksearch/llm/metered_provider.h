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
// Thread-safety: one caller at a time.
#pragma once

#include <memory>
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

  /// Why the next call would be refused, or nullopt when it may go ahead.
  [[nodiscard]] std::optional<std::string> budget_exhausted() const;

  [[nodiscard]] const usage_ledger& ledger() const { return ledger_; }
  [[nodiscard]] const llm_budget& budget() const { return budget_; }
  [[nodiscard]] const pricing_table& pricing() const { return pricing_; }
  [[nodiscard]] llm_provider& inner() { return *inner_; }
  /// The transcript's path, or empty when there is none.
  [[nodiscard]] std::filesystem::path transcript_path() const;

 private:
  std::unique_ptr<llm_provider> inner_;
  pricing_table pricing_;
  llm_budget budget_;
  std::unique_ptr<transcript_writer> transcript_;
  usage_ledger ledger_;
  long next_call_;
  bool budget_noted_ = false;  // the "budget reached" note is written once
};

}  // namespace ksearch::llm
