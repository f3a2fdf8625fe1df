// ksearch/tasks/safetensors.h — reading and writing safetensors files, the blob format of
// FlashInfer Trace datasets (workload inputs of type "safetensors").
//
// A file is an 8-byte little-endian header length N, N bytes of JSON header and a data buffer:
//   {"__metadata__": {string: string}, "<tensor>": {"dtype": "F32", "shape": [2, 3],
//    "data_offsets": [begin, end]}, ...}
// with offsets in bytes from the start of the buffer, elements little-endian and C-contiguous.
//
// Reading maps the file read-only and checks everything before handing out a view: the header
// length is sane and inside the file, the header is a JSON object, every dtype is known, shapes
// are non-negative, end - begin is exactly the tensor's size, offsets lie inside the buffer and
// no two tensors overlap. Unlike the reference library, gaps between tensors and bytes after the
// last one are accepted. Every error names the file, and the tensor when one is at fault.
//
// Writing lays the file out as the reference library (`safetensors` 0.3.1 and later) does, so the same
// tensors and at most one metadata entry give the same bytes: tensors ordered by decreasing dtype
// rank (the enum order below, which keeps every tensor aligned to its element size), ties by name;
// compact JSON with the keys dtype, shape, data_offsets; "__metadata__" first and only when
// non-empty; the header padded with spaces to a multiple of 8 bytes. The file is replaced
// atomically (temp file + fsync + rename); the whole file is built in memory first.
//
// Thread-safety: a safetensors_file is immutable once open; its const members may be called from
// any thread. The free functions are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ksearch/common/error.h"

namespace ksearch::tasks {

/// The element types of the format, in the reference library's order of increasing alignment
/// (the writer's layout key). Sub-byte types (f4, f6_*) pack elements into bits.
enum class safetensors_dtype : std::uint8_t {
  boolean,  // "BOOL": one byte, 0 or 1
  f4,
  f6_e2m3,
  f6_e3m2,
  u8,
  i8,
  f8_e5m2,
  f8_e4m3,  // "F8_E4M3": torch.float8_e4m3fn (no infinities)
  f8_e8m0,
  f8_e4m3fnuz,
  f8_e5m2fnuz,
  i16,
  u16,
  f16,
  bf16,
  i32,
  u32,
  f32,
  c64,
  f64,
  i64,
  u64,
};

inline constexpr safetensors_dtype all_safetensors_dtypes[] = {
    safetensors_dtype::boolean,     safetensors_dtype::f4,      safetensors_dtype::f6_e2m3,
    safetensors_dtype::f6_e3m2,     safetensors_dtype::u8,      safetensors_dtype::i8,
    safetensors_dtype::f8_e5m2,     safetensors_dtype::f8_e4m3, safetensors_dtype::f8_e8m0,
    safetensors_dtype::f8_e4m3fnuz, safetensors_dtype::f8_e5m2fnuz, safetensors_dtype::i16,
    safetensors_dtype::u16,         safetensors_dtype::f16,     safetensors_dtype::bf16,
    safetensors_dtype::i32,         safetensors_dtype::u32,     safetensors_dtype::f32,
    safetensors_dtype::c64,         safetensors_dtype::f64,     safetensors_dtype::i64,
    safetensors_dtype::u64};

/// The header's spelling: "F32", "BF16", "F8_E4M3", "BOOL", ...
[[nodiscard]] std::string_view safetensors_code(safetensors_dtype type);
/// The dtype spelled `code` in a header; nullopt when the format has no such type.
[[nodiscard]] std::optional<safetensors_dtype> safetensors_dtype_from_code(std::string_view code);
/// [bits] per element: 4 for F4, 6 for F6_*, 8 for BOOL and the one-byte types, ... 64.
[[nodiscard]] std::size_t bit_width(safetensors_dtype type);

/// The FlashInfer Trace (PyTorch) name: float32, float16, bfloat16, float8_e4m3fn, float8_e5m2,
/// int64, int32, int16, int8, uint8, bool, float64; types FlashInfer does not list get PyTorch's
/// name (uint16, float8_e8m0fnu, complex64, ...; F4 is float4_e2m1).
[[nodiscard]] std::string_view flashinfer_dtype_name(safetensors_dtype type);
/// The safetensors dtype of a FlashInfer (PyTorch) dtype name; the error's subject is `subject`.
[[nodiscard]] result<safetensors_dtype> safetensors_dtype_from_flashinfer(std::string_view name,
                                                                          std::string_view subject = "dtype");

/// One tensor of an open file. `bytes` points into the file's mapping: valid while the
/// safetensors_file lives (moving the file keeps it valid).
struct safetensors_tensor {
  std::string name;
  safetensors_dtype dtype = safetensors_dtype::f32;
  std::vector<std::int64_t> shape;  // empty for a 0-d tensor (one element)
  std::uint64_t begin = 0;          // [bytes] data_offsets, from the start of the data buffer
  std::uint64_t end = 0;
  std::span<const std::byte> bytes;  // end - begin bytes, no alignment promised: copy, don't cast

