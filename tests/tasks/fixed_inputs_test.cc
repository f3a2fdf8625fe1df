// Fixed workload inputs: the generated index arrays of paged attention (docs/task-formats.md,
// "FlashInfer: generated index arrays") and inputs read from a dataset's safetensors blobs.
#include "ksearch/tasks/fixed_inputs.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <set>

#include "ksearch/common/json.h"
#include "ksearch/tasks/dataset_scan.h"
#include "ksearch/tasks/safetensors.h"
#include "support/temp_dir.h"

namespace ksearch::tasks {
namespace {

const std::filesystem::path bundled = std::filesystem::path(KSEARCH_SOURCE_DIR) / "tasks" / "flashinfer";

dataset_definition load_bundled(const std::string& name) {
  auto loaded = load_dataset_definition(bundled, name);
  EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error().to_string());
  return std::move(*loaded);
}

// The checks every generated indptr/indices triple must pass, on every bundled workload.
void expect_valid_decode_indices(const workload& w, const std::vector<std::int32_t>& indptr,
                                 const std::vector<std::int32_t>& indices) {
  SCOPED_TRACE(w.uuid);
  ASSERT_EQ(static_cast<std::int64_t>(indptr.size()), w.axes.at("len_indptr"));
  EXPECT_EQ(indptr.front(), 0);
  EXPECT_EQ(indptr.back(), w.axes.at("num_kv_indices"));
  for (std::size_t b = 0; b + 1 < indptr.size(); ++b) EXPECT_GT(indptr[b + 1], indptr[b]) << "sequence " << b << " is empty";
  ASSERT_EQ(static_cast<std::int64_t>(indices.size()), w.axes.at("num_kv_indices"));
  const std::set<std::int32_t> distinct(indices.begin(), indices.end());
  EXPECT_EQ(distinct.size(), indices.size()) << "a cache slot is used twice";
  EXPECT_GE(*distinct.begin(), 0);
  EXPECT_LT(*distinct.rbegin(), w.axes.at("num_pages"));
}

TEST(FixedInputs, DecodeIndexArraysAreValidForEveryBundledWorkload) {
  for (const std::string name : {"gqa_paged_decode_h32_kv4_d128_ps1", "mla_paged_decode_h16_ckv512_kpe64_ps1"}) {
    const dataset_definition d = load_bundled(name);
    for (const workload& w : d.workloads) {
      auto arrays = generated_index_arrays(d.def, w);
      ASSERT_TRUE(arrays.has_value()) << arrays.error().to_string();
      ASSERT_EQ(arrays->size(), 2u);
      expect_valid_decode_indices(w, arrays->at("kv_indptr"), arrays->at("kv_indices"));
    }
  }
}

TEST(FixedInputs, PrefillGivesEveryQueryAtLeastOneVisibleToken) {
  const dataset_definition d = load_bundled("mla_paged_prefill_causal_h16_ckv512_kpe64_ps1");
  for (const workload& w : d.workloads) {
    SCOPED_TRACE(w.uuid);
    auto arrays = generated_index_arrays(d.def, w);
    ASSERT_TRUE(arrays.has_value()) << arrays.error().to_string();
    const auto& qo = arrays->at("qo_indptr");
    const auto& kv = arrays->at("kv_indptr");
    ASSERT_EQ(qo.size(), kv.size());
    EXPECT_EQ(qo.back(), w.axes.at("total_q"));
    for (std::size_t b = 0; b + 1 < qo.size(); ++b) {
      const int q_len = qo[b + 1] - qo[b];
      const int kv_len = kv[b + 1] - kv[b];
      EXPECT_GT(q_len, 0) << "sequence " << b;
      EXPECT_GE(kv_len, q_len) << "sequence " << b << ": its first query would see nothing";
    }
    expect_valid_decode_indices(w, kv, arrays->at("kv_indices"));
  }
}

TEST(FixedInputs, SameUuidSameArraysOtherUuidOtherArrays) {
  const dataset_definition d = load_bundled("gqa_paged_decode_h32_kv4_d128_ps1");
  // Two batch-16 workloads: the splits and slots must differ between them and repeat for each.
  std::vector<workload> batch16;
  for (const workload& w : d.workloads) {
    if (w.axes.at("batch_size") == 16) batch16.push_back(w);
  }
  ASSERT_GE(batch16.size(), 2u);
  auto first = generated_index_arrays(d.def, batch16[0]);
  auto again = generated_index_arrays(d.def, batch16[0]);
  ASSERT_TRUE(first && again);
  EXPECT_EQ(*first, *again);
  workload renamed = batch16[0];
  renamed.uuid = batch16[1].uuid;
  auto other = generated_index_arrays(d.def, renamed);
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(first->at("kv_indptr"), other->at("kv_indptr"));
  EXPECT_NE(first->at("kv_indices"), other->at("kv_indices"));
  // Not all sequences the same length: the split is random, not even.
  const auto& indptr = first->at("kv_indptr");
  std::set<int> lengths;
  for (std::size_t b = 0; b + 1 < indptr.size(); ++b) lengths.insert(indptr[b + 1] - indptr[b]);
  EXPECT_GT(lengths.size(), 1u);
}

TEST(FixedInputs, RoutingInputsOfTheMoeAreLeftToTheRandomDraw) {
  const dataset_definition d = load_bundled("moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048");
  auto fixed = fixed_inputs(d.def, d.workloads.front(), bundled);
  ASSERT_TRUE(fixed.has_value()) << fixed.error().to_string();
  EXPECT_TRUE(fixed->empty());
}

TEST(FixedInputs, TheBytesAreTheInt32ArraysLittleEndian) {
  const dataset_definition d = load_bundled("gqa_paged_decode_h32_kv4_d128_ps1");
  const workload& w = d.workloads.front();
  auto arrays = generated_index_arrays(d.def, w);
  auto bytes = fixed_inputs(d.def, w, bundled);
  ASSERT_TRUE(arrays && bytes);
  const auto& indptr = arrays->at("kv_indptr");
  const auto& raw = bytes->at("kv_indptr");
  ASSERT_EQ(raw.size(), indptr.size() * 4);
  EXPECT_EQ(std::memcmp(raw.data(), indptr.data(), raw.size()), 0);
}

// A tiny paged definition for the error paths.
definition small_paged() {
  auto doc = ordered_json::parse(R"({
    "name": "tiny_paged", "op_type": "test",
    "axes": {"batch_size": {"type": "var"}, "len_indptr": {"type": "var"}, "num_kv_indices": {"type": "var"},
             "num_pages": {"type": "var"}},
    "inputs": {"kv_indptr": {"shape": ["len_indptr"], "dtype": "int32"},
               "kv_indices": {"shape": ["num_kv_indices"], "dtype": "int32"},
               "page_table": {"shape": ["batch_size"], "dtype": "int32"},
               "cache": {"shape": ["num_pages"], "dtype": "float32"}},
    "outputs": {"out": {"shape": ["batch_size"], "dtype": "float32"}},
    "reference": "def run(kv_indptr, kv_indices, page_table, cache): pass"})");
  auto def = parse_definition(doc, "tiny.json");
  EXPECT_TRUE(def.has_value()) << (def ? "" : def.error().to_string());
  return *def;
}

