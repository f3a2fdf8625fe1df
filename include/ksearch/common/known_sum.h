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

}  // namespace ksearch
