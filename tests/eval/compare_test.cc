#include "ksearch/eval/check/compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "ksearch/eval/check/dtype.h"

namespace ksearch::eval {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

tensor_view view(const std::vector<float>& values) { return {dtype::float32, values.data(), values.size()}; }

comparison flashinfer(const std::vector<float>& got, const std::vector<float>& expected, double atol, double rtol,
                      double ratio = 1.0) {
  auto compared = compare_flashinfer(view(got), view(expected), atol, rtol, ratio);
  EXPECT_TRUE(compared.has_value()) << compared.error().to_string();
  return compared.value_or(comparison{});
}

comparison allclose(const std::vector<float>& got, const std::vector<float>& expected, double atol, double rtol,
                    bool parity, relative_to scale = relative_to::reference) {
  auto compared = compare_allclose(view(got), view(expected), atol, rtol, parity, scale);
  EXPECT_TRUE(compared.has_value()) << compared.error().to_string();
  return compared.value_or(comparison{});
}

std::span<const std::byte> bytes_of(const std::vector<unsigned char>& v) { return std::as_bytes(std::span(v)); }

TEST(CompareFlashinfer, ExactlyAtToleranceMatchesAndOneUlpBeyondFails) {
  // expected 1, got 1.25: abs = 0.25 (not > atol 0.25), rel = 0.25 / (1 + 1e-8) = 0.25 in float32.
  EXPECT_TRUE(flashinfer({1.25f}, {1.0f}, 0.25, 0.25).passed);
  const comparison beyond = flashinfer({std::nextafter(1.25f, 2.0f)}, {1.0f}, 0.25, 0.25);
  EXPECT_FALSE(beyond.passed);
  EXPECT_EQ(beyond.mismatches, 1u);
  EXPECT_EQ(beyond.matched_ratio, 0.0);
}

TEST(CompareFlashinfer, AnElementPassesWithinEitherTolerance) {
  // abs 0.5 > atol but rel 0.005 <= rtol: passes.
  EXPECT_TRUE(flashinfer({100.5f}, {100.0f}, 0.01, 0.01).passed);
  // rel is huge near zero but abs 0.005 <= atol: passes.
  EXPECT_TRUE(flashinfer({0.005f}, {0.0f}, 0.01, 0.01).passed);
  // Both exceeded: fails.
  const comparison both = flashinfer({0.52f}, {0.5f}, 0.01, 0.01);
  EXPECT_FALSE(both.passed);
  EXPECT_NEAR(both.max_abs_error, 0.02, 1e-6);
  EXPECT_NEAR(both.max_rel_error, 0.04, 1e-6);
}

TEST(CompareFlashinfer, AnyNaNOrInfInTheCandidateFailsEvenAboveTheRatio) {
  std::vector<float> expected(100, 1.0f);
  std::vector<float> got = expected;
  got[42] = kNaN;
  const comparison with_nan = flashinfer(got, expected, 0.01, 0.01, 0.95);
  EXPECT_FALSE(with_nan.passed);
  EXPECT_EQ(with_nan.nonfinite_in_candidate, 1u);
  EXPECT_EQ(with_nan.mismatches, 1u);
  EXPECT_EQ(with_nan.matched_ratio, 0.99);
  EXPECT_EQ(with_nan.max_abs_error, std::numeric_limits<double>::infinity());
  EXPECT_EQ(with_nan.first_mismatches.at(0).index, 42u);
  EXPECT_TRUE(std::isnan(with_nan.first_mismatches.at(0).got));

  got[42] = kInf;
  expected[42] = kInf;  // even where the reference has the same inf
  const comparison with_inf = flashinfer(got, expected, 0.01, 0.01, 0.95);
  EXPECT_FALSE(with_inf.passed);
  EXPECT_EQ(with_inf.nonfinite_in_candidate, 1u);
}

TEST(CompareFlashinfer, RequiredRatioBoundaryAtNinetyFivePercent) {
  std::vector<float> expected(100, 1.0f);
  std::vector<float> got = expected;
  for (int i = 0; i < 5; ++i) got[static_cast<std::size_t>(i * 20)] = 2.0f;
  const comparison five = flashinfer(got, expected, 0.01, 0.01, 0.95);
  EXPECT_TRUE(five.passed) << five.summary();
  EXPECT_EQ(five.mismatches, 5u);
  EXPECT_DOUBLE_EQ(five.matched_ratio, 0.95);
  EXPECT_FALSE(flashinfer(got, expected, 0.01, 0.01).passed);  // default: every element

  got[99] = 2.0f;
  const comparison six = flashinfer(got, expected, 0.01, 0.01, 0.95);
  EXPECT_FALSE(six.passed);
  EXPECT_DOUBLE_EQ(six.matched_ratio, 0.94);
  EXPECT_NE(six.summary().find("matched 94% < required 95%"), std::string::npos) << six.summary();
  EXPECT_NE(five.summary().find("matched 95% >= required 95%"), std::string::npos) << five.summary();
}

TEST(CompareFlashinfer, ComparesANarrowOutputWithAFloat32Reference) {
  const std::vector<double> values = {1.0, -0.5, 3.0};
  const std::vector<std::byte> bf16 = encode(dtype::bfloat16, values);
  const std::vector<float> reference = {1.001f, -0.5f, 3.01f};
  auto compared = compare_flashinfer({dtype::bfloat16, bf16.data(), 3}, view(reference), 0.01, 0.01);
  ASSERT_TRUE(compared.has_value()) << compared.error().to_string();
  EXPECT_TRUE(compared->passed) << compared->summary();
  EXPECT_EQ(compared->numel, 3u);
}

TEST(CompareFlashinfer, IntegersAreComparedExactly) {
  const std::vector<std::int32_t> got = {1, 2, 1003};
  const std::vector<std::int32_t> expected = {1, 2, 1000};
  // FlashInfer's float rule would pass 1003 vs 1000 (rel 0.003); integers must be exact.
  auto compared = compare_flashinfer({dtype::int32, got.data(), 3}, {dtype::int32, expected.data(), 3}, 0.01, 0.01);
  ASSERT_TRUE(compared.has_value());
  EXPECT_FALSE(compared->passed);
  EXPECT_EQ(compared->mismatches, 1u);
  EXPECT_EQ(compared->rule, "exact");
  EXPECT_EQ(compared->first_mismatches.at(0).index, 2u);
  EXPECT_EQ(compared->first_mismatches.at(0).got, 1003.0);

  // 2^62 + 1 and 2^62 are the same double; the integer comparison still tells them apart.
  const std::vector<std::int64_t> big_got = {(std::int64_t{1} << 62) + 1};
  const std::vector<std::int64_t> big_expected = {std::int64_t{1} << 62};
  auto big = compare_exact({dtype::int64, big_got.data(), 1}, {dtype::int64, big_expected.data(), 1});
  ASSERT_TRUE(big.has_value());
  EXPECT_FALSE(big->passed);
}

TEST(CompareFlashinfer, APoisonedBoolByteNeverMatches) {
  const std::vector<unsigned char> got = {1, 0, 0xFF};
  const std::vector<unsigned char> expected = {1, 0, 1};
  auto compared = compare_flashinfer({dtype::boolean, got.data(), 3}, {dtype::boolean, expected.data(), 3}, 0.01, 0.01);
  ASSERT_TRUE(compared.has_value());
  EXPECT_FALSE(compared->passed);
  EXPECT_EQ(compared->mismatches, 1u);
}

TEST(CompareFlashinfer, IncomparableTensorsAreErrors) {
  const std::vector<float> three = {1, 2, 3};
  const std::vector<float> four = {1, 2, 3, 4};
  auto counts = compare_flashinfer(view(three), view(four), 0.01, 0.01);
  ASSERT_FALSE(counts.has_value());
  EXPECT_EQ(counts.error().subject, "compare_flashinfer");
  EXPECT_EQ(counts.error().problem, "the candidate has 3 elements, the reference 4");

  const std::vector<std::int32_t> ints = {1, 2, 3};
  auto kinds = compare_allclose(view(three), {dtype::int32, ints.data(), 3}, 0.01, 0.01, false);
  ASSERT_FALSE(kinds.has_value());
  EXPECT_EQ(kinds.error().subject, "compare_allclose");
  EXPECT_EQ(kinds.error().problem, "cannot compare a float32 candidate with a int32 reference");
}

TEST(CompareFlashinfer, EmptyTensorsMatch) {
  const std::vector<float> none;
  const comparison empty = flashinfer(none, none, 0.01, 0.01);
  EXPECT_TRUE(empty.passed);
  EXPECT_EQ(empty.summary(), "all 0 elements match");
}

TEST(CompareAllclose, ToleranceBoundaryScalesWithTheReference) {
  // allowed = 0.25 + 0.5 * |1| = 0.75; |1.75 - 1| = 0.75.
  EXPECT_TRUE(allclose({1.75f}, {1.0f}, 0.25, 0.5, false).passed);
  EXPECT_FALSE(allclose({std::nextafter(1.75f, 2.0f)}, {1.0f}, 0.25, 0.5, false).passed);
  EXPECT_TRUE(allclose({1.75f}, {1.0f}, 0.25, 0.5, true).passed);
  EXPECT_FALSE(allclose({std::nextafter(1.75f, 2.0f)}, {1.0f}, 0.25, 0.5, true).passed);
}

TEST(CompareAllclose, KernelBenchScalesByTheCandidate) {
  // |2 - 1| = 1: over 0.5 * |expected| = 0.5, within 0.5 * |got| = 1.
  EXPECT_FALSE(allclose({2.0f}, {1.0f}, 0.0, 0.5, false, relative_to::reference).passed);
  EXPECT_TRUE(allclose({2.0f}, {1.0f}, 0.0, 0.5, false, relative_to::candidate).passed);
}

TEST(CompareAllclose, NaNAndInfParityAsGpuMode) {
  // Same NaN/inf positions: matches only with parity (NaN) or always (equal infinities).
  EXPECT_TRUE(allclose({kNaN, kInf, -kInf, 1.0f}, {kNaN, kInf, -kInf, 1.0f}, 0.02, 0.02, true).passed);
  const comparison without = allclose({kNaN, kInf, -kInf, 1.0f}, {kNaN, kInf, -kInf, 1.0f}, 0.02, 0.02, false);
  EXPECT_FALSE(without.passed);
  EXPECT_EQ(without.mismatches, 1u);  // only the NaN: torch.allclose with equal_nan=False
  EXPECT_EQ(without.first_mismatches.at(0).index, 0u);

  // Any difference in NaN-, +inf- or -inf-ness fails, in both modes.
  for (bool parity : {true, false}) {
    const comparison differ = allclose({kNaN, 1.0f, kInf, -kInf, 1e30f}, {1.0f, kNaN, -kInf, kInf, kInf}, 0.02, 0.02, parity);
    EXPECT_EQ(differ.mismatches, 5u) << "parity " << parity;
    EXPECT_EQ(differ.nonfinite_in_candidate, 3u);
  }
}

TEST(CompareExact, FloatsByValue) {
  const comparison same = compare_exact(view({0.0f, 1.5f}), view({-0.0f, 1.5f})).value();
  EXPECT_TRUE(same.passed);
  const comparison nan = compare_exact(view({kNaN}), view({kNaN})).value();
  EXPECT_FALSE(nan.passed);
}

TEST(CompareSummary, NamesCountFirstMismatchAndMaxima) {
  std::vector<float> expected(4096, 0.5f);
  std::vector<float> got = expected;
  got[17] = 1.25f;   // abs 0.75, rel 1.5
  got[100] = 0.75f;  // abs 0.25, rel 0.5
  got[4000] = 0.25f;
  const comparison c = flashinfer(got, expected, 0.01, 0.01);
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.max_abs_error, 0.75);
  EXPECT_EQ(c.max_rel_error, 1.5);
  EXPECT_EQ(c.summary(),
            "3 of 4096 elements differ (first: [17] got 1.25 expected 0.5) max abs 0.75 max rel 1.5\n"
            "rule: an element fails if abs > 0.01 and rel > 0.01; first 3: [17] 1.25 vs 0.5, [100] 0.75 vs 0.5, "
            "[4000] 0.25 vs 0.5");
}