workload tiny_workload(std::int64_t batch, std::int64_t tokens, std::int64_t pages, const std::vector<std::string>& generated) {
  workload w;
  w.uuid = "tiny-1";
  w.axes = {{"batch_size", batch}, {"len_indptr", batch + 1}, {"num_kv_indices", tokens}, {"num_pages", pages}};
  for (const std::string& name : generated) {
    input_source s;
    s.type = input_source::kind::safetensors;
    s.path = "./blob/missing.safetensors";
    s.generated = true;
    w.inputs[name] = s;
  }
  return w;
}

TEST(FixedInputs, ImpossibleAxesAndUnknownGeneratedInputsAreErrorsNamingTheInput) {
  const definition def = small_paged();
  auto too_few_tokens = generated_index_arrays(def, tiny_workload(4, 3, 100, {"kv_indptr"}));
  ASSERT_FALSE(too_few_tokens.has_value());
  EXPECT_NE(too_few_tokens.error().subject.find("'kv_indptr'"), std::string::npos);
  EXPECT_NE(too_few_tokens.error().problem.find("at least one"), std::string::npos);

  auto too_few_slots = generated_index_arrays(def, tiny_workload(1, 50, 10, {"kv_indices"}));
  ASSERT_FALSE(too_few_slots.has_value());
  EXPECT_NE(too_few_slots.error().problem.find("num_pages"), std::string::npos);

  auto unknown = generated_index_arrays(def, tiny_workload(2, 4, 10, {"page_table"}));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().subject.find("'page_table'"), std::string::npos);

  // Exactly as many tokens as sequences, and as many slots as tokens: the tightest valid case.
  auto tight = generated_index_arrays(def, tiny_workload(5, 5, 5, {"kv_indptr", "kv_indices"}));
  ASSERT_TRUE(tight.has_value()) << tight.error().to_string();
  EXPECT_EQ(tight->at("kv_indptr"), (std::vector<std::int32_t>{0, 1, 2, 3, 4, 5}));
  std::set<int> slots(tight->at("kv_indices").begin(), tight->at("kv_indices").end());
  EXPECT_EQ(slots, (std::set<int>{0, 1, 2, 3, 4}));
}

TEST(FixedInputs, BlobInputsAreReadFromTheDatasetAndChecked) {
  test_support::temp_dir root;
  const definition def = small_paged();
  std::vector<std::int32_t> indptr{0, 2, 5};
  std::vector<float> wrong_type{1.f, 2.f, 3.f};
  const safetensors_entry entries[] = {
      {"kv_indptr", safetensors_dtype::i32, {3}, std::as_bytes(std::span(indptr))},
      {"as_float", safetensors_dtype::f32, {3}, std::as_bytes(std::span(wrong_type))},
  };
  auto file = serialize_safetensors(entries, {}, "blob");
  ASSERT_TRUE(file.has_value());
  std::filesystem::create_directories(root.path() / "blob");
  std::ofstream(root.path() / "blob" / "w.safetensors", std::ios::binary) << *file;

  workload w = tiny_workload(2, 5, 10, {"kv_indices"});
  input_source blob;
  blob.type = input_source::kind::safetensors;
  blob.path = "./blob/w.safetensors";
  blob.tensor_key = "kv_indptr";
  w.inputs["kv_indptr"] = blob;
  auto fixed = fixed_inputs(def, w, root.path());
  ASSERT_TRUE(fixed.has_value()) << fixed.error().to_string();
  ASSERT_EQ(fixed->at("kv_indptr").size(), 12u);
  EXPECT_EQ(std::memcmp(fixed->at("kv_indptr").data(), indptr.data(), 12), 0);
  EXPECT_EQ(fixed->at("kv_indices").size(), 20u);

  w.inputs["kv_indptr"].tensor_key = "as_float";
  auto mismatched = fixed_inputs(def, w, root.path());
  ASSERT_FALSE(mismatched.has_value());
  EXPECT_NE(mismatched.error().subject.find("w.safetensors"), std::string::npos);
  EXPECT_NE(mismatched.error().problem.find("int32"), std::string::npos);

  w.inputs["kv_indptr"].path = "./blob/absent.safetensors";
  auto missing = fixed_inputs(def, w, root.path());
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().to_string().find("absent.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace ksearch::tasks
