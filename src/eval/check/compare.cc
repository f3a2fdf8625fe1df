#include "ksearch/eval/check/compare.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string_view>

// Implementation details: both tensors are decoded in chunks (a few thousand elements at a time,
// so a 100M-element output needs no second full-size copy) and every element goes through one
// rule, a small function that says whether the pair matches. A tally object gathers the counts,
// the largest errors and the first mismatches, the same for every rule. Floating rules compute in
// float32, as the Python harnesses do on float32 (or upcast) tensors, so that results at the
// tolerance boundary agree with theirs.

namespace ksearch::eval {
namespace {

constexpr std::size_t kChunk = 4096;
constexpr float kRelEpsilon = 1e-8f;  // FlashInfer's denominator guard, added in float32
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g%%", fraction * 100);
  return text;
}

class tally {
 public:
  explicit tally(std::size_t numel) { result_.numel = numel; }

  // One element: its values, whether it matched, and its errors as the rule computed them.
  void add(std::size_t index, double got, double expected, bool matched, double abs_error, double rel_error) {
    if (!std::isfinite(got)) {
      ++result_.nonfinite_in_candidate;
      abs_error = kInf;
      rel_error = kInf;
    }
    // NaN errors (a NaN reference) would poison the maxima; they show up as mismatches instead.
    if (!std::isnan(abs_error)) result_.max_abs_error = std::max(result_.max_abs_error, abs_error);
    if (!std::isnan(rel_error)) result_.max_rel_error = std::max(result_.max_rel_error, rel_error);
    if (matched) return;
    ++result_.mismatches;
    if (result_.first_mismatches.size() < comparison::kMaxListed) {
      result_.first_mismatches.push_back(mismatch{index, got, expected});
    }
  }

  comparison finish(std::string rule, double required_matched_ratio, bool nonfinite_fails) && {
    result_.rule = std::move(rule);
    result_.required_matched_ratio = required_matched_ratio;
    result_.matched_ratio =
        result_.numel == 0 ? 1.0
                           : 1.0 - static_cast<double>(result_.mismatches) / static_cast<double>(result_.numel);
    // Same expression as FlashInfer's (a double ratio against the threshold), so the boundary agrees.
    result_.passed = !(result_.matched_ratio < required_matched_ratio) &&
                     !(nonfinite_fails && result_.nonfinite_in_candidate > 0);
    return std::move(result_);
  }

 private:
  comparison result_;
};

result<void> check_comparable(const char* call, const tensor_view& candidate, const tensor_view& reference) {
  if (candidate.count != reference.count) {
    return fail(call, "the candidate has " + std::to_string(candidate.count) + " elements, the reference " +
                          std::to_string(reference.count));
  }
  if (is_floating(candidate.type) != is_floating(reference.type)) {
    return fail(call, "cannot compare a " + std::string(name(candidate.type)) + " candidate with a " +
                          std::string(name(reference.type)) + " reference");
  }
  if (candidate.count > 0 && (candidate.data == nullptr || reference.data == nullptr)) {
    return fail(call, "a tensor view has no data");
  }
  return {};
}

// Floating tensors: `rule(got, expected, abs_error)` says whether the pair matches; the values are
// float32 and abs_error = |got - expected| computed in float32.
template <class Rule>
tally compare_floats(const tensor_view& candidate, const tensor_view& reference, Rule rule) {
  tally counts(candidate.count);
  std::array<double, kChunk> got{};
  std::array<double, kChunk> expected{};
  for (std::size_t first = 0; first < candidate.count; first += kChunk) {
    const std::size_t n = std::min(kChunk, candidate.count - first);
    decode_to_double(candidate.type, candidate.data, first, std::span(got).first(n));
    decode_to_double(reference.type, reference.data, first, std::span(expected).first(n));
    for (std::size_t i = 0; i < n; ++i) {
      const auto a = static_cast<float>(got[i]);  // exact: every floating dtype here fits a float
      const auto b = static_cast<float>(expected[i]);
      const float abs_error = std::fabs(a - b);
      const float rel_error = abs_error / (std::fabs(b) + kRelEpsilon);
      counts.add(first + i, a, b, rule(a, b, abs_error), abs_error, rel_error);
    }
  }
  return counts;
}

tally compare_integers(const tensor_view& candidate, const tensor_view& reference) {
  tally counts(candidate.count);
  std::array<std::int64_t, kChunk> got{};
  std::array<std::int64_t, kChunk> expected{};
  for (std::size_t first = 0; first < candidate.count; first += kChunk) {
    const std::size_t n = std::min(kChunk, candidate.count - first);
    decode_to_int64(candidate.type, candidate.data, first, std::span(got).first(n));
    decode_to_int64(reference.type, reference.data, first, std::span(expected).first(n));
    for (std::size_t i = 0; i < n; ++i) {
      const auto a = static_cast<double>(got[i]);
      const auto b = static_cast<double>(expected[i]);
      const double abs_error = std::fabs(a - b);
      counts.add(first + i, a, b, got[i] == expected[i], abs_error, abs_error / (std::fabs(b) + 1e-8));
    }
  }
  return counts;
}

}  // namespace

