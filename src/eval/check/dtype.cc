#include "ksearch/eval/check/dtype.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

// Implementation details: the five floating types are one parametrised "minifloat" (sign,
// exponent bits, mantissa bits, bias) with two flavours of special values: IEEE-like (an all-ones
// exponent is inf or NaN) and "fn" (finite, no infinities: only the all-ones pattern is NaN, and
// the all-ones exponent otherwise holds normal numbers; float8_e4m3fn). Decoding builds the value
// from its integer significand with ldexp, which is exact. Encoding scales |value| so that one unit
// is the target's spacing at that magnitude, rounds that to an integer (ties to even), and handles
// the carry into the next binade, subnormals and overflow. Working from a double throughout means
// float32 and float64 inputs are rounded exactly once.

namespace ksearch::eval {
namespace {

struct minifloat {
  int exponent_bits;
  int mantissa_bits;
  int bias;
  bool ieee_specials;  // all-ones exponent means inf/NaN; false: only all-ones bits mean NaN

  [[nodiscard]] std::uint32_t exponent_mask() const { return (1u << exponent_bits) - 1; }
  [[nodiscard]] std::uint32_t mantissa_mask() const { return (1u << mantissa_bits) - 1; }
  [[nodiscard]] std::uint32_t sign_bit() const { return 1u << (exponent_bits + mantissa_bits); }
  [[nodiscard]] int min_exponent() const { return 1 - bias; }
  [[nodiscard]] int max_exponent() const {
    return static_cast<int>(exponent_mask()) - (ieee_specials ? 1 : 0) - bias;
  }
};

constexpr minifloat kFloat32{8, 23, 127, true};
constexpr minifloat kFloat16{5, 10, 15, true};
constexpr minifloat kBfloat16{8, 7, 127, true};
constexpr minifloat kE4m3fn{4, 3, 7, false};
constexpr minifloat kE5m2{5, 2, 15, true};

double decode_minifloat(const minifloat& f, std::uint32_t bits) {
  const bool negative = (bits & f.sign_bit()) != 0;
  const std::uint32_t exponent = (bits >> f.mantissa_bits) & f.exponent_mask();
  const std::uint32_t mantissa = bits & f.mantissa_mask();
  double magnitude = 0;
  if (f.ieee_specials && exponent == f.exponent_mask()) {
    magnitude = mantissa == 0 ? std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::quiet_NaN();
  } else if (!f.ieee_specials && exponent == f.exponent_mask() && mantissa == f.mantissa_mask()) {
    magnitude = std::numeric_limits<double>::quiet_NaN();
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<double>(mantissa), f.min_exponent() - f.mantissa_bits);
  } else {
    const double significand = static_cast<double>(mantissa | (1u << f.mantissa_bits));
    magnitude = std::ldexp(significand, static_cast<int>(exponent) - f.bias - f.mantissa_bits);
  }
  return negative ? -magnitude : magnitude;
}

// Nearest integer to x >= 0, ties to even. Independent of the floating-point rounding mode.
double round_half_even(double x) {
  const double floor = std::floor(x);
  const double fraction = x - floor;  // exact: x < 2^53 here
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return std::fmod(floor, 2.0) == 0 ? floor : floor + 1;
}

std::uint32_t encode_minifloat(const minifloat& f, double value) {
  const std::uint32_t all_ones_exponent = f.exponent_mask() << f.mantissa_bits;
  // The largest finite magnitude: below the specials (IEEE) or one below the NaN pattern (fn).
  const std::uint32_t max_finite = f.ieee_specials ? all_ones_exponent - 1 : (all_ones_exponent | f.mantissa_mask()) - 1;
  if (std::isnan(value)) {
    // Canonical positive quiet NaN, as CUDA's and PyTorch's conversions produce.
    return f.ieee_specials ? all_ones_exponent | (1u << (f.mantissa_bits - 1)) : all_ones_exponent | f.mantissa_mask();
  }
  const std::uint32_t sign = std::signbit(value) ? f.sign_bit() : 0;
  const std::uint32_t overflow = f.ieee_specials ? all_ones_exponent : max_finite;  // inf, or saturate
  const double magnitude = std::fabs(value);
  if (std::isinf(magnitude)) return sign | overflow;
  if (magnitude == 0) return sign;

  // The binade of |value| (floor of log2); the target's subnormals share its lowest binade.
  int exponent = std::max(std::ilogb(magnitude), f.min_exponent());
  // One unit of `units` is the spacing of the target's values in this binade.
  double units = round_half_even(std::ldexp(magnitude, f.mantissa_bits - exponent));
  const double implicit_one = std::ldexp(1.0, f.mantissa_bits);
  if (units >= 2 * implicit_one) {  // rounded up into the next binade
    units = implicit_one;
    ++exponent;
  }
  if (exponent > f.max_exponent()) return sign | overflow;
  const auto significand = static_cast<std::uint32_t>(units);
  if (units < implicit_one) return sign | significand;  // subnormal (or zero): exponent field 0
  const auto biased = static_cast<std::uint32_t>(exponent + f.bias);
  const std::uint32_t bits = (biased << f.mantissa_bits) | (significand & f.mantissa_mask());
  if (bits > max_finite) return sign | overflow;  // fn: would be the NaN pattern
  return sign | bits;
}

const minifloat* minifloat_of(dtype type) {
  switch (type) {
    case dtype::float32: return &kFloat32;
    case dtype::float16: return &kFloat16;
    case dtype::bfloat16: return &kBfloat16;
    case dtype::float8_e4m3fn: return &kE4m3fn;
    case dtype::float8_e5m2: return &kE5m2;
    default: return nullptr;
  }
}

template <class T>
T load(const void* data, std::size_t index) {
  T value;
  std::memcpy(&value, static_cast<const unsigned char*>(data) + index * sizeof(T), sizeof(T));
  return value;
}

template <class T>
void store(std::vector<std::byte>& out, std::size_t index, T value) {
  std::memcpy(out.data() + index * sizeof(T), &value, sizeof(T));
}

std::uint32_t load_bits(dtype type, const void* data, std::size_t index) {
  switch (size_bytes(type)) {
    case 1: return load<std::uint8_t>(data, index);
    case 2: return load<std::uint16_t>(data, index);
    default: return load<std::uint32_t>(data, index);
  }
}

// Integer rounding (see the header): to nearest, ties to even, clamped; NaN becomes 0.
template <class T>
T round_to_integer(double value) {
  if (std::isnan(value)) return 0;
  constexpr auto lowest = std::numeric_limits<T>::lowest();
  constexpr auto highest = std::numeric_limits<T>::max();
  // Compare in double before converting: converting an out-of-range double is undefined.
  // 2^63 (the first double above int64's range) is exact; lowest() converts exactly.
  if (value <= static_cast<double>(lowest)) return lowest;
  if (value >= std::ldexp(1.0, std::numeric_limits<T>::digits)) return highest;
  const double rounded = value < 0 ? -round_half_even(-value) : round_half_even(value);
  if (rounded >= static_cast<double>(highest)) return highest;  // only reachable for narrow types
  return static_cast<T>(rounded);
}

}  // namespace

