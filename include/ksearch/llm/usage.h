// ksearch/llm/usage.h — tokens, latency and cost of LLM calls: per call and summed over a run.
//
// A count the server did not report stays unknown (nullopt), never 0, and so does the cost of a
// call whose model has no price: a run's total then says how many calls it could not price
// instead of quietly under-counting.
//
// Thread-safety: token_usage is a plain value. usage_ledger is not synchronised; the provider
// that owns it (metered_provider) locks around it.
#pragma once

#include <optional>

#include "ksearch/common/json_fwd.h"

namespace ksearch::llm {

/// What one call consumed, as the server reported it [tokens].
struct token_usage {
  std::optional<long> prompt_tokens;         // input, cached part included
  std::optional<long> completion_tokens;     // output, reasoning part included (how OpenAI bills)
  std::optional<long> reasoning_tokens;      // the hidden reasoning part of completion_tokens
  std::optional<long> cached_prompt_tokens;  // the part of prompt_tokens served from the cache

  /// True when the server reported at least the prompt and completion counts.
  [[nodiscard]] bool reported() const { return prompt_tokens.has_value() && completion_tokens.has_value(); }
};

/// {"prompt_tokens":..,"completion_tokens":..,"reasoning_tokens":..,"cached_prompt_tokens":..}
/// with null for unknown counts; and back (anything that is not a non-negative integer is unknown).
[[nodiscard]] json to_json(const token_usage& usage);
[[nodiscard]] token_usage token_usage_from_json(const json& doc);

/// Totals over a run. Failed calls count as calls (they reached the provider) but add no tokens.
class usage_ledger {
 public:
  struct totals {
    long calls = 0;                  // every call that reached a provider
    long failed_calls = 0;           // of which ended in an error
    long calls_without_usage = 0;    // successful calls whose server reported no token counts
    long calls_without_cost = 0;     // successful calls that could not be priced
    long prompt_tokens = 0;          // summed over the calls that reported them [tokens]
    long completion_tokens = 0;
    long reasoning_tokens = 0;
    long cached_prompt_tokens = 0;
    double known_cost_usd = 0;       // summed over the calls that could be priced [USD]
    double latency_s = 0;            // wall time spent in calls, retries included [seconds]
  };

  /// A successful call: its usage, its cost (nullopt when unknown) and its latency [seconds].
  void add_success(const token_usage& usage, std::optional<double> cost_usd, double latency_s);
  /// A call that ended in an error after `latency_s` seconds.
  void add_failure(double latency_s);

  [[nodiscard]] const totals& current() const { return totals_; }
  /// The known cost, or nullopt when some successful call could not be priced: the true total is
  /// then unknown (known_cost_usd is a lower bound).
  [[nodiscard]] std::optional<double> total_cost_usd() const;

  /// Every total, plus "total_cost_usd" (null when unknown), for the run's report.
  [[nodiscard]] json to_json() const;

 private:
  totals totals_;
};

}  // namespace ksearch::llm
