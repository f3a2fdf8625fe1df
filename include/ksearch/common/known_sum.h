// ksearch/common/known_sum.h — totals of counts that may be unknown.
//
// A token count a server did not report, or the cost of a model without a price, is unknown
// (nullopt), not 0. A total that skipped the unknown parts would quietly under-count, so a sum is
// known only while every part is.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>

namespace ksearch {

/// a + b, or nullopt when either is unknown.
template <class T>
[[nodiscard]] std::optional<T> known_sum(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a || !b) return std::nullopt;
  return *a + *b;
}

/// Adds `part`'s prompt, completion and reasoning token counts and its cost_usd to `total`'s, each
/// with known_sum: for the usage records of rounds, reports and purposes, which share these fields.
template <class Total, class Part>
void add_known_usage(Total& total, const Part& part) {
  total.prompt_tokens = known_sum(total.prompt_tokens, part.prompt_tokens);
  total.completion_tokens = known_sum(total.completion_tokens, part.completion_tokens);
  total.reasoning_tokens = known_sum(total.reasoning_tokens, part.reasoning_tokens);
  total.cost_usd = known_sum(total.cost_usd, part.cost_usd);
}

}  // namespace ksearch
