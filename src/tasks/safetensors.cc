#include "ksearch/tasks/safetensors.h"

// Implementation notes.
//   The header is parsed with json; a parse callback spots a tensor name given twice
//   (the JSON object itself would silently keep one of them). Sizes are checked with overflow-safe
//   arithmetic in 64 bits before any view is made, so a hostile header can neither point outside
//   the mapping nor wrap a product around. The 100,000,000-byte header limit is the reference
//   library's: a header longer than that is refused there too.

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <numeric>
#include <set>
#include <utility>

#include "ksearch/common/json.h"
#include "ksearch/common/posix.h"
#include "ksearch/store/durable_file.h"

namespace ksearch::tasks {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would need byte swaps");

namespace {

constexpr std::uint64_t length_field_bytes = 8;
constexpr std::uint64_t max_header_bytes = 100'000'000;

struct dtype_info {
  safetensors_dtype type;
  std::string_view code;
  std::size_t bits;
  std::string_view flashinfer;
};

constexpr std::array<dtype_info, 22> dtype_table = {{
    {safetensors_dtype::boolean, "BOOL", 8, "bool"},
    {safetensors_dtype::f4, "F4", 4, "float4_e2m1"},
    {safetensors_dtype::f6_e2m3, "F6_E2M3", 6, "float6_e2m3fn"},
    {safetensors_dtype::f6_e3m2, "F6_E3M2", 6, "float6_e3m2fn"},
    {safetensors_dtype::u8, "U8", 8, "uint8"},
    {safetensors_dtype::i8, "I8", 8, "int8"},
    {safetensors_dtype::f8_e5m2, "F8_E5M2", 8, "float8_e5m2"},
    {safetensors_dtype::f8_e4m3, "F8_E4M3", 8, "float8_e4m3fn"},
    {safetensors_dtype::f8_e8m0, "F8_E8M0", 8, "float8_e8m0fnu"},
    {safetensors_dtype::f8_e4m3fnuz, "F8_E4M3FNUZ", 8, "float8_e4m3fnuz"},
    {safetensors_dtype::f8_e5m2fnuz, "F8_E5M2FNUZ", 8, "float8_e5m2fnuz"},
    {safetensors_dtype::i16, "I16", 16, "int16"},
    {safetensors_dtype::u16, "U16", 16, "uint16"},
    {safetensors_dtype::f16, "F16", 16, "float16"},
    {safetensors_dtype::bf16, "BF16", 16, "bfloat16"},
    {safetensors_dtype::i32, "I32", 32, "int32"},
    {safetensors_dtype::u32, "U32", 32, "uint32"},
    {safetensors_dtype::f32, "F32", 32, "float32"},
    {safetensors_dtype::c64, "C64", 64, "complex64"},
    {safetensors_dtype::f64, "F64", 64, "float64"},
    {safetensors_dtype::i64, "I64", 64, "int64"},
    {safetensors_dtype::u64, "U64", 64, "uint64"},
}};

constexpr bool table_follows_enum() {
  for (std::size_t i = 0; i < dtype_table.size(); ++i) {
    if (static_cast<std::size_t>(dtype_table[i].type) != i) return false;
  }
  return true;
}
static_assert(table_follows_enum(), "dtype_table is indexed by safetensors_dtype");

const dtype_info& info(safetensors_dtype type) { return dtype_table[static_cast<std::size_t>(type)]; }

std::string known_codes() {
  std::string out;
  for (const dtype_info& d : dtype_table) out += (out.empty() ? "" : ", ") + std::string(d.code);
  return out;
}

std::string in_quotes(std::string_view name) { return "\"" + std::string(name) + "\""; }
std::string tensor_subject(const std::string& where, std::string_view name) {
  return where + ": tensor " + in_quotes(name);
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

std::string range_text(std::uint64_t begin, std::uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

/// [bytes] of a tensor, or an error text when the shape overflows or is not a whole byte count.
std::expected<std::uint64_t, std::string> byte_size(safetensors_dtype type, const std::vector<std::int64_t>& shape) {
  std::uint64_t bits = bit_width(type);
  for (std::int64_t dim : shape) {
    if (__builtin_mul_overflow(bits, static_cast<std::uint64_t>(dim), &bits)) {
      return std::unexpected("shape " + shape_text(shape) + " overflows 64 bits");
    }
  }
  if (bits % 8 != 0) {
    return std::unexpected(std::string(info(type).code) + " " + shape_text(shape) + " is " + std::to_string(bits) +
                           " bits, not a whole number of bytes");
  }
  return bits / 8;
}

/// True when `text` is well-formed UTF-8 (what JSON text must be).
bool is_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;  // continuation bytes after the lead byte
    std::uint32_t code = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      code = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      code = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      code = lead & 0x07u;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3Fu);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    constexpr std::array<std::uint32_t, 4> smallest = {0, 0x80, 0x800, 0x10000};
    if (code < smallest[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace

// ---- dtypes ------------------------------------------------------------------------------------

std::string_view safetensors_code(safetensors_dtype type) { return info(type).code; }

std::optional<safetensors_dtype> safetensors_dtype_from_code(std::string_view code) {
  for (const dtype_info& d : dtype_table) {
    if (d.code == code) return d.type;
  }
  return std::nullopt;
}

std::size_t bit_width(safetensors_dtype type) { return info(type).bits; }

std::string_view flashinfer_dtype_name(safetensors_dtype type) { return info(type).flashinfer; }

result<safetensors_dtype> safetensors_dtype_from_flashinfer(std::string_view name, std::string_view subject) {
  std::string known;
  for (const dtype_info& d : dtype_table) {
    if (d.flashinfer == name) return d.type;
    known += (known.empty() ? "" : ", ") + std::string(d.flashinfer);
  }
  return fail(std::string(subject), "no safetensors dtype for '" + std::string(name) + "'", "known: " + known);
}

std::int64_t safetensors_tensor::element_count() const {
  return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>());
}

// ---- reading -----------------------------------------------------------------------------------

struct safetensors_file::storage {
  const std::byte* data = nullptr;
  std::size_t size = 0;
  void* mapping = nullptr;  // owned when not null: munmap'd by the destructor
  std::size_t mapping_size = 0;
  std::string owned;  // the bytes when parse() was given them

  storage() = default;
  storage(const storage&) = delete;
  storage& operator=(const storage&) = delete;
  ~storage() {
    if (mapping != nullptr) ::munmap(mapping, mapping_size);
  }
};

safetensors_file::safetensors_file(std::unique_ptr<storage> bytes, std::string where)
    : storage_(std::move(bytes)), where_(std::move(where)) {}
safetensors_file::safetensors_file(safetensors_file&&) noexcept = default;
safetensors_file& safetensors_file::operator=(safetensors_file&&) noexcept = default;
safetensors_file::~safetensors_file() = default;

result<safetensors_file> safetensors_file::open(const std::filesystem::path& file) {
  const std::string where = file.string();
  const unique_fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(where, "cannot open: " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return fail(where, "not a regular file");
  auto bytes = std::make_unique<storage>();
  bytes->size = static_cast<std::size_t>(st.st_size);
  // An empty file cannot be mapped; load() reports it as truncated. The mapping outlives fd.
  if (bytes->size > 0) {
    void* mapped = ::mmap(nullptr, bytes->size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (mapped == MAP_FAILED) return fail(where, "mmap: " + errno_text(errno));
    bytes->mapping = mapped;
    bytes->mapping_size = bytes->size;
    bytes->data = static_cast<const std::byte*>(mapped);
  }
  safetensors_file out(std::move(bytes), where);
  if (auto loaded = out.load(); !loaded) return std::unexpected(loaded.error());
  return out;
}

result<safetensors_file> safetensors_file::parse(std::string contents, std::string where) {
  auto bytes = std::make_unique<storage>();
  bytes->owned = std::move(contents);
  bytes->data = reinterpret_cast<const std::byte*>(bytes->owned.data());
  bytes->size = bytes->owned.size();
  safetensors_file out(std::move(bytes), std::move(where));
  if (auto loaded = out.load(); !loaded) return std::unexpected(loaded.error());
  return out;
}

result<void> safetensors_file::load() {
  const std::byte* data = storage_->data;
  const std::uint64_t size = storage_->size;

  // 1. The length field, and a header that fits in the file.
  if (size < length_field_bytes) {
    return fail(where_, "truncated: " + std::to_string(size) +
                            " bytes, shorter than the 8-byte header length a safetensors file starts with");
  }
  std::uint64_t n = 0;
  std::memcpy(&n, data, sizeof n);
  if (n > max_header_bytes) {
    return fail(where_, "header length " + std::to_string(n) + " is over the format's limit of " +
                            std::to_string(max_header_bytes) + " bytes",
                "the file is damaged or not a safetensors file");
  }
  if (n > size - length_field_bytes) {
    return fail(where_, "header length " + std::to_string(n) + " runs past the end of the file (" +
                            std::to_string(size - length_field_bytes) + " bytes follow the length field)",
                "the file is truncated or not a safetensors file");
  }
  header_size_ = n;
  buffer_size_ = size - length_field_bytes - n;
  const auto* header_begin = reinterpret_cast<const char*>(data + length_field_bytes);

  // 2. The header: a JSON object, no name given twice.
  std::set<std::string> seen;
  std::string duplicate;
  const json::parser_callback_t note_duplicates = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key && !seen.insert(parsed.get<std::string>()).second) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  const json header = json::parse(header_begin, header_begin + n, note_duplicates, /*allow_exceptions=*/false);
  if (header.is_discarded()) {
    const std::string_view start(header_begin, std::min<std::uint64_t>(n, 40));
    return fail(where_, "the header is not valid JSON (it starts: " + std::string(start) + ")",
                "the file is damaged or not a safetensors file");
  }
  if (!header.is_object()) return fail(where_, "the header must be a JSON object of tensor name -> description");
  if (!duplicate.empty()) return fail(tensor_subject(where_, duplicate), "named twice in the header");

  // 3. Every entry: metadata strings, or a tensor with a known dtype, a shape and offsets that
  //    hold exactly its bytes inside the buffer.
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) return fail(where_ + ": __metadata__", "must be an object of string -> string");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) return fail(where_ + ": __metadata__." + key, "must be a string, not " + value.dump());
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string at = tensor_subject(where_, name);
    if (!entry.is_object()) return fail(at, "must be an object with dtype, shape and data_offsets");
    safetensors_tensor t{.name = name};

    const auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string()) return fail(at, "dtype is missing or not a string");
    const auto type = safetensors_dtype_from_code(dtype->get<std::string>());
    if (!type) return fail(at, "unknown dtype " + dtype->dump(), "known: " + known_codes());
    t.dtype = *type;

    const auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array()) return fail(at, "shape is missing or not a list");
    for (const json& dim : *shape) {
      if (!dim.is_number_unsigned() || dim.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        return fail(at, "shape " + shape->dump() + " must list integers >= 0");
      }
      t.shape.push_back(dim.get<std::int64_t>());
    }