TEST(CompareSummary, PassingAndNonFiniteSummaries) {
  EXPECT_EQ(flashinfer({1.0f, 2.0f, 3.0f, 4.0f}, {1.0f, 2.0f, 3.0f, 4.0f}, 0.01, 0.01).summary(),
            "all 4 elements match (max abs 0 max rel 0)");
  const comparison nan = flashinfer({kNaN, 1.0f}, {0.5f, 1.0f}, 0.01, 0.01);
  EXPECT_EQ(nan.summary(),
            "1 of 2 elements differ, 1 NaN/inf in the output (first: [0] got nan expected 0.5) max abs inf max rel inf\n"
            "rule: an element fails if abs > 0.01 and rel > 0.01");
}

TEST(CompareSummary, ListsAtMostEightAndIndexesAcrossChunks) {
  std::vector<float> expected(10000, 1.0f);
  std::vector<float> got = expected;
  for (std::size_t i = 9980; i < 10000; ++i) got[i] = -1.0f;
  const comparison c = flashinfer(got, expected, 0.01, 0.01);
  EXPECT_EQ(c.mismatches, 20u);
  ASSERT_EQ(c.first_mismatches.size(), comparison::kMaxListed);
  EXPECT_EQ(c.first_mismatches.front().index, 9980u);
  EXPECT_EQ(c.first_mismatches.back().index, 9987u);
  EXPECT_EQ(c.first_mismatches.back().expected, 1.0);
}

