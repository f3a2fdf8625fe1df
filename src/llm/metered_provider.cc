#include "ksearch/llm/metered_provider.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <utility>

// Implementation details
//
// complete() takes mutex_ twice: before the call (budget check, call number, request record, a
// slot in in_flight_) and after it (the slot becomes a ledger entry, the outcome record). Both
// changes to the count happen in one critical section, so ledger calls + in_flight_ never dips
// and no caller can slip past --max-llm-calls between a call ending and its accounting.

namespace ksearch::llm {

namespace {

[[nodiscard]] std::string usd(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "$%.4f", value);
  return text;
}

[[nodiscard]] llm_error storage_failure(const error& e) { return llm_error{llm_failure::storage, e, 0}; }

}  // namespace

metered_provider::metered_provider(std::unique_ptr<llm_provider> inner, pricing_table pricing, llm_budget budget,
                                   std::unique_ptr<transcript_writer> transcript)
    : inner_(std::move(inner)),
      pricing_(std::move(pricing)),
      budget_(budget),
      transcript_(std::move(transcript)),
      next_call_(transcript_ ? transcript_->last_call() + 1 : 1) {
  if (!inner_) throw std::invalid_argument("metered_provider: no provider to wrap");
}

std::filesystem::path metered_provider::transcript_path() const {
  return transcript_ ? transcript_->path() : std::filesystem::path();
}

usage_ledger metered_provider::ledger() const {
  std::lock_guard lock(mutex_);
  return ledger_;
}

std::optional<std::string> metered_provider::budget_exhausted() const {
  std::lock_guard lock(mutex_);
  return budget_exhausted_locked();
}

std::optional<std::string> metered_provider::budget_exhausted_locked() const {
  const usage_ledger::totals& spent = ledger_.current();
  if (budget_.max_calls && spent.calls + in_flight_ >= *budget_.max_calls) {
    const std::string in_flight = in_flight_ > 0 ? " and " + std::to_string(in_flight_) + " in flight" : "";
    return "budget reached: " + std::to_string(spent.calls) + " LLM calls made" + in_flight +
           ", --max-llm-calls is " + std::to_string(*budget_.max_calls);
  }
  if (budget_.max_cost_usd && spent.known_cost_usd >= *budget_.max_cost_usd) {
    return "budget reached: " + usd(spent.known_cost_usd) + " spent on LLM calls, --max-cost-usd is " +
           usd(*budget_.max_cost_usd);
  }
  return std::nullopt;
}

llm_result metered_provider::complete(const llm_request& request) {
  long call = 0;
  {
    std::lock_guard lock(mutex_);
    // Step 1: budgets. A refusal is an outcome, written down once, not an exception.
    if (auto reason = budget_exhausted_locked()) {
      if (transcript_ && !budget_noted_) {
        if (auto noted = transcript_->record_note(next_call_, *reason); !noted) {
          return std::unexpected(storage_failure(noted.error()));
        }
        budget_noted_ = true;
      }
      return llm_fail(llm_failure::budget, "llm budget", *reason,
                      "raise --max-llm-calls / --max-cost-usd to go on (resume the run to keep what was found)");
    }

    // Step 2: the request goes on record before it is sent, and takes its slot in the budget.
    call = next_call_++;
    if (transcript_) {
      if (auto written = transcript_->record_request(call, request, inner_->name()); !written) {
        return std::unexpected(storage_failure(written.error()));
      }
    }
    ++in_flight_;
  }

  // Step 3: the call, without the lock so that calls overlap.
  const auto start = std::chrono::steady_clock::now();
  llm_result outcome;
  try {
    outcome = inner_->complete(request);
  } catch (...) {
    // Not an expected failure (a bug, out of memory): give the slot back rather than hold it forever.
    std::lock_guard lock(mutex_);
    --in_flight_;
    throw;
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (outcome) outcome->cost_usd = pricing_.cost_usd(request.model, outcome->usage);

  // Step 4: accounted, and the outcome on record before the search sees it.
  std::lock_guard lock(mutex_);
  --in_flight_;
  if (outcome) {
    ledger_.add_success(outcome->usage, outcome->cost_usd, outcome->latency_s > 0 ? outcome->latency_s : wall_s);
  } else {
    ledger_.add_failure(wall_s);
  }
  if (transcript_) {
    auto written = outcome ? transcript_->record_reply(call, *outcome) : transcript_->record_error(call, outcome.error());
    if (!written) return std::unexpected(storage_failure(written.error()));
  }
  return outcome;
}

}  // namespace ksearch::llm