    const auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned()) {
      return fail(at, "data_offsets must be [begin, end], two integers >= 0");
    }
    t.begin = (*offsets)[0].get<std::uint64_t>();
    t.end = (*offsets)[1].get<std::uint64_t>();
    if (t.begin > t.end) return fail(at, "data_offsets " + range_text(t.begin, t.end) + " end before they begin");

    auto bytes = byte_size(t.dtype, t.shape);
    if (!bytes) return fail(at, bytes.error());
    if (t.end - t.begin != *bytes) {
      return fail(at, "data_offsets " + range_text(t.begin, t.end) + " hold " + std::to_string(t.end - t.begin) +
                          " bytes, but " + std::string(safetensors_code(t.dtype)) + " " + shape_text(t.shape) +
                          " needs " + std::to_string(*bytes));
    }
    if (t.end > buffer_size_) {
      return fail(at, "data_offsets " + range_text(t.begin, t.end) + " run past the end of the data buffer (" +
                          std::to_string(buffer_size_) + " bytes)",
                  "the file is truncated");
    }
    t.bytes = std::span<const std::byte>(data + length_field_bytes + n + t.begin, t.end - t.begin);
    tensors_.push_back(std::move(t));
  }

  // 4. No two tensors share a byte (empty tensors hold none). Gaps are fine.
  std::sort(tensors_.begin(), tensors_.end(), [](const safetensors_tensor& a, const safetensors_tensor& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  const safetensors_tensor* last = nullptr;  // the non-empty tensor ending furthest so far
  for (const safetensors_tensor& t : tensors_) {
    if (t.begin == t.end) continue;
    if (last != nullptr && t.begin < last->end) {
      return fail(tensor_subject(where_, t.name), "data_offsets " + range_text(t.begin, t.end) + " overlap tensor " +
                                                      in_quotes(last->name) + " at " + range_text(last->begin, last->end));
    }
    if (last == nullptr || t.end > last->end) last = &t;
  }
  return {};
}

const safetensors_tensor* safetensors_file::find(std::string_view name) const {
  auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const safetensors_tensor& t) { return t.name == name; });
  return it == tensors_.end() ? nullptr : &*it;
}

