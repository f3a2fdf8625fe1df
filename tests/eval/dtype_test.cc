#include "ksearch/eval/check/dtype.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace ksearch::eval {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The value of an 8-bit float code straight from the format's definition: sign, exponent field
// `e` with `bias`, mantissa field `m` of `mbits` bits; subnormals at e == 0.
double float8_by_definition(int code, int mbits, int bias) {
  const int sign = code >> 7;
  const int e = (code >> mbits) & ((1 << (7 - mbits)) - 1);
  const int m = code & ((1 << mbits) - 1);
  const double scale = std::pow(2.0, -mbits);
  const double magnitude = e == 0 ? m * scale * std::pow(2.0, 1 - bias) : (1 + m * scale) * std::pow(2.0, e - bias);
  return sign ? -magnitude : magnitude;
}

// Same value (NaN equal to NaN, and -0 distinct from +0).
void expect_same(double actual, double expected, const std::string& what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": got " << actual << ", expected NaN";
    return;
  }
  EXPECT_EQ(actual, expected) << what;
  EXPECT_EQ(std::signbit(actual), std::signbit(expected)) << what << ": sign of zero";
}

TEST(DtypeNames, EveryNameRoundTrips) {
  for (dtype type : all_dtypes) {
    auto parsed = dtype_from_name(name(type));
    ASSERT_TRUE(parsed.has_value()) << name(type);
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_EQ(dtype_from_name("bool").value(), dtype::boolean);
  EXPECT_EQ(name(dtype::float8_e4m3fn), "float8_e4m3fn");
}

TEST(DtypeNames, UnknownNameIsAnErrorListingTheKnownOnes) {
  auto parsed = dtype_from_name("float64", "definitions/x.json: outputs.o.dtype");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().subject, "definitions/x.json: outputs.o.dtype");
  EXPECT_EQ(parsed.error().problem, "unknown dtype \"float64\"");
  EXPECT_NE(parsed.error().fix.find("bfloat16"), std::string::npos) << parsed.error().fix;
  EXPECT_NE(parsed.error().fix.find("bool"), std::string::npos) << parsed.error().fix;
  EXPECT_FALSE(dtype_from_name("Float32").has_value());  // names are case-sensitive, as in the schema
  EXPECT_FALSE(dtype_from_name("boolean").has_value());
}

TEST(DtypeNames, SizesAndKinds) {
  EXPECT_EQ(size_bytes(dtype::float32), 4u);
  EXPECT_EQ(size_bytes(dtype::float16), 2u);
  EXPECT_EQ(size_bytes(dtype::bfloat16), 2u);
  EXPECT_EQ(size_bytes(dtype::float8_e4m3fn), 1u);
  EXPECT_EQ(size_bytes(dtype::float8_e5m2), 1u);
  EXPECT_EQ(size_bytes(dtype::int64), 8u);
  EXPECT_EQ(size_bytes(dtype::int32), 4u);
  EXPECT_EQ(size_bytes(dtype::int16), 2u);
  EXPECT_EQ(size_bytes(dtype::int8), 1u);
  EXPECT_EQ(size_bytes(dtype::uint8), 1u);
  EXPECT_EQ(size_bytes(dtype::boolean), 1u);
  int floating = 0;
  for (dtype type : all_dtypes) floating += is_floating(type) ? 1 : 0;
  EXPECT_EQ(floating, 5);
  EXPECT_TRUE(is_floating(dtype::float8_e5m2));
  EXPECT_FALSE(is_floating(dtype::boolean));
  EXPECT_FALSE(is_floating(dtype::int64));
}

TEST(DtypeFloat8, E4m3fnDecodesAllCodesAsTheSpecDefines) {
  for (int code = 0; code < 256; ++code) {
    // e4m3fn: bias 7, no infinities, only S.1111.111 is NaN.
    const double expected = (code & 0x7F) == 0x7F ? std::nan("") : float8_by_definition(code, 3, 7);
    expect_same(float8_e4m3fn_to_float(static_cast<std::uint8_t>(code)), expected, "e4m3fn code " + std::to_string(code));
  }
  EXPECT_EQ(float8_e4m3fn_to_float(0x7E), 448.0f);
  EXPECT_EQ(float8_e4m3fn_to_float(0xFE), -448.0f);
  EXPECT_EQ(float8_e4m3fn_to_float(0x78), 256.0f);  // all-ones exponent is still a number
  EXPECT_EQ(float8_e4m3fn_to_float(0x38), 1.0f);
  EXPECT_EQ(float8_e4m3fn_to_float(0x08), std::ldexp(1.0f, -6));  // smallest normal
  EXPECT_EQ(float8_e4m3fn_to_float(0x01), std::ldexp(1.0f, -9));  // smallest subnormal
  EXPECT_TRUE(std::isnan(float8_e4m3fn_to_float(0x7F)));
  EXPECT_TRUE(std::isnan(float8_e4m3fn_to_float(0xFF)));
}

