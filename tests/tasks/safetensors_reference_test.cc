// Checks the reader (and the writer's layout) on a file written by the official `safetensors`
// package: tasks/oracle/make_safetensors_fixture.py makes it where PyTorch is installed, and
// KSEARCH_SAFETENSORS_FIXTURE names it. Without the variable every test here is skipped.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ksearch/tasks/safetensors.h"

namespace ksearch::tasks {
namespace {

class SafetensorsReference : public testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("KSEARCH_SAFETENSORS_FIXTURE");
    if (path == nullptr || *path == '\0') {
      GTEST_SKIP() << "KSEARCH_SAFETENSORS_FIXTURE is not set: make the file with "
                      "tasks/oracle/make_safetensors_fixture.py (needs the safetensors and torch packages) "
                      "and set the variable to its path";
    }
    path_ = path;
    auto opened = safetensors_file::open(path_);
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    file_.emplace(std::move(*opened));
  }

  const safetensors_tensor& tensor(const std::string& name) {
    const safetensors_tensor* t = file_->find(name);
    if (t == nullptr) ADD_FAILURE() << "the fixture has no tensor " << name;
    static const safetensors_tensor missing{};
    return t == nullptr ? missing : *t;
  }

  /// The tensor's bytes as unsigned integers of `width` bytes (for the narrow float types).
  std::vector<std::uint64_t> raw_elements(const std::string& name, std::size_t width) {
    const safetensors_tensor& t = tensor(name);
    std::vector<std::uint64_t> out(t.bytes.size() / width, 0);
    for (std::size_t i = 0; i < out.size(); ++i) std::memcpy(&out[i], t.bytes.data() + i * width, width);
    return out;
  }

  void expect_tensor(const std::string& name, safetensors_dtype dtype, std::vector<std::int64_t> shape) {
    const safetensors_tensor& t = tensor(name);
    EXPECT_EQ(safetensors_code(t.dtype), safetensors_code(dtype)) << name;
    EXPECT_EQ(t.shape, shape) << name;
  }

  std::string path_;
  std::optional<safetensors_file> file_;
};

const std::vector<float> floats = {0.0f, 1.0f, -2.0f, 0.5f, 1.5f, 3.0f};

TEST_F(SafetensorsReference, HoldsEveryTensorWithItsDtypeAndShape) {
  expect_tensor("f32", safetensors_dtype::f32, {2, 3});
  expect_tensor("f64", safetensors_dtype::f64, {3, 2});
  expect_tensor("f16", safetensors_dtype::f16, {6});
  expect_tensor("bf16", safetensors_dtype::bf16, {1, 2, 3});
  expect_tensor("f8_e4m3", safetensors_dtype::f8_e4m3, {2, 3});
  expect_tensor("f8_e5m2", safetensors_dtype::f8_e5m2, {2, 3});
  expect_tensor("i64", safetensors_dtype::i64, {2, 3});
  expect_tensor("i32", safetensors_dtype::i32, {6});
  expect_tensor("i16", safetensors_dtype::i16, {3, 2});
  expect_tensor("i8", safetensors_dtype::i8, {2, 3});
  expect_tensor("u8", safetensors_dtype::u8, {2, 3});
  expect_tensor("bool", safetensors_dtype::boolean, {2, 3});
  expect_tensor("scalar_f32", safetensors_dtype::f32, {});
  expect_tensor("empty_i32", safetensors_dtype::i32, {0, 4});
  const std::size_t unsigned_extras = file_->find("u16") != nullptr ? 3 : 0;
  EXPECT_EQ(file_->tensors().size(), 14 + unsigned_extras);
  ASSERT_TRUE(file_->metadata().contains("producer"));
  EXPECT_EQ(file_->metadata().at("producer").rfind("make_safetensors_fixture.py", 0), 0u);
}

TEST_F(SafetensorsReference, HoldsTheFloatingValues) {
  EXPECT_EQ(file_->values<float>("f32").value(), floats);
  EXPECT_EQ(file_->values<double>("f64").value(), (std::vector<double>{0.0, 1.0, -2.0, 0.5, 1.5, 3.0}));
  EXPECT_EQ(file_->values<float>("scalar_f32").value(), std::vector<float>{7.25f});
  // Bit patterns of 0, 1, -2, 0.5, 1.5, 3 (and 448 / -57344, the fp8 extremes, last).
  EXPECT_EQ(raw_elements("f16", 2), (std::vector<std::uint64_t>{0x0000, 0x3C00, 0xC000, 0x3800, 0x3E00, 0x4200}));
  EXPECT_EQ(raw_elements("bf16", 2), (std::vector<std::uint64_t>{0x0000, 0x3F80, 0xC000, 0x3F00, 0x3FC0, 0x4040}));
  EXPECT_EQ(raw_elements("f8_e4m3", 1), (std::vector<std::uint64_t>{0x00, 0x38, 0xC0, 0x30, 0x3C, 0x7E}));
  EXPECT_EQ(raw_elements("f8_e5m2", 1), (std::vector<std::uint64_t>{0x00, 0x3C, 0xC0, 0x38, 0x3E, 0xFB}));
}

TEST_F(SafetensorsReference, HoldsTheIntegerAndBoolValues) {
  EXPECT_EQ(file_->values<std::int64_t>("i64").value(),
            (std::vector<std::int64_t>{-(1LL << 40), -1, 0, 1, 2, 1LL << 40}));
  EXPECT_EQ(file_->values<std::int32_t>("i32").value(), (std::vector<std::int32_t>{-(1 << 30), -1, 0, 1, 2, 1 << 30}));
  EXPECT_EQ(file_->values<std::int16_t>("i16").value(), (std::vector<std::int16_t>{-32768, -1, 0, 1, 2, 32767}));
  EXPECT_EQ(file_->values<std::int8_t>("i8").value(), (std::vector<std::int8_t>{-128, -1, 0, 1, 2, 127}));
  EXPECT_EQ(file_->values<std::uint8_t>("u8").value(), (std::vector<std::uint8_t>{0, 1, 2, 127, 128, 255}));
  EXPECT_EQ(raw_elements("bool", 1), (std::vector<std::uint64_t>{1, 0, 1, 1, 0, 0}));
  EXPECT_TRUE(file_->values<std::int32_t>("empty_i32").value().empty());
  if (file_->find("u16") != nullptr) {
    EXPECT_EQ(file_->values<std::uint16_t>("u16").value(), (std::vector<std::uint16_t>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(file_->values<std::uint32_t>("u32").value(), (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(file_->values<std::uint64_t>("u64").value(), (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5}));
  }
}

TEST_F(SafetensorsReference, OurWriterReproducesTheFileByteForByte) {
  std::vector<safetensors_entry> entries;
  for (const safetensors_tensor& t : file_->tensors()) {
    entries.push_back({.name = t.name, .dtype = t.dtype, .shape = t.shape, .bytes = t.bytes});
  }
  auto ours = serialize_safetensors(entries, file_->metadata(), "rewritten");
  ASSERT_TRUE(ours.has_value()) << ours.error().to_string();
  std::ifstream in(path_, std::ios::binary);
  std::stringstream theirs;
  theirs << in.rdbuf();
  ASSERT_EQ(ours->size(), theirs.str().size());
  EXPECT_TRUE(*ours == theirs.str()) << "same tensors, different layout; header written by the library: "
                                     << theirs.str().substr(8, file_->header_size());
}

}  // namespace
}  // namespace ksearch::tasks