TEST(CompareBitwise, FindsTheFirstDifferingByte) {
  const std::vector<unsigned char> before = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<unsigned char> after = before;
  EXPECT_TRUE(compare_bitwise(bytes_of(after), bytes_of(before)).equal);
  EXPECT_EQ(compare_bitwise(bytes_of(after), bytes_of(before)).summary(), "unchanged");
  std::size_t offset = 99;
  EXPECT_TRUE(bitwise_equal(bytes_of(after), bytes_of(before), &offset));
  EXPECT_EQ(offset, 99u);  // untouched when equal

  after[5] = 0;
  after[7] = 0x3F;
  const bitwise_comparison diff = compare_bitwise(bytes_of(after), bytes_of(before));
  EXPECT_FALSE(diff.equal);
  EXPECT_EQ(diff.differing_bytes, 2u);
  EXPECT_EQ(diff.first_offset, 5u);
  EXPECT_EQ(diff.summary(), "2 bytes differ, the first at offset 5 (0x00, was 0x06)");
  EXPECT_FALSE(bitwise_equal(bytes_of(after), bytes_of(before), &offset));
  EXPECT_EQ(offset, 5u);
}

TEST(CompareBitwise, DifferentLengthsDiffer) {
  const std::vector<unsigned char> longer = {1, 2, 3};
  const std::vector<unsigned char> shorter = {1, 2};
  std::size_t offset = 0;
  EXPECT_FALSE(bitwise_equal(bytes_of(longer), bytes_of(shorter), &offset));
  EXPECT_EQ(offset, 2u);
  const bitwise_comparison diff = compare_bitwise(bytes_of(shorter), bytes_of(longer));
  EXPECT_FALSE(diff.equal);
  EXPECT_EQ(diff.differing_bytes, 1u);
  EXPECT_EQ(diff.first_offset, 2u);
  EXPECT_EQ(diff.first_expected, 3u);
}