TEST(DtypeFloat8, E5m2DecodesAllCodesAsTheSpecDefines) {
  for (int code = 0; code < 256; ++code) {
    // e5m2: bias 15, IEEE specials at the all-ones exponent.
    const int e = (code >> 2) & 0x1F;
    const int m = code & 3;
    double expected = float8_by_definition(code, 2, 15);
    if (e == 31) expected = m == 0 ? ((code & 0x80) ? -kInf : kInf) : std::nan("");
    expect_same(float8_e5m2_to_float(static_cast<std::uint8_t>(code)), expected, "e5m2 code " + std::to_string(code));
  }
  EXPECT_EQ(float8_e5m2_to_float(0x7B), 57344.0f);
  EXPECT_EQ(float8_e5m2_to_float(0x3C), 1.0f);
  EXPECT_EQ(float8_e5m2_to_float(0x01), std::ldexp(1.0f, -16));
  EXPECT_EQ(float8_e5m2_to_float(0xFC), -std::numeric_limits<float>::infinity());
}

TEST(DtypeFloat8, EncodersInvertTheDecodersOnEveryCode) {
  for (int code = 0; code < 256; ++code) {
    const auto bits = static_cast<std::uint8_t>(code);
    if (!std::isnan(float8_e4m3fn_to_float(bits))) {
      EXPECT_EQ(float_to_float8_e4m3fn(float8_e4m3fn_to_float(bits)), bits) << "e4m3fn code " << code;
    }
    if (!std::isnan(float8_e5m2_to_float(bits))) {
      EXPECT_EQ(float_to_float8_e5m2(float8_e5m2_to_float(bits)), bits) << "e5m2 code " << code;
    }
  }
}

TEST(DtypeFloat8, E4m3fnRoundsToNearestEvenAndSaturates) {
  EXPECT_EQ(float_to_float8_e4m3fn(1.0625), 0x38);  // tie between 1 and 1.125: even mantissa 0
  EXPECT_EQ(float_to_float8_e4m3fn(1.1875), 0x3A);  // tie between 1.125 and 1.25: even mantissa 2
  EXPECT_EQ(float_to_float8_e4m3fn(1.07), 0x39);    // above the tie
  EXPECT_EQ(float_to_float8_e4m3fn(std::ldexp(1.0, -10)), 0x00);      // half the smallest subnormal
  EXPECT_EQ(float_to_float8_e4m3fn(3 * std::ldexp(1.0, -10)), 0x02);  // subnormal tie goes to even
  EXPECT_EQ(float_to_float8_e4m3fn(15 * std::ldexp(1.0, -10)), 0x08);  // rounds up into the normals
  EXPECT_EQ(float_to_float8_e4m3fn(464), 0x7E);  // tie between 448 and (missing) 480: even, 448
  EXPECT_EQ(float_to_float8_e4m3fn(470), 0x7E);  // would be the NaN pattern: saturates
  EXPECT_EQ(float_to_float8_e4m3fn(1e6), 0x7E);
  EXPECT_EQ(float_to_float8_e4m3fn(kInf), 0x7E);
  EXPECT_EQ(float_to_float8_e4m3fn(-kInf), 0xFE);
  EXPECT_EQ(float_to_float8_e4m3fn(-1000), 0xFE);
  EXPECT_EQ(float_to_float8_e4m3fn(std::nan("")), 0x7F);
  EXPECT_EQ(float_to_float8_e4m3fn(-0.0), 0x80);
  EXPECT_EQ(float_to_float8_e4m3fn(2.0), 0x40);
  EXPECT_EQ(float_to_float8_e4m3fn(-2.0), 0xC0);
}

TEST(DtypeFloat8, E5m2OverflowsToInfinity) {
  EXPECT_EQ(float_to_float8_e5m2(57344), 0x7B);
  EXPECT_EQ(float_to_float8_e5m2(60000), 0x7B);
  EXPECT_EQ(float_to_float8_e5m2(61440), 0x7C);  // tie between max and 65536: even, which overflows
  EXPECT_EQ(float_to_float8_e5m2(-1e9), 0xFC);
  EXPECT_EQ(float_to_float8_e5m2(1.125), 0x3C);   // tie between 1 and 1.25: even
  EXPECT_EQ(float_to_float8_e5m2(1.375), 0x3E);   // tie between 1.25 and 1.5: even
  EXPECT_TRUE(std::isnan(float8_e5m2_to_float(float_to_float8_e5m2(std::nan("")))));
}