result<comparison> compare_flashinfer(const tensor_view& candidate, const tensor_view& reference, double atol,
                                      double rtol, double required_matched_ratio) {
  if (auto ok = check_comparable("compare_flashinfer", candidate, reference); !ok) return std::unexpected(ok.error());
  if (!is_floating(candidate.type)) {
    return std::move(compare_integers(candidate, reference)).finish("exact", required_matched_ratio, true);
  }
  const auto atol_f = static_cast<float>(atol);
  const auto rtol_f = static_cast<float>(rtol);
  auto counts = compare_floats(candidate, reference, [&](float a, float b, float abs_error) {
    if (!std::isfinite(a)) return false;
    const float rel_error = abs_error / (std::fabs(b) + kRelEpsilon);
    return !(abs_error > atol_f && rel_error > rtol_f);
  });
  return std::move(counts).finish("an element fails if abs > " + number(atol) + " and rel > " + number(rtol),
                                  required_matched_ratio, true);
}

result<comparison> compare_allclose(const tensor_view& candidate, const tensor_view& reference, double atol,
                                    double rtol, bool nan_inf_parity, relative_to scale) {
  if (auto ok = check_comparable("compare_allclose", candidate, reference); !ok) return std::unexpected(ok.error());
  if (!is_floating(candidate.type)) {
    return std::move(compare_integers(candidate, reference)).finish("exact", 1.0, false);
  }
  const auto atol_f = static_cast<float>(atol);
  const auto rtol_f = static_cast<float>(rtol);
  const bool by_candidate = scale == relative_to::candidate;
  auto counts = compare_floats(candidate, reference, [&](float a, float b, float abs_error) {
    const float allowed = atol_f + std::fabs(rtol_f * (by_candidate ? a : b));
    if (nan_inf_parity) {
      // GPUMode's verbose_allclose: a tolerance failure, or a difference in NaN/+inf/-inf-ness.
      if (std::isnan(a) != std::isnan(b)) return false;
      if ((a == std::numeric_limits<float>::infinity()) != (b == std::numeric_limits<float>::infinity())) return false;
      if ((a == -std::numeric_limits<float>::infinity()) != (b == -std::numeric_limits<float>::infinity())) return false;
      return !(abs_error > allowed);  // NaN errors (both NaN, or the same inf) are not failures
    }
    // torch.isclose with equal_nan=False: equal values (the same inf included), or a finite error
    // within the tolerance.
    return a == b || (std::isfinite(abs_error) && abs_error <= allowed);
  });
  std::string rule = "|got - expected| <= " + number(atol) + " + " + number(rtol) +
                     (by_candidate ? " * |got|" : " * |expected|");
  if (nan_inf_parity) rule += ", NaN/inf only where the reference has the same";
  return std::move(counts).finish(std::move(rule), 1.0, false);
}

result<comparison> compare_exact(const tensor_view& candidate, const tensor_view& reference) {
  if (auto ok = check_comparable("compare_exact", candidate, reference); !ok) return std::unexpected(ok.error());
  if (!is_floating(candidate.type)) {
    return std::move(compare_integers(candidate, reference)).finish("exact", 1.0, false);
  }
  auto counts = compare_floats(candidate, reference, [](float a, float b, float) { return a == b; });
  return std::move(counts).finish("exact", 1.0, false);
}