TEST(KeepSampledElements, KeepsTheSamePositionsOfBothInOrder) {
  // Element k of `a` holds k and of `b` holds k + 1e6: a kept pair must come from one position.
  std::vector<float> a(100000), b(100000);
  for (std::size_t k = 0; k < a.size(); ++k) {
    a[k] = static_cast<float>(k);
    b[k] = static_cast<float>(k) + 1e6f;
  }
  auto bytes = [](const std::vector<float>& v) {
    std::vector<std::byte> out(v.size() * sizeof(float));
    std::memcpy(out.data(), v.data(), out.size());
    return out;
  };
  std::vector<std::byte> sa = bytes(a), sb = bytes(b);
  keep_sampled_elements(sa, sb, sizeof(float), 1000, 7);
  ASSERT_EQ(sa.size(), sb.size());
  ASSERT_GT(sa.size(), 900 * sizeof(float)) << "1000 draws of 100000 positions repeat a few at most";
  ASSERT_LE(sa.size(), 1000 * sizeof(float));
  std::vector<float> ka(sa.size() / sizeof(float)), kb(ka.size());
  std::memcpy(ka.data(), sa.data(), sa.size());
  std::memcpy(kb.data(), sb.data(), sb.size());
  for (std::size_t k = 0; k < ka.size(); ++k) {
    EXPECT_EQ(kb[k], ka[k] + 1e6f) << k;
    if (k > 0) {
      EXPECT_LT(ka[k - 1], ka[k]) << "positions kept in order, each once";
    }
  }
  EXPECT_GT(ka.back(), 50000.0f) << "drawn over the whole tensor";

  // Small enough: both stay whole.
  std::vector<std::byte> small_a = bytes({1, 2, 3}), small_b = bytes({4, 5, 6});
  keep_sampled_elements(small_a, small_b, sizeof(float), 1000, 7);
  EXPECT_EQ(small_a, bytes({1, 2, 3}));
  EXPECT_EQ(small_b, bytes({4, 5, 6}));
}

}  // namespace
}  // namespace ksearch::eval