result<std::reference_wrapper<const safetensors_tensor>> safetensors_file::tensor(std::string_view name) const {
  if (const safetensors_tensor* t = find(name)) return std::cref(*t);
  std::vector<std::string> names;
  for (const safetensors_tensor& t : tensors_) names.push_back(t.name);
  std::sort(names.begin(), names.end());
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  return fail(tensor_subject(where_, name), "not in the file",
              known.empty() ? "the file holds no tensors" : "it holds: " + known);
}

result<std::span<const std::byte>> safetensors_file::bytes_of(std::string_view name, safetensors_dtype type) const {
  auto t = tensor(name);
  if (!t) return std::unexpected(t.error());
  const safetensors_tensor& found = t->get();
  if (found.dtype != type) {
    return fail(tensor_subject(where_, name), "is " + std::string(safetensors_code(found.dtype)) + ", not " +
                                                  std::string(safetensors_code(type)));
  }
  return found.bytes;
}

// ---- writing -----------------------------------------------------------------------------------

result<std::string> serialize_safetensors(std::span<const safetensors_entry> tensors,
                                          const std::map<std::string, std::string>& metadata,
                                          const std::string& where) {
  // 1. Check every entry before anything is laid out.
  std::set<std::string_view> names;
  for (const safetensors_entry& t : tensors) {
    const std::string at = tensor_subject(where, t.name);
    if (t.name.empty()) return fail(where + ": tensor \"\"", "a tensor needs a name");
    if (t.name == "__metadata__") return fail(at, "the name is reserved for the metadata");
    if (!is_utf8(t.name)) return fail(at, "the name is not valid UTF-8");
    if (!names.insert(t.name).second) return fail(at, "named twice");
    if (std::any_of(t.shape.begin(), t.shape.end(), [](std::int64_t d) { return d < 0; })) {
      return fail(at, "shape " + shape_text(t.shape) + " has a negative dimension");
    }
    auto bytes = byte_size(t.dtype, t.shape);
    if (!bytes) return fail(at, bytes.error());
    if (t.bytes.size() != *bytes) {
      return fail(at, std::to_string(t.bytes.size()) + " bytes given, but " + std::string(safetensors_code(t.dtype)) +
                          " " + shape_text(t.shape) + " needs " + std::to_string(*bytes));
    }
  }
  for (const auto& [key, value] : metadata) {
    if (!is_utf8(key) || !is_utf8(value)) return fail(where + ": __metadata__." + key, "not valid UTF-8");
  }

  // 2. The reference library's order: widest dtype rank first, then by name.
  std::vector<const safetensors_entry*> order;
  for (const safetensors_entry& t : tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const safetensors_entry* a, const safetensors_entry* b) {
    if (a->dtype != b->dtype) return a->dtype > b->dtype;
    return a->name < b->name;
  });

  // 3. The header, padded with spaces to a multiple of 8 bytes.
  ordered_json header = ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const safetensors_entry* t : order) {
    ordered_json entry = ordered_json::object();
    entry["dtype"] = safetensors_code(t->dtype);
    entry["shape"] = t->shape;
    entry["data_offsets"] = {offset, offset + t->bytes.size()};
    header[t->name] = std::move(entry);
    offset += t->bytes.size();
  }
  std::string text = header.dump();
  text.resize((text.size() + length_field_bytes - 1) / length_field_bytes * length_field_bytes, ' ');

  // 4. Length, header, data.
  std::string out;
  out.reserve(length_field_bytes + text.size() + offset);
  const std::uint64_t n = text.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out += text;
  for (const safetensors_entry* t : order) out.append(reinterpret_cast<const char*>(t->bytes.data()), t->bytes.size());
  return out;
}

result<void> write_safetensors(const std::filesystem::path& file, std::span<const safetensors_entry> tensors,
                               const std::map<std::string, std::string>& metadata) {
  auto bytes = serialize_safetensors(tensors, metadata, file.string());
  if (!bytes) return std::unexpected(bytes.error());
  return store::write_file_atomic(file, *bytes);
}

}  // namespace ksearch::tasks
