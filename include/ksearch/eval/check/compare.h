// ksearch/eval/check/compare.h — correctness comparators for output tensors, on host copies.
//
// Three rules, one per task family (docs/task-formats.md, "FlashInfer-Bench: correctness",
// "GPUMode TriMul: correctness" and "KernelBench: correctness"):
//   - compare_flashinfer: FlashInfer-Bench. Any NaN/inf in the candidate fails the tensor. An
//     element fails only if abs > atol AND rel > rtol, with abs = |got - expected| and
//     rel = abs / (|expected| + 1e-8), both computed in float32 as FlashInfer does after upcasting.
//     The tensor fails if matched_ratio = 1 - failures/numel is below the required ratio (1.0 by
//     default; 0.95 for moe_fp8_block_scale definitions).
//   - compare_allclose: torch.allclose, |got - expected| <= atol + rtol * |scale| (scale = expected,
//     or the candidate for KernelBench, whose allclose(ref, new) scales by the new output). Without
//     NaN/inf parity a NaN never matches and an inf matches only the same inf (torch, equal_nan
//     off). With parity (GPUMode) an element also matches when both are NaN, and fails when
//     NaN-ness, +inf-ness or -inf-ness differ.
//   - integer and bool outputs are compared exactly by every comparator (a deliberate deviation
//     from FlashInfer, which would push integers through the float tolerance); a bool byte other
//     than 0 or 1 (say, the 0xFF poison left in an unwritten output) never matches.
// The candidate and reference must have the same element count and both be floating or both be
// integer; their dtypes may differ otherwise (a float32 reference for a bfloat16 output; round it
// to the output dtype first, see eval/check/dtype.h round_to/encode, when the task asks for that).
//
// Thread-safety: every function here is pure and may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/check/dtype.h"

namespace ksearch::eval {

/// A tensor's elements in host memory, not owned: `count` elements of `type` at `data`.
struct tensor_view {
  dtype type = dtype::float32;
  const void* data = nullptr;
  std::size_t count = 0;
};

struct mismatch {
  std::size_t index = 0;  // flat (row-major) element index
  double got = 0;         // the candidate's value
  double expected = 0;    // the reference's value
};

struct comparison {
  static constexpr std::size_t kMaxListed = 8;

  bool passed = false;
  std::size_t mismatches = 0;  // elements that failed the rule
  std::size_t numel = 0;
  double max_abs_error = 0;  // over all elements; +inf when the candidate holds NaN/inf
  double max_rel_error = 0;  // abs / (|expected| + 1e-8); +inf likewise
  double matched_ratio = 1;  // 1 - mismatches / numel (1 for empty tensors)
  double required_matched_ratio = 1;
  std::size_t nonfinite_in_candidate = 0;  // NaN and +-inf elements in the candidate
  std::vector<mismatch> first_mismatches;  // the first kMaxListed, in index order
  std::string rule;  // the rule applied, for the reader: "abs > 0.01 and rel > 0.01", "exact"

  /// One or two lines for the log and the LLM, e.g.
  /// "3 of 4096 elements differ (first: [17] got 1.25 expected 0.5) max abs 0.75 max rel 1.5"
  /// followed, when several differ, by a line listing the first few.
  [[nodiscard]] std::string summary() const;
};

/// FlashInfer-Bench's rule (file comment). Errors only for inputs that cannot be compared:
/// different element counts, or a floating tensor against an integer one.
[[nodiscard]] result<comparison> compare_flashinfer(const tensor_view& candidate, const tensor_view& reference,
                                                    double atol, double rtol,
                                                    double required_matched_ratio = 1.0);

/// Which value scales rtol in compare_allclose.
enum class relative_to {
  reference,  // |got - expected| <= atol + rtol * |expected|   (torch.allclose(got, expected), GPUMode)
  candidate,  // |got - expected| <= atol + rtol * |got|        (KernelBench: allclose(ref, new))
};

/// torch.allclose semantics, optionally with GPUMode's NaN/inf parity (file comment).
[[nodiscard]] result<comparison> compare_allclose(const tensor_view& candidate, const tensor_view& reference,
                                                  double atol, double rtol, bool nan_inf_parity,
                                                  relative_to scale = relative_to::reference);

/// Exact equality, element by element (integers, bool; floats compare by value, so -0 == 0 and
/// NaN never matches).
[[nodiscard]] result<comparison> compare_exact(const tensor_view& candidate, const tensor_view& reference);

/// Keeps the same `max_elements` elements of `a` and `b` (each `element_bytes` wide, both the same
/// size), at positions drawn at random from `seed` and kept in order; leaves both as they are when
/// they hold no more. For checks that only ask whether a call did its work: a call that skipped
/// or replayed it is wrong almost everywhere, so a sample sees it at a fraction of the cost.
void keep_sampled_elements(std::vector<std::byte>& a, std::vector<std::byte>& b, std::size_t element_bytes,
                           std::size_t max_elements, std::uint64_t seed);

/// The result of a byte-for-byte comparison: used to check that inputs are unchanged by a call.
struct bitwise_comparison {
  bool equal = true;
  std::size_t differing_bytes = 0;  // counted over the common length; a length difference adds the rest
  std::size_t first_offset = 0;     // the first differing byte; meaningful when !equal
  std::uint8_t first_actual = 0;    // the bytes at first_offset (0 past the end of the shorter one)
  std::uint8_t first_expected = 0;

  /// "512 bytes differ, the first at offset 12 (0x00, was 0x3f)", or "unchanged".
  [[nodiscard]] std::string summary() const;
};

[[nodiscard]] bitwise_comparison compare_bitwise(std::span<const std::byte> actual,
                                                 std::span<const std::byte> expected);

/// True when `a` and `b` hold the same bytes (and length). When they differ and `first_difference`
/// is not null, it receives the offset of the first differing byte (the shorter length when one is
/// a prefix of the other).
[[nodiscard]] bool bitwise_equal(std::span<const std::byte> a, std::span<const std::byte> b,
                                 std::size_t* first_difference = nullptr);

}  // namespace ksearch::eval