  /// Product of the shape (1 for a 0-d tensor).
  [[nodiscard]] std::int64_t element_count() const;
};

/// The C++ element type that copies a dtype's values out exactly (raw bits for the narrow floats:
/// read F16/BF16 as std::uint16_t, F8 as std::uint8_t through `bytes`).
template <class T>
constexpr std::optional<safetensors_dtype> native_safetensors_dtype() {
  if constexpr (std::is_same_v<T, bool>) return safetensors_dtype::boolean;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return safetensors_dtype::u8;
  else if constexpr (std::is_same_v<T, std::int8_t>) return safetensors_dtype::i8;
  else if constexpr (std::is_same_v<T, std::int16_t>) return safetensors_dtype::i16;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return safetensors_dtype::u16;
  else if constexpr (std::is_same_v<T, std::int32_t>) return safetensors_dtype::i32;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return safetensors_dtype::u32;
  else if constexpr (std::is_same_v<T, float>) return safetensors_dtype::f32;
  else if constexpr (std::is_same_v<T, double>) return safetensors_dtype::f64;
  else if constexpr (std::is_same_v<T, std::int64_t>) return safetensors_dtype::i64;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return safetensors_dtype::u64;
  else return std::nullopt;
}

class safetensors_file {
 public:
  /// Maps `file` read-only and validates it (see the top of this header).
  [[nodiscard]] static result<safetensors_file> open(const std::filesystem::path& file);
  /// Validates the bytes of a whole file held in memory; `where` names it in errors.
  [[nodiscard]] static result<safetensors_file> parse(std::string contents, std::string where);

  safetensors_file(safetensors_file&&) noexcept;
  safetensors_file& operator=(safetensors_file&&) noexcept;
  safetensors_file(const safetensors_file&) = delete;
  safetensors_file& operator=(const safetensors_file&) = delete;
  ~safetensors_file();

  /// The name used in errors: the path given to open(), or parse()'s `where`.
  [[nodiscard]] const std::string& where() const { return where_; }
  /// [bytes] N, the header's length as the file states it (padding included).
  [[nodiscard]] std::uint64_t header_size() const { return header_size_; }
  /// [bytes] the data buffer: everything after the header.
  [[nodiscard]] std::uint64_t buffer_size() const { return buffer_size_; }
  /// Every tensor, by increasing data offset (the file's own order).
  [[nodiscard]] const std::vector<safetensors_tensor>& tensors() const { return tensors_; }
  [[nodiscard]] const std::map<std::string, std::string>& metadata() const { return metadata_; }

  /// The tensor called `name`, or nullptr.
  [[nodiscard]] const safetensors_tensor* find(std::string_view name) const;
  /// The tensor called `name`; the error names the file and the tensor and lists those there are.
  [[nodiscard]] result<std::reference_wrapper<const safetensors_tensor>> tensor(std::string_view name) const;

  /// The elements of tensor `name` copied out as T (see native_safetensors_dtype); errors: no such
  /// tensor, or a dtype other than T's.
  template <class T>
  [[nodiscard]] result<std::vector<T>> values(std::string_view name) const {
    constexpr std::optional<safetensors_dtype> type = native_safetensors_dtype<T>();
    static_assert(type.has_value(), "no safetensors dtype holds this C++ type exactly");
    auto bytes = bytes_of(name, *type);
    if (!bytes) return std::unexpected(bytes.error());
    std::vector<T> out(bytes->size() / sizeof(T));
    if constexpr (std::is_same_v<T, bool>) {
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = (*bytes)[i] != std::byte{0};
    } else if (!out.empty()) {
      std::memcpy(out.data(), bytes->data(), bytes->size());
    }
    return out;
  }

 private:
  struct storage;  // the mapping or the owned bytes; defined in the .cc
  safetensors_file(std::unique_ptr<storage> bytes, std::string where);
  [[nodiscard]] result<void> load();
  [[nodiscard]] result<std::span<const std::byte>> bytes_of(std::string_view name, safetensors_dtype type) const;

  std::unique_ptr<storage> storage_;  // owned; heap-held so views survive a move of the file
  std::string where_;
  std::uint64_t header_size_ = 0;
  std::uint64_t buffer_size_ = 0;
  std::vector<safetensors_tensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// One tensor to write. `bytes` is not owned: it must stay valid during the call.
struct safetensors_entry {
  std::string name;
  safetensors_dtype dtype = safetensors_dtype::f32;
  std::vector<std::int64_t> shape;
  std::span<const std::byte> bytes;  // exactly the tensor's size, C-contiguous, little-endian
};

/// The bytes of a safetensors file holding `tensors` and `metadata`. Errors (subject: `where` and
/// the tensor): empty, duplicate or reserved ("__metadata__") names, text that is not UTF-8, a
/// negative dimension, a byte count that does not match dtype and shape.
[[nodiscard]] result<std::string> serialize_safetensors(std::span<const safetensors_entry> tensors,
                                                        const std::map<std::string, std::string>& metadata,
                                                        const std::string& where);

/// serialize_safetensors, then write_file_atomic to `file` (parent folders created).
[[nodiscard]] result<void> write_safetensors(const std::filesystem::path& file,
                                             std::span<const safetensors_entry> tensors,
                                             const std::map<std::string, std::string>& metadata = {});

}  // namespace ksearch::tasks
