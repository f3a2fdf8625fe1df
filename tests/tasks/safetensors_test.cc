#include "ksearch/tasks/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace ksearch::tasks {
namespace {

using test_support::temp_dir;

std::span<const std::byte> as_bytes(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

template <class T>
std::string raw(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

std::string length_field(std::uint64_t n) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  return out;
}

/// A file made of a header (padded here to 8 bytes with spaces) and a data buffer.
std::string file_bytes(std::string header, const std::string& data) {
  while (header.size() % 8 != 0) header += ' ';
  return length_field(header.size()) + header + data;
}

std::string error_text(const std::string& contents, const std::string& where = "blob.safetensors") {
  auto file = safetensors_file::parse(contents, where);
  return file ? "loaded" : file.error().to_string();
}

// ---- dtypes ------------------------------------------------------------------------------------

TEST(Safetensors, MapsEveryFormatDtypeToTheFlashInferName) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"F32", "float32"},          {"F16", "float16"}, {"BF16", "bfloat16"}, {"F8_E4M3", "float8_e4m3fn"},
      {"F8_E5M2", "float8_e5m2"},  {"I64", "int64"},   {"I32", "int32"},     {"I16", "int16"},
      {"I8", "int8"},              {"U8", "uint8"},    {"BOOL", "bool"},     {"F64", "float64"}};
  for (const auto& [code, name] : expected) {
    auto type = safetensors_dtype_from_code(code);
    ASSERT_TRUE(type.has_value()) << code;
    EXPECT_EQ(safetensors_code(*type), code);
    EXPECT_EQ(flashinfer_dtype_name(*type), name);
    auto back = safetensors_dtype_from_flashinfer(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, *type);
  }
  for (safetensors_dtype type : all_safetensors_dtypes) {
    EXPECT_EQ(safetensors_dtype_from_code(safetensors_code(type)), type);
    EXPECT_EQ(safetensors_dtype_from_flashinfer(flashinfer_dtype_name(type)).value(), type);
  }
  EXPECT_EQ(bit_width(safetensors_dtype::f4), 4u);
  EXPECT_EQ(bit_width(safetensors_dtype::bf16), 16u);
  EXPECT_EQ(bit_width(safetensors_dtype::u64), 64u);
  EXPECT_FALSE(safetensors_dtype_from_code("F128").has_value());
  EXPECT_FALSE(safetensors_dtype_from_code("f32").has_value());
  auto unknown = safetensors_dtype_from_flashinfer("float128", "inputs.x.dtype");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().subject, "inputs.x.dtype");
  EXPECT_NE(unknown.error().problem.find("float128"), std::string::npos);
}

// ---- round trips -------------------------------------------------------------------------------

