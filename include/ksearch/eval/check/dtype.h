// ksearch/eval/check/dtype.h — the element types of task tensors, and exact host conversions.
//
// Names follow the FlashInfer Trace schema ("float32", "bfloat16", "float8_e4m3fn", "bool", ...).
// The decoders are exact: every value of every floating type here is representable in a float
// (and so in a double), and the integer types decode to int64 without loss. The encoders round to
// nearest, ties to even, from a double, so rounding a float32 or float64 reference to a narrower
// output type happens once (no double rounding through float):
//   - float16, bfloat16, float8_e5m2: IEEE-like; overflow becomes ±inf, NaN stays NaN.
//   - float8_e4m3fn: no infinities; 0x7F/0xFF are NaN; everything beyond ±448 (±inf included)
//     saturates to ±448 (docs/task-formats.md, "FlashInfer-Bench: inputs").
//   - integers: rounded to nearest (ties to even) and clamped to the type's range, NaN to 0;
//     bool: any non-zero value is 1.
// Bytes are little-endian (the host and every CUDA GPU).
//
// Thread-safety: every function here is pure and may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch::eval {

enum class dtype {
  float32,
  float16,
  bfloat16,
  float8_e4m3fn,
  float8_e5m2,
  int64,
  int32,
  int16,
  int8,
  uint8,
  boolean,  // one byte, 0 or 1 (named "bool")
};

/// Every dtype, in declaration order (for tests and tables).
inline constexpr dtype all_dtypes[] = {dtype::float32,       dtype::float16,     dtype::bfloat16,
                                       dtype::float8_e4m3fn, dtype::float8_e5m2, dtype::int64,
                                       dtype::int32,         dtype::int16,       dtype::int8,
                                       dtype::uint8,         dtype::boolean};

/// The dtype named `text` ("bfloat16", "bool", ...). On an unknown name the error's subject is
/// `subject` (say, the JSON path "definitions/x.json: outputs.o.dtype") and the problem lists the
/// names that are known.
[[nodiscard]] result<dtype> dtype_from_name(std::string_view text, std::string_view subject = "dtype");

/// The FlashInfer name: "float32", ..., "bool".
[[nodiscard]] std::string_view name(dtype type);
/// Bytes per element.
[[nodiscard]] std::size_t size_bytes(dtype type);
/// True for the five floating types; false for the integers and bool.
[[nodiscard]] bool is_floating(dtype type);

// ---- single values: bit patterns <-> numbers ---------------------------------------------------

[[nodiscard]] float float16_to_float(std::uint16_t bits);
[[nodiscard]] float bfloat16_to_float(std::uint16_t bits);
[[nodiscard]] float float8_e4m3fn_to_float(std::uint8_t bits);
[[nodiscard]] float float8_e5m2_to_float(std::uint8_t bits);

[[nodiscard]] std::uint16_t float_to_float16(double value);
[[nodiscard]] std::uint16_t float_to_bfloat16(double value);
[[nodiscard]] std::uint8_t float_to_float8_e4m3fn(double value);
[[nodiscard]] std::uint8_t float_to_float8_e5m2(double value);

/// `value` rounded to the nearest value of `type` (by the rules in the file comment), as a double:
/// the number an output of that type would hold. float32 rounds through float.
[[nodiscard]] double round_to(dtype type, double value);

// ---- arrays -----------------------------------------------------------------------------------

/// Decodes elements [first, first + out.size()) of the array of `type` at `data` into `out`.
/// Integers above 2^53 in magnitude round to the nearest double; bool decodes its raw byte
/// (0, 1, or whatever else is there), so that a stray byte is visible to the comparators.
void decode_to_double(dtype type, const void* data, std::size_t first, std::span<double> out);

/// Decodes elements [first, first + out.size()) of an integer or bool array exactly. Calling it
/// for a floating type is a programming error (std::invalid_argument).
void decode_to_int64(dtype type, const void* data, std::size_t first, std::span<std::int64_t> out);

/// The `count` elements at `data`, decoded (see decode_to_double).
[[nodiscard]] std::vector<double> to_double(dtype type, const void* data, std::size_t count);

/// `values` rounded (see round_to) and stored as `type`: values.size() * size_bytes(type) bytes,
/// ready to upload or to compare against. Used to build test data and to round host references to
/// the output dtype.
[[nodiscard]] std::vector<std::byte> encode(dtype type, std::span<const double> values);

}  // namespace ksearch::eval
