#include "ksearch/llm/usage.h"

#include "ksearch/common/json.h"

namespace ksearch::llm {

namespace {

[[nodiscard]] json count_or_null(const std::optional<long>& count) {
  return count ? json(*count) : json(nullptr);
}

[[nodiscard]] std::optional<long> count_from(const json& doc, const char* field) {
  if (!doc.is_object()) return std::nullopt;
  auto it = doc.find(field);
  if (it == doc.end() || !it->is_number_integer()) return std::nullopt;
  const long value = it->get<long>();
  if (value < 0) return std::nullopt;
  return value;
}

}  // namespace

json to_json(const token_usage& usage) {
  return {{"prompt_tokens", count_or_null(usage.prompt_tokens)},
          {"completion_tokens", count_or_null(usage.completion_tokens)},
          {"reasoning_tokens", count_or_null(usage.reasoning_tokens)},
          {"cached_prompt_tokens", count_or_null(usage.cached_prompt_tokens)}};
}

token_usage token_usage_from_json(const json& doc) {
  return {count_from(doc, "prompt_tokens"), count_from(doc, "completion_tokens"),
          count_from(doc, "reasoning_tokens"), count_from(doc, "cached_prompt_tokens")};
}

void usage_ledger::add_success(const token_usage& usage, std::optional<double> cost_usd, double latency_s) {
  ++totals_.calls;
  totals_.latency_s += latency_s;
  if (!usage.reported()) ++totals_.calls_without_usage;
  totals_.prompt_tokens += usage.prompt_tokens.value_or(0);
  totals_.completion_tokens += usage.completion_tokens.value_or(0);
  totals_.reasoning_tokens += usage.reasoning_tokens.value_or(0);
  totals_.cached_prompt_tokens += usage.cached_prompt_tokens.value_or(0);
  if (cost_usd) {
    totals_.known_cost_usd += *cost_usd;
  } else {
    ++totals_.calls_without_cost;
  }
}

void usage_ledger::add_failure(double latency_s) {
  ++totals_.calls;
  ++totals_.failed_calls;
  totals_.latency_s += latency_s;
}

std::optional<double> usage_ledger::total_cost_usd() const {
  if (totals_.calls_without_cost > 0) return std::nullopt;
  return totals_.known_cost_usd;
}

json usage_ledger::to_json() const {
  const auto total = total_cost_usd();
  return {{"calls", totals_.calls},
          {"failed_calls", totals_.failed_calls},
          {"calls_without_usage", totals_.calls_without_usage},
          {"calls_without_cost", totals_.calls_without_cost},
          {"prompt_tokens", totals_.prompt_tokens},
          {"completion_tokens", totals_.completion_tokens},
          {"reasoning_tokens", totals_.reasoning_tokens},
          {"cached_prompt_tokens", totals_.cached_prompt_tokens},
          {"known_cost_usd", totals_.known_cost_usd},
          {"total_cost_usd", total ? json(*total) : json(nullptr)},
          {"latency_s", totals_.latency_s}};
}

}  // namespace ksearch::llm