TEST(Safetensors, RoundTripsEveryDtypeThroughAFile) {
  temp_dir dir;
  std::vector<std::string> payloads;
  std::vector<safetensors_entry> entries;
  for (safetensors_dtype type : all_safetensors_dtypes) {
    // 2 x 4 elements: a whole number of bytes for every width, the 4- and 6-bit ones included.
    const std::size_t bytes = 8 * bit_width(type) / 8;
    std::string payload(bytes, '\0');
    for (std::size_t i = 0; i < bytes; ++i) payload[i] = static_cast<char>((i * 37 + static_cast<std::size_t>(type)) & 0xFF);
    if (type == safetensors_dtype::boolean) payload = std::string("\1\0\1\1\0\0\1\0", 8);
    if (type == safetensors_dtype::f8_e4m3) payload = std::string("\x38\xC0\x30\x3C\x44\x7E\xFE\x00", 8);  // 1 -2 .5 1.5 3 448 -448 0
    if (type == safetensors_dtype::f8_e5m2) payload = std::string("\x3C\xC0\x38\x3E\x42\x7B\xFB\x00", 8);  // 1 -2 .5 1.5 3 57344 -57344 0
    payloads.push_back(payload);
  }
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const safetensors_dtype type = all_safetensors_dtypes[i];
    entries.push_back({.name = "t_" + std::string(safetensors_code(type)), .dtype = type, .shape = {2, 4},
                       .bytes = as_bytes(payloads[i])});
  }
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"source", "ksearch test"}};
  const auto file = dir.path() / "nested" / "all.safetensors";
  auto written = write_safetensors(file, entries, metadata);
  ASSERT_TRUE(written.has_value()) << written.error().to_string();

  auto read = safetensors_file::open(file);
  ASSERT_TRUE(read.has_value()) << read.error().to_string();
  EXPECT_EQ(read->where(), file.string());
  EXPECT_EQ(read->metadata(), metadata);
  EXPECT_EQ(read->header_size() % 8, 0u);
  ASSERT_EQ(read->tensors().size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const safetensors_tensor* t = read->find(entries[i].name);
    ASSERT_NE(t, nullptr) << entries[i].name;
    EXPECT_EQ(t->dtype, entries[i].dtype);
    EXPECT_EQ(t->shape, (std::vector<std::int64_t>{2, 4}));
    EXPECT_EQ(t->element_count(), 8);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(t->bytes.data()), t->bytes.size()), payloads[i]) << t->name;
    // Widest first, so every tensor starts at a multiple of its element size.
    EXPECT_EQ(t->begin % std::max<std::size_t>(1, bit_width(t->dtype) / 8), 0u) << t->name;
  }
  EXPECT_EQ(read->tensors().front().dtype, safetensors_dtype::u64);
  EXPECT_EQ(read->tensors().back().dtype, safetensors_dtype::boolean);
}

TEST(Safetensors, CopiesTypedValuesOut) {
  const std::vector<float> weights = {1.5f, -2.0f, 0.25f};
  const std::vector<std::int32_t> indptr = {0, 3, 7};
  const std::vector<std::int64_t> ids = {-1, 1LL << 40};
  const std::string flags("\0\1\1", 3);
  const std::string w = raw(weights), p = raw(indptr), i = raw(ids);
  const std::vector<safetensors_entry> entries = {
      {.name = "w", .dtype = safetensors_dtype::f32, .shape = {3}, .bytes = as_bytes(w)},
      {.name = "kv_indptr", .dtype = safetensors_dtype::i32, .shape = {3}, .bytes = as_bytes(p)},
      {.name = "ids", .dtype = safetensors_dtype::i64, .shape = {1, 2}, .bytes = as_bytes(i)},
      {.name = "mask", .dtype = safetensors_dtype::boolean, .shape = {3}, .bytes = as_bytes(flags)}};
  auto bytes = serialize_safetensors(entries, {}, "mem");
  ASSERT_TRUE(bytes.has_value()) << bytes.error().to_string();
  auto file = safetensors_file::parse(*bytes, "mem.safetensors");
  ASSERT_TRUE(file.has_value()) << file.error().to_string();

  EXPECT_EQ(file->values<float>("w").value(), weights);
  EXPECT_EQ(file->values<std::int32_t>("kv_indptr").value(), indptr);
  EXPECT_EQ(file->values<std::int64_t>("ids").value(), ids);
  EXPECT_EQ(file->values<bool>("mask").value(), (std::vector<bool>{false, true, true}));

  auto wrong_type = file->values<std::int64_t>("kv_indptr");
  ASSERT_FALSE(wrong_type.has_value());
  EXPECT_EQ(wrong_type.error().to_string(), "mem.safetensors: tensor \"kv_indptr\": is I32, not I64");
  auto missing = file->values<float>("kv_indices");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().to_string(),
            "mem.safetensors: tensor \"kv_indices\": not in the file (fix: it holds: ids, kv_indptr, mask, w)");
}

TEST(Safetensors, ViewsStayValidWhenTheFileIsMoved) {
  const std::string data = raw(std::vector<std::int16_t>{1, 2, 3, 4});
  const std::vector<safetensors_entry> entries = {
      {.name = "x", .dtype = safetensors_dtype::i16, .shape = {4}, .bytes = as_bytes(data)}};
  auto file = safetensors_file::parse(serialize_safetensors(entries, {}, "mem").value(), "mem");
  ASSERT_TRUE(file.has_value());
  const std::byte* before = file->find("x")->bytes.data();
  safetensors_file moved = std::move(*file);
  EXPECT_EQ(moved.find("x")->bytes.data(), before);
  EXPECT_EQ(moved.values<std::int16_t>("x").value(), (std::vector<std::int16_t>{1, 2, 3, 4}));
}