result<dtype> dtype_from_name(std::string_view text, std::string_view subject) {
  std::string known;
  for (dtype type : all_dtypes) {
    if (name(type) == text) return type;
    if (!known.empty()) known += ", ";
    known += name(type);
  }
  return fail(std::string(subject), "unknown dtype \"" + std::string(text) + "\"",
              "use one of: " + known);
}

std::string_view name(dtype type) {
  switch (type) {
    case dtype::float32: return "float32";
    case dtype::float16: return "float16";
    case dtype::bfloat16: return "bfloat16";
    case dtype::float8_e4m3fn: return "float8_e4m3fn";
    case dtype::float8_e5m2: return "float8_e5m2";
    case dtype::int64: return "int64";
    case dtype::int32: return "int32";
    case dtype::int16: return "int16";
    case dtype::int8: return "int8";
    case dtype::uint8: return "uint8";
    case dtype::boolean: return "bool";
  }
  return "unknown";
}

std::size_t size_bytes(dtype type) {
  switch (type) {
    case dtype::int64: return 8;
    case dtype::float32:
    case dtype::int32: return 4;
    case dtype::float16:
    case dtype::bfloat16:
    case dtype::int16: return 2;
    case dtype::float8_e4m3fn:
    case dtype::float8_e5m2:
    case dtype::int8:
    case dtype::uint8:
    case dtype::boolean: return 1;
  }
  return 0;
}

bool is_floating(dtype type) { return minifloat_of(type) != nullptr; }