std::string comparison::summary() const {
  std::string text;
  if (mismatches == 0) {
    text = "all " + std::to_string(numel) + " elements match";
    if (numel > 0) text += " (max abs " + number(max_abs_error) + " max rel " + number(max_rel_error) + ")";
    return text;
  }
  text = std::to_string(mismatches) + " of " + std::to_string(numel) + " elements differ";
  if (nonfinite_in_candidate > 0) {
    text += ", " + std::to_string(nonfinite_in_candidate) + " NaN/inf in the output";
  }
  if (required_matched_ratio < 1.0) {
    text += ", matched " + percent(matched_ratio) + (matched_ratio < required_matched_ratio ? " < " : " >= ") +
            "required " + percent(required_matched_ratio);
  }
  const mismatch& first = first_mismatches.front();
  text += " (first: [" + std::to_string(first.index) + "] got " + number(first.got) + " expected " +
          number(first.expected) + ") max abs " + number(max_abs_error) + " max rel " + number(max_rel_error);
  text += "\nrule: " + rule;
  if (first_mismatches.size() > 1) {
    text += "; first " + std::to_string(first_mismatches.size()) + ":";
    for (const mismatch& m : first_mismatches) {
      text += " [" + std::to_string(m.index) + "] " + number(m.got) + " vs " + number(m.expected);
      if (&m != &first_mismatches.back()) text += ",";
    }
  }
  return text;
}

bitwise_comparison compare_bitwise(std::span<const std::byte> actual, std::span<const std::byte> expected) {
  bitwise_comparison result;
  const std::size_t common = std::min(actual.size(), expected.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (actual[i] == expected[i]) continue;
    if (result.differing_bytes == 0) {
      result.first_offset = i;
      result.first_actual = static_cast<std::uint8_t>(actual[i]);
      result.first_expected = static_cast<std::uint8_t>(expected[i]);
    }
    ++result.differing_bytes;
  }
  if (actual.size() != expected.size()) {
    if (result.differing_bytes == 0) {
      result.first_offset = common;
      result.first_actual = actual.size() > common ? static_cast<std::uint8_t>(actual[common]) : 0;
      result.first_expected = expected.size() > common ? static_cast<std::uint8_t>(expected[common]) : 0;
    }
    result.differing_bytes += std::max(actual.size(), expected.size()) - common;
  }
  result.equal = result.differing_bytes == 0;
  return result;
}

std::string bitwise_comparison::summary() const {
  if (equal) return "unchanged";
  char bytes[64];
  std::snprintf(bytes, sizeof bytes, " (0x%02x, was 0x%02x)", first_actual, first_expected);
  return std::to_string(differing_bytes) + (differing_bytes == 1 ? " byte differs" : " bytes differ") +
         ", the first at offset " + std::to_string(first_offset) + bytes;
}

void keep_sampled_elements(std::vector<std::byte>& a, std::vector<std::byte>& b, std::size_t element_bytes,
                           std::size_t max_elements, std::uint64_t seed) {
  const std::size_t count = element_bytes == 0 ? 0 : a.size() / element_bytes;
  if (count <= max_elements || b.size() != a.size()) return;
  std::mt19937_64 draws(seed);
  std::uniform_int_distribution<std::size_t> position(0, count - 1);
  std::vector<std::size_t> picked(max_elements);
  for (std::size_t& p : picked) p = position(draws);
  std::sort(picked.begin(), picked.end());
  picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  std::vector<std::byte> sampled_a(picked.size() * element_bytes), sampled_b(picked.size() * element_bytes);
  for (std::size_t k = 0; k < picked.size(); ++k) {
    const auto from = static_cast<std::ptrdiff_t>(picked[k] * element_bytes);
    const auto to = static_cast<std::ptrdiff_t>(k * element_bytes);
    const auto width = static_cast<std::ptrdiff_t>(element_bytes);
    std::copy(a.begin() + from, a.begin() + from + width, sampled_a.begin() + to);
    std::copy(b.begin() + from, b.begin() + from + width, sampled_b.begin() + to);
  }
  a = std::move(sampled_a);
  b = std::move(sampled_b);
}

bool bitwise_equal(std::span<const std::byte> a, std::span<const std::byte> b, std::size_t* first_difference) {
  const std::size_t common = std::min(a.size(), b.size());
  const auto [a_end, b_end] = std::mismatch(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(common), b.begin());
  const auto offset = static_cast<std::size_t>(a_end - a.begin());
  const bool equal = offset == common && a.size() == b.size();
  if (!equal && first_difference != nullptr) *first_difference = offset;
  return equal;
}

}  // namespace ksearch::eval