TEST(Safetensors, RoundTripsEmptyAndZeroDimensionalTensors) {
  const std::string scalar = raw(std::vector<double>{2.5});
  const std::vector<safetensors_entry> entries = {
      {.name = "empty", .dtype = safetensors_dtype::f32, .shape = {0, 3}, .bytes = {}},
      {.name = "scalar", .dtype = safetensors_dtype::f64, .shape = {}, .bytes = as_bytes(scalar)}};
  auto file = safetensors_file::parse(serialize_safetensors(entries, {}, "mem").value(), "mem");
  ASSERT_TRUE(file.has_value()) << file.error().to_string();
  EXPECT_EQ(file->find("empty")->element_count(), 0);
  EXPECT_TRUE(file->find("empty")->bytes.empty());
  EXPECT_TRUE(file->find("scalar")->shape.empty());
  EXPECT_EQ(file->values<double>("scalar").value(), std::vector<double>{2.5});
}

// ---- the reference library's layout, written out by hand ---------------------------------------

// What `safetensors.torch.save_file({"weight": f32[2], "ids": i64[1], "scale": bf16[2],
// "mask": bool[3]}, path, metadata={"format": "pt"})` writes: the length (272 = 0x110) as 8
// little-endian bytes; compact JSON with "__metadata__" first and the tensors by decreasing
// dtype rank (I64, F32, BF16, BOOL), each as dtype, shape, data_offsets; 265 bytes of JSON plus 7
// spaces; then the data in the same order.
const std::string reference_header =
    R"({"__metadata__":{"format":"pt"},)"
    R"("ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},)"
    R"("weight":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
    R"("scale":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},)"
    R"("mask":{"dtype":"BOOL","shape":[3],"data_offsets":[20,23]}})"
    "       ";
const std::string reference_data = std::string("\x07\0\0\0\0\0\0\0", 8)  // ids: 7
                                   + std::string("\0\0\x80\x3F\0\0\0\xC0", 8)  // weight: 1.0f, -2.0f
                                   + std::string("\x80\x3F\x00\x3F", 4)        // scale: bf16 1.0, 0.5
                                   + std::string("\1\0\1", 3);                 // mask
const std::string reference_file = std::string("\x10\x01\0\0\0\0\0\0", 8) + reference_header + reference_data;

TEST(Safetensors, LoadsTheReferenceLibrarysLayout) {
  ASSERT_EQ(reference_header.size(), 272u);
  temp_dir dir;
  const auto path = dir.write("ref.safetensors", reference_file);
  auto file = safetensors_file::open(path);
  ASSERT_TRUE(file.has_value()) << file.error().to_string();
  EXPECT_EQ(file->header_size(), 272u);
  EXPECT_EQ(file->buffer_size(), 23u);
  EXPECT_EQ(file->metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));
  ASSERT_EQ(file->tensors().size(), 4u);
  EXPECT_EQ(file->tensors()[0].name, "ids");
  EXPECT_EQ(file->tensors()[3].name, "mask");
  EXPECT_EQ(file->values<std::int64_t>("ids").value(), std::vector<std::int64_t>{7});
  EXPECT_EQ(file->values<float>("weight").value(), (std::vector<float>{1.0f, -2.0f}));
  auto found = file->tensor("scale");
  ASSERT_TRUE(found.has_value()) << found.error().to_string();
  const safetensors_tensor& scale = found->get();
  EXPECT_EQ(scale.dtype, safetensors_dtype::bf16);
  EXPECT_EQ(scale.shape, std::vector<std::int64_t>{2});
  EXPECT_EQ(std::to_integer<int>(scale.bytes[1]), 0x3F);
  EXPECT_EQ(std::to_integer<int>(scale.bytes[2]), 0x00);
  EXPECT_EQ(file->values<bool>("mask").value(), (std::vector<bool>{true, false, true}));
}