TEST(DtypeBfloat16, DecodeIsTheUpperHalfOfAFloat) {
  for (std::uint32_t code = 0; code < 65536; ++code) {
    const auto bits = static_cast<std::uint16_t>(code);
    const float expected = std::bit_cast<float>(code << 16);
    expect_same(bfloat16_to_float(bits), expected, "bf16 code " + std::to_string(code));
    if (!std::isnan(expected)) {
      ASSERT_EQ(float_to_bfloat16(expected), bits) << "bf16 code " << code;
    }
  }
}

TEST(DtypeBfloat16, RoundsToNearestEvenOnce) {
  EXPECT_EQ(float_to_bfloat16(1.0 + std::ldexp(1.0, -8)), 0x3F80);      // tie: even
  EXPECT_EQ(float_to_bfloat16(1.0 + 3 * std::ldexp(1.0, -8)), 0x3F82);  // tie: even (up)
  EXPECT_EQ(float_to_bfloat16(1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -20)), 0x3F81);
  // Just above a tie in double, but exactly the tie once rounded to float: rounding from the double
  // directly must go up, where going through float would round to even (down).
  const double above_tie = 1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40);
  ASSERT_EQ(static_cast<double>(static_cast<float>(above_tie)), 1.0 + std::ldexp(1.0, -8));
  EXPECT_EQ(float_to_bfloat16(above_tie), 0x3F81);
  EXPECT_EQ(float_to_bfloat16(std::numeric_limits<float>::max()), 0x7F80);  // beyond max + half ulp: inf
  EXPECT_EQ(float_to_bfloat16(-kInf), 0xFF80);
  EXPECT_EQ(float_to_bfloat16(std::nan("")), 0x7FC0);
  EXPECT_EQ(float_to_bfloat16(std::numeric_limits<float>::denorm_min()), 0x0000);  // below half of bf16's smallest
  EXPECT_EQ(float_to_bfloat16(std::ldexp(1.0, -133)), 0x0001);                    // bf16's smallest subnormal
}