float float16_to_float(std::uint16_t bits) { return static_cast<float>(decode_minifloat(kFloat16, bits)); }
float bfloat16_to_float(std::uint16_t bits) { return static_cast<float>(decode_minifloat(kBfloat16, bits)); }
float float8_e4m3fn_to_float(std::uint8_t bits) { return static_cast<float>(decode_minifloat(kE4m3fn, bits)); }
float float8_e5m2_to_float(std::uint8_t bits) { return static_cast<float>(decode_minifloat(kE5m2, bits)); }

std::uint16_t float_to_float16(double value) { return static_cast<std::uint16_t>(encode_minifloat(kFloat16, value)); }
std::uint16_t float_to_bfloat16(double value) { return static_cast<std::uint16_t>(encode_minifloat(kBfloat16, value)); }
std::uint8_t float_to_float8_e4m3fn(double value) { return static_cast<std::uint8_t>(encode_minifloat(kE4m3fn, value)); }
std::uint8_t float_to_float8_e5m2(double value) { return static_cast<std::uint8_t>(encode_minifloat(kE5m2, value)); }

double round_to(dtype type, double value) {
  if (const minifloat* format = minifloat_of(type)) {
    return decode_minifloat(*format, encode_minifloat(*format, value));
  }
  switch (type) {
    case dtype::int64: return static_cast<double>(round_to_integer<std::int64_t>(value));
    case dtype::int32: return round_to_integer<std::int32_t>(value);
    case dtype::int16: return round_to_integer<std::int16_t>(value);
    case dtype::int8: return round_to_integer<std::int8_t>(value);
    case dtype::uint8: return round_to_integer<std::uint8_t>(value);
    case dtype::boolean: return value != 0 ? 1.0 : 0.0;  // NaN != 0: true, as in C++ and PyTorch
    default: return value;
  }
}

namespace {

// One element of an integer (or bool) tensor, widened exactly.
std::int64_t load_integer(dtype type, const void* data, std::size_t index) {
  switch (type) {
    case dtype::int64: return load<std::int64_t>(data, index);
    case dtype::int32: return load<std::int32_t>(data, index);
    case dtype::int16: return load<std::int16_t>(data, index);
    case dtype::int8: return load<std::int8_t>(data, index);
    case dtype::uint8:
    case dtype::boolean: return load<std::uint8_t>(data, index);
    default: throw std::invalid_argument("load_integer called for " + std::string(name(type)) + ", a floating type");
  }
}

}  // namespace

void decode_to_double(dtype type, const void* data, std::size_t first, std::span<double> out) {
  if (const minifloat* format = minifloat_of(type)) {
    if (type == dtype::float32) {  // the common case: a plain load
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = load<float>(data, first + i);
      return;
    }
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = decode_minifloat(*format, load_bits(type, data, first + i));
    return;
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(load_integer(type, data, first + i));
}

void decode_to_int64(dtype type, const void* data, std::size_t first, std::span<std::int64_t> out) {
  if (is_floating(type)) {
    throw std::invalid_argument("decode_to_int64 called for " + std::string(name(type)) + ", a floating type");
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = load_integer(type, data, first + i);
}

std::vector<double> to_double(dtype type, const void* data, std::size_t count) {
  std::vector<double> values(count);
  decode_to_double(type, data, 0, values);
  return values;
}

std::vector<std::byte> encode(dtype type, std::span<const double> values) {
  std::vector<std::byte> out(values.size() * size_bytes(type));
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    switch (type) {
      case dtype::float32: store(out, i, std::bit_cast<float>(encode_minifloat(kFloat32, v))); break;
      case dtype::float16: store(out, i, float_to_float16(v)); break;
      case dtype::bfloat16: store(out, i, float_to_bfloat16(v)); break;
      case dtype::float8_e4m3fn: store(out, i, float_to_float8_e4m3fn(v)); break;
      case dtype::float8_e5m2: store(out, i, float_to_float8_e5m2(v)); break;
      case dtype::int64: store(out, i, round_to_integer<std::int64_t>(v)); break;
      case dtype::int32: store(out, i, round_to_integer<std::int32_t>(v)); break;
      case dtype::int16: store(out, i, round_to_integer<std::int16_t>(v)); break;
      case dtype::int8: store(out, i, round_to_integer<std::int8_t>(v)); break;
      case dtype::uint8: store(out, i, round_to_integer<std::uint8_t>(v)); break;
      case dtype::boolean: store(out, i, static_cast<std::uint8_t>(v != 0 ? 1 : 0)); break;
    }
  }
  return out;
}

}  // namespace ksearch::eval