TEST(Safetensors, WritesTheReferenceLibrarysBytes) {
  const std::string weight("\0\0\x80\x3F\0\0\0\xC0", 8), ids("\x07\0\0\0\0\0\0\0", 8), scale("\x80\x3F\x00\x3F", 4),
      mask("\1\0\1", 3);
  // Given in an order of our own: the writer sorts as the reference does.
  const std::vector<safetensors_entry> entries = {
      {.name = "mask", .dtype = safetensors_dtype::boolean, .shape = {3}, .bytes = as_bytes(mask)},
      {.name = "weight", .dtype = safetensors_dtype::f32, .shape = {2}, .bytes = as_bytes(weight)},
      {.name = "scale", .dtype = safetensors_dtype::bf16, .shape = {2}, .bytes = as_bytes(scale)},
      {.name = "ids", .dtype = safetensors_dtype::i64, .shape = {1}, .bytes = as_bytes(ids)}};
  auto bytes = serialize_safetensors(entries, {{"format", "pt"}}, "ref");
  ASSERT_TRUE(bytes.has_value()) << bytes.error().to_string();
  EXPECT_EQ(*bytes, reference_file);
}

TEST(Safetensors, WritesAnEmptyFileAsAPaddedEmptyObject) {
  auto bytes = serialize_safetensors({}, {}, "empty");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(*bytes, std::string("\x08\0\0\0\0\0\0\0{}      ", 16));
  auto file = safetensors_file::parse(*bytes, "empty");
  ASSERT_TRUE(file.has_value());
  EXPECT_TRUE(file->tensors().empty());
}

TEST(Safetensors, LoadsAnUnpaddedHeaderFromOlderWriters) {
  const std::string header = R"({"m":{"dtype":"U8","shape":[2,2],"data_offsets":[0,4]}})";  // 55 bytes
  const std::string contents = length_field(55) + header + "\x01\x02\x03\x04";
  auto file = safetensors_file::parse(contents, "old.safetensors");
  ASSERT_TRUE(file.has_value()) << file.error().to_string();
  EXPECT_EQ(file->values<std::uint8_t>("m").value(), (std::vector<std::uint8_t>{1, 2, 3, 4}));
}

TEST(Safetensors, AcceptsGapsBetweenTensorsAndTrailingBytes) {
  const std::string header = R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                             R"("b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})";
  auto file = safetensors_file::parse(file_bytes(header, "\x01\x02\xEE\xEE\x03\x04\xEE"), "gaps.safetensors");
  ASSERT_TRUE(file.has_value()) << file.error().to_string();
  EXPECT_EQ(file->values<std::uint8_t>("b").value(), (std::vector<std::uint8_t>{3, 4}));
}

// ---- malformed files ---------------------------------------------------------------------------

TEST(Safetensors, RefusesATruncatedLengthField) {
  EXPECT_EQ(error_text(std::string("\x10\0\0", 3)),
            "blob.safetensors: truncated: 3 bytes, shorter than the 8-byte header length a safetensors file starts "
            "with");
  EXPECT_EQ(error_text(""), "blob.safetensors: truncated: 0 bytes, shorter than the 8-byte header length a "
                            "safetensors file starts with");
}

TEST(Safetensors, RefusesAHeaderLengthPastTheEndOfTheFile) {
  const std::string contents = length_field(64) + R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  EXPECT_EQ(error_text(contents),
            "blob.safetensors: header length 64 runs past the end of the file (53 bytes follow the length field) "
            "(fix: the file is truncated or not a safetensors file)");
  EXPECT_NE(error_text(length_field(1ULL << 62) + "{}      ").find("over the format's limit"), std::string::npos);
}