TEST(DtypeFloat16, DecodesSpecialValuesAndSubnormals) {
  EXPECT_EQ(float16_to_float(0x3C00), 1.0f);
  EXPECT_EQ(float16_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(float16_to_float(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(float16_to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(float16_to_float(0x03FF), 1023 * std::ldexp(1.0f, -24));
  EXPECT_EQ(float16_to_float(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(float16_to_float(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(float16_to_float(0x7E00)));
  EXPECT_TRUE(std::isnan(float16_to_float(0xFC01)));
  expect_same(float16_to_float(0x8000), -0.0, "negative zero");
  EXPECT_EQ(float16_to_float(0xC000), -2.0f);
}

TEST(DtypeFloat16, RoundTripsEveryCodeAndRoundsTiesToEven) {
  for (std::uint32_t code = 0; code < 65536; ++code) {
    const auto bits = static_cast<std::uint16_t>(code);
    const float value = float16_to_float(bits);
    if (!std::isnan(value)) {
      ASSERT_EQ(float_to_float16(value), bits) << "f16 code " << code;
    }
  }
  EXPECT_EQ(float_to_float16(1.0 + std::ldexp(1.0, -11)), 0x3C00);
  EXPECT_EQ(float_to_float16(1.0 + 3 * std::ldexp(1.0, -11)), 0x3C02);
  EXPECT_EQ(float_to_float16(65519), 0x7BFF);
  EXPECT_EQ(float_to_float16(65520), 0x7C00);  // tie with 65536: even, which overflows
  EXPECT_EQ(float_to_float16(std::ldexp(1.0, -25)), 0x0000);
  EXPECT_EQ(float_to_float16(3 * std::ldexp(1.0, -25)), 0x0002);
  EXPECT_EQ(float_to_float16(std::nan("")), 0x7E00);
}

#ifdef __FLT16_MANT_DIG__
// The compiler's own float -> _Float16 conversion is an independent oracle for the encoder.
TEST(DtypeFloat16, AgreesWithTheCompilersHalfConversion) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<std::uint32_t> any_bits;
  int checked = 0;
  for (int i = 0; i < 200000; ++i) {
    // Random bit patterns within float16's range and a little beyond, including subnormals.
    std::uint32_t bits = any_bits(rng);
    const std::uint32_t exponent = 100 + (bits >> 23) % 50;  // 2^-27 .. 2^22
    bits = (bits & 0x807FFFFFu) | (exponent << 23);
    const float value = std::bit_cast<float>(bits);
    const auto oracle = std::bit_cast<std::uint16_t>(static_cast<_Float16>(value));
    ASSERT_EQ(float_to_float16(value), oracle) << "value " << value;
    ++checked;
  }
  EXPECT_EQ(checked, 200000);
}
#endif

TEST(DtypeRounding, IntegersRoundToNearestEvenAndClamp) {
  EXPECT_EQ(round_to(dtype::int32, 2.5), 2.0);
  EXPECT_EQ(round_to(dtype::int32, 3.5), 4.0);
  EXPECT_EQ(round_to(dtype::int32, -2.5), -2.0);
  EXPECT_EQ(round_to(dtype::int32, -2.6), -3.0);
  EXPECT_EQ(round_to(dtype::int8, 200), 127.0);
  EXPECT_EQ(round_to(dtype::int8, -200), -128.0);
  EXPECT_EQ(round_to(dtype::uint8, -3), 0.0);
  EXPECT_EQ(round_to(dtype::uint8, 255.4), 255.0);
  EXPECT_EQ(round_to(dtype::uint8, 255.6), 255.0);
  EXPECT_EQ(round_to(dtype::int16, 1e9), 32767.0);
  EXPECT_EQ(round_to(dtype::int32, std::nan("")), 0.0);
  EXPECT_EQ(round_to(dtype::int64, 1e30), static_cast<double>(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(round_to(dtype::int64, -1e30), static_cast<double>(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(round_to(dtype::boolean, 0.2), 1.0);
  EXPECT_EQ(round_to(dtype::boolean, 0.0), 0.0);
}

TEST(DtypeRounding, FloatsRoundToTheirType) {
  EXPECT_EQ(round_to(dtype::float32, 0.1), static_cast<double>(0.1f));
  EXPECT_EQ(round_to(dtype::float32, 1e39), kInf);
  EXPECT_EQ(round_to(dtype::bfloat16, 1.0 + std::ldexp(1.0, -9)), 1.0);
  EXPECT_EQ(round_to(dtype::float16, 70000), kInf);
  EXPECT_EQ(round_to(dtype::float8_e4m3fn, 1000), 448.0);
  EXPECT_EQ(round_to(dtype::float8_e5m2, 3.3), 3.5);
}

TEST(DtypeArrays, EncodeThenDecodeGivesTheRoundedValues) {
  const std::vector<double> values = {1.0, -2.5, 0.1, 3e5, -0.0};
  for (dtype type : all_dtypes) {
    const std::vector<std::byte> bytes = encode(type, values);
    ASSERT_EQ(bytes.size(), values.size() * size_bytes(type)) << name(type);
    const std::vector<double> back = to_double(type, bytes.data(), values.size());
    ASSERT_EQ(back.size(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(back[i], round_to(type, values[i])) << name(type) << " element " << i;
    }
  }
}

TEST(DtypeArrays, DecodesFromAnOffsetAndStoresLittleEndian) {
  const std::vector<double> values = {10, 20, 30, 40};
  const std::vector<std::byte> bytes = encode(dtype::int16, values);
  EXPECT_EQ(bytes[2], std::byte{20});
  EXPECT_EQ(bytes[3], std::byte{0});
  std::vector<double> middle(2);
  decode_to_double(dtype::int16, bytes.data(), 1, middle);
  EXPECT_EQ(middle, (std::vector<double>{20, 30}));
  std::vector<std::int64_t> exact(2);
  decode_to_int64(dtype::int16, bytes.data(), 2, exact);
  EXPECT_EQ(exact, (std::vector<std::int64_t>{30, 40}));
}

TEST(DtypeArrays, Int64DecodesExactlyAndBoolShowsItsRawByte) {
  const std::int64_t big[] = {(std::int64_t{1} << 62) + 1, -7};
  std::vector<std::int64_t> exact(2);
  decode_to_int64(dtype::int64, big, 0, exact);
  EXPECT_EQ(exact[0], (std::int64_t{1} << 62) + 1);
  EXPECT_EQ(exact[1], -7);

  const unsigned char flags[] = {0, 1, 0xFF};
  EXPECT_EQ(to_double(dtype::boolean, flags, 3), (std::vector<double>{0, 1, 255}));
  const signed char small[] = {-128, 127};
  EXPECT_EQ(to_double(dtype::int8, small, 2), (std::vector<double>{-128, 127}));
  EXPECT_EQ(to_double(dtype::uint8, flags, 3), (std::vector<double>{0, 1, 255}));
}

TEST(DtypeArrays, ExactIntegerDecodeOfAFloatTypeIsAProgrammingError) {
  const float values[] = {1.0f};
  std::vector<std::int64_t> out(1);
  EXPECT_THROW(decode_to_int64(dtype::float32, values, 0, out), std::invalid_argument);
}

TEST(DtypeArrays, Float32DecodeKeepsNaNAndInfinity) {
  const float values[] = {std::nanf(""), -std::numeric_limits<float>::infinity(), 1.5f};
  const std::vector<double> back = to_double(dtype::float32, values, 3);
  EXPECT_TRUE(std::isnan(back[0]));
  EXPECT_EQ(back[1], -kInf);
  EXPECT_EQ(back[2], 1.5);
}

}  // namespace
}  // namespace ksearch::eval