TEST(Safetensors, RefusesAHeaderThatIsNotAJsonObject) {
  EXPECT_EQ(error_text(file_bytes(R"({"a": {"dtype": "U8",)", "")),
            "blob.safetensors: the header is not valid JSON (it starts: {\"a\": {\"dtype\": \"U8\",   ) "
            "(fix: the file is damaged or not a safetensors file)");
  EXPECT_EQ(error_text(file_bytes("[1, 2]", "")),
            "blob.safetensors: the header must be a JSON object of tensor name -> description");
  EXPECT_EQ(error_text(file_bytes(R"({"__metadata__":{"n":1}})", "")),
            "blob.safetensors: __metadata__.n: must be a string, not 1");
}

TEST(Safetensors, RefusesAnUnknownDtype) {
  const std::string text = error_text(file_bytes(R"({"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}})",
                                                 std::string(16, '\0')));
  EXPECT_EQ(text.rfind("blob.safetensors: tensor \"w\": unknown dtype \"F128\" (fix: known: BOOL, F4,", 0), 0u) << text;
}

TEST(Safetensors, RefusesABadShape) {
  EXPECT_EQ(error_text(file_bytes(R"({"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,0]}})", "")),
            "blob.safetensors: tensor \"w\": shape [2,-1] must list integers >= 0");
  EXPECT_EQ(error_text(file_bytes(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", "abcd")),
            "blob.safetensors: tensor \"w\": shape [1.5] must list integers >= 0");
  EXPECT_EQ(error_text(file_bytes(R"({"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})", "ab")),
            "blob.safetensors: tensor \"w\": F4 [3] is 12 bits, not a whole number of bytes");
  EXPECT_EQ(error_text(file_bytes(
                R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", "abcdefgh")),
            "blob.safetensors: tensor \"w\": shape [4294967296, 4294967296] overflows 64 bits");
}

TEST(Safetensors, RefusesASizeThatDoesNotMatchDtypeAndShape) {
  EXPECT_EQ(error_text(file_bytes(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})",
                                  std::string(16, '\0'))),
            "blob.safetensors: tensor \"w\": data_offsets [0, 12] hold 12 bytes, but F32 [2, 2] needs 16");
  EXPECT_EQ(error_text(file_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", std::string(8, '\0'))),
            "blob.safetensors: tensor \"w\": data_offsets [8, 4] end before they begin");
  EXPECT_EQ(error_text(file_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", std::string(4, '\0'))),
            "blob.safetensors: tensor \"w\": data_offsets must be [begin, end], two integers >= 0");
  EXPECT_EQ(error_text(file_bytes(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0'))),
            "blob.safetensors: tensor \"w\": dtype is missing or not a string");
}

TEST(Safetensors, RefusesOffsetsPastTheEndOfTheBuffer) {
  EXPECT_EQ(error_text(file_bytes(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                                  R"("b":{"dtype":"I32","shape":[2],"data_offsets":[2,10]}})",
                                  std::string(8, '\0'))),
            "blob.safetensors: tensor \"b\": data_offsets [2, 10] run past the end of the data buffer (8 bytes) "
            "(fix: the file is truncated)");
}

TEST(Safetensors, RefusesOverlappingTensors) {
  EXPECT_EQ(error_text(file_bytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                                  std::string(16, '\0'))),
            "blob.safetensors: tensor \"b\": data_offsets [8, 16] overlap tensor \"a\" at [0, 16]");
  // An overlap with an earlier, longer tensor, past one that fits inside it.
  EXPECT_EQ(error_text(file_bytes(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                                  R"("b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                                  std::string(8, '\0'))),
            "blob.safetensors: tensor \"b\": data_offsets [1, 2] overlap tensor \"a\" at [0, 8]");
  // Empty tensors hold no bytes, so they overlap nothing.
  EXPECT_EQ(error_text(file_bytes(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                                  R"("e":{"dtype":"U8","shape":[0],"data_offsets":[2,2]}})",
                                  std::string(4, '\0'))),
            "loaded");
}

TEST(Safetensors, RefusesATensorNamedTwice) {
  EXPECT_EQ(error_text(file_bytes(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                                  R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                                  "xy")),
            "blob.safetensors: tensor \"a\": named twice in the header");
}

TEST(Safetensors, OpenNamesAMissingFile) {
  temp_dir dir;
  auto file = safetensors_file::open(dir.path() / "absent.safetensors");
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().subject, (dir.path() / "absent.safetensors").string());
  EXPECT_NE(file.error().problem.find("cannot open"), std::string::npos);
  auto folder = safetensors_file::open(dir.path());
  ASSERT_FALSE(folder.has_value());
  EXPECT_EQ(folder.error().problem, "not a regular file");
}

TEST(Safetensors, OpenNamesTheFileInValidationErrors) {
  temp_dir dir;
  const auto path = dir.write("bad.safetensors", file_bytes(R"({"w":{"dtype":"X","shape":[],"data_offsets":[0,0]}})", ""));
  auto file = safetensors_file::open(path);
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().subject, path.string() + ": tensor \"w\"");
}

// ---- writer errors -----------------------------------------------------------------------------

std::string write_error(const std::vector<safetensors_entry>& entries,
                        const std::map<std::string, std::string>& metadata = {}) {
  auto bytes = serialize_safetensors(entries, metadata, "out.safetensors");
  return bytes ? "written" : bytes.error().to_string();
}

TEST(Safetensors, WriterRefusesInconsistentTensors) {
  const std::string four(4, '\0');
  EXPECT_EQ(write_error({{.name = "w", .dtype = safetensors_dtype::f32, .shape = {2}, .bytes = as_bytes(four)}}),
            "out.safetensors: tensor \"w\": 4 bytes given, but F32 [2] needs 8");
  EXPECT_EQ(write_error({{.name = "w", .dtype = safetensors_dtype::u8, .shape = {-4}, .bytes = as_bytes(four)}}),
            "out.safetensors: tensor \"w\": shape [-4] has a negative dimension");
  EXPECT_EQ(write_error({{.name = "w", .dtype = safetensors_dtype::u8, .shape = {4}, .bytes = as_bytes(four)},
                         {.name = "w", .dtype = safetensors_dtype::i32, .shape = {1}, .bytes = as_bytes(four)}}),
            "out.safetensors: tensor \"w\": named twice");
  EXPECT_EQ(write_error({{.name = "__metadata__", .dtype = safetensors_dtype::u8, .shape = {4}, .bytes = as_bytes(four)}}),
            "out.safetensors: tensor \"__metadata__\": the name is reserved for the metadata");
  EXPECT_EQ(write_error({{.name = "", .dtype = safetensors_dtype::u8, .shape = {4}, .bytes = as_bytes(four)}}),
            "out.safetensors: tensor \"\": a tensor needs a name");
  EXPECT_EQ(write_error({{.name = "bad\xC3", .dtype = safetensors_dtype::u8, .shape = {4}, .bytes = as_bytes(four)}}),
            "out.safetensors: tensor \"bad\xC3\": the name is not valid UTF-8");
  EXPECT_EQ(write_error({}, {{"k", "\xED\xA0\x80"}}), "out.safetensors: __metadata__.k: not valid UTF-8");
  EXPECT_EQ(write_error({{.name = "caf\xC3\xA9", .dtype = safetensors_dtype::u8, .shape = {4}, .bytes = as_bytes(four)}},
                        {{"note", "\xE2\x82\xAC 5"}}),
            "written");
}

TEST(Safetensors, WriteReplacesTheFileWhole) {
  temp_dir dir;
  const auto path = dir.write("x.safetensors", "old content");
  const std::string data = raw(std::vector<std::int32_t>{5, 6});
  ASSERT_TRUE(write_safetensors(path, std::vector<safetensors_entry>{
                                          {.name = "x", .dtype = safetensors_dtype::i32, .shape = {2},
                                           .bytes = as_bytes(data)}})
                  .has_value());
  EXPECT_EQ(safetensors_file::open(path).value().values<std::int32_t>("x").value(),
            (std::vector<std::int32_t>{5, 6}));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u) << "no temp file is left beside the target";
}

}  // namespace
}  // namespace ksearch::tasks
