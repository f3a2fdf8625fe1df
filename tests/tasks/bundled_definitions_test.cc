// The FlashInfer Trace dataset bundled under tasks/flashinfer: the four definitions of the K-Search
// paper and their published workload tables (tasks/flashinfer/README.md says where they come
// from and what differs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/common/json.h"
#include "ksearch/tasks/dataset_scan.h"
#include "ksearch/tasks/definition.h"

namespace ksearch::tasks {
namespace {

const std::filesystem::path bundled = std::filesystem::path(KSEARCH_SOURCE_DIR) / "tasks" / "flashinfer";

struct bundled_definition {
  std::string op_type;
  std::string name;
  std::size_t workloads;             // lines of the published table
  std::vector<std::string> generated;  // inputs whose published blobs are not bundled
};

const std::vector<bundled_definition> expected = {
    {"gqa_paged", "gqa_paged_decode_h32_kv4_d128_ps1", 48, {"kv_indices", "kv_indptr"}},
    {"mla_paged", "mla_paged_decode_h16_ckv512_kpe64_ps1", 47, {"kv_indices", "kv_indptr"}},
    {"mla_paged", "mla_paged_prefill_causal_h16_ckv512_kpe64_ps1", 38, {"kv_indices", "kv_indptr", "qo_indptr"}},
    {"moe", "moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048", 19, {"routing_bias", "routing_logits"}},
};

/// The parameter names of the reference's `def run(...)`, in order (annotations dropped).
std::vector<std::string> run_parameters(const std::string& reference) {
  const std::string opening = "def run(";
  const std::size_t open = reference.find(opening);
  if (open == std::string::npos) return {};
  const std::size_t first = open + opening.size();
  const std::string list = reference.substr(first, reference.find(')', first) - first);
  std::vector<std::string> names;
  std::size_t begin = 0;
  while (begin <= list.size()) {
    const std::size_t comma = std::min(list.find(',', begin), list.size());
    std::string piece = list.substr(begin, comma - begin);
    piece = piece.substr(0, piece.find(':'));
    std::erase_if(piece, [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
    if (!piece.empty()) names.push_back(piece);
    begin = comma + 1;
  }
  return names;
}

TEST(BundledDefinitions, EveryDefinitionParsesAndItsReferenceTakesTheInputsInOrder) {
  for (const bundled_definition& b : expected) {
    const auto file = bundled / "definitions" / b.op_type / (b.name + ".json");
    auto def = load_definition(file);
    ASSERT_TRUE(def.has_value()) << def.error().to_string();
    EXPECT_EQ(def->name, b.name);
    EXPECT_EQ(def->op_type, b.op_type);
    EXPECT_FALSE(def->description.empty()) << b.name;
    std::vector<std::string> inputs;
    for (const tensor_spec& t : def->inputs) inputs.push_back(t.name);
    EXPECT_EQ(run_parameters(def->reference), inputs) << b.name;
    EXPECT_NE(def->reference.find("return "), std::string::npos) << b.name;
  }
}

TEST(BundledDefinitions, TheDatasetHoldsExactlyTheFourDefinitionsWithTheirWorkloadCounts) {
  auto listing = scan_dataset(bundled);
  ASSERT_TRUE(listing.has_value()) << listing.error().to_string();
  for (const error& problem : listing->problems) ADD_FAILURE() << problem.to_string();
  ASSERT_EQ(listing->definitions.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(listing->definitions[i].name, expected[i].name);  // both sorted by name
    EXPECT_EQ(listing->definitions[i].workload_count, expected[i].workloads) << expected[i].name;
  }
}

TEST(BundledDefinitions, EveryWorkloadLoadsAgainstItsDefinition) {
  std::set<std::string> uuids;
  for (const bundled_definition& b : expected) {
    auto loaded = load_dataset_definition(bundled, b.name);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
    ASSERT_EQ(loaded->workloads.size(), b.workloads) << b.name;
    for (const workload& w : loaded->workloads) {
      EXPECT_TRUE(uuids.insert(w.uuid).second) << "uuid given twice: " << w.uuid;
      for (const std::string& input : b.generated) {
        EXPECT_EQ(w.inputs.at(input).type, input_source::kind::safetensors) << b.name << " " << w.uuid << " " << input;
      }
    }
  }
  EXPECT_EQ(uuids.size(), 48u + 47u + 38u + 19u);
}

// The published tables list K-Search's feedback workloads (docs/k-search-compatibility.md,
// "Launch settings"); the prefill list is "the first 8 lines", so the table's order matters too.
TEST(BundledDefinitions, TablesKeepThePublishedRowsAndOrder) {
  auto uuid_prefixes = [](const std::string& name) {
    std::vector<std::string> out;
    const auto loaded = load_dataset_definition(bundled, name);
    for (const workload& w : loaded.value().workloads) out.push_back(w.uuid.substr(0, 8));
    return out;
  };
  const auto prefill = uuid_prefixes("mla_paged_prefill_causal_h16_ckv512_kpe64_ps1");
  ASSERT_GE(prefill.size(), 8u);
  EXPECT_EQ(std::vector<std::string>(prefill.begin(), prefill.begin() + 8),
            (std::vector<std::string>{"55b51e96", "d30e4c23", "7572654f", "473e30ea", "bda0e743", "7e602557", "5ca61491",
                                      "77737de2"}));

  const auto gqa = load_dataset_definition(bundled, "gqa_paged_decode_h32_kv4_d128_ps1").value();
  // A pointer, not a reference, so no reference is bound to a call taking a temporary argument.
  auto find = [](const std::vector<workload>& list, std::string_view prefix) -> const workload* {
    auto it = std::find_if(list.begin(), list.end(), [&](const workload& w) { return w.uuid.starts_with(prefix); });
    return it == list.end() ? nullptr : &*it;
  };
  const workload* gqa_b16 = find(gqa.workloads, "85c1e8ef");
  ASSERT_NE(gqa_b16, nullptr);
  EXPECT_EQ(gqa_b16->axes.at("batch_size"), 16);
  EXPECT_EQ(gqa_b16->axes.at("num_kv_indices"), 23079);
  EXPECT_EQ(gqa_b16->axes.at("num_qo_heads"), 32);  // const axes are filled in
  EXPECT_DOUBLE_EQ(gqa_b16->inputs.at("sm_scale").scalar_value, 0.08838834764831843);

  const auto moe = load_dataset_definition(bundled, "moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048").value();
  const workload* moe_t7 = find(moe.workloads, "b8f4f012");
  ASSERT_NE(moe_t7, nullptr);
  EXPECT_EQ(moe_t7->axes.at("seq_len"), 7);
  EXPECT_EQ(moe_t7->inputs.at("local_expert_offset").scalar_value, 192.0);
  for (const workload& w : moe.workloads) {
    EXPECT_EQ(w.inputs.at("routed_scaling_factor").scalar_value, 2.5) << w.uuid;
    EXPECT_EQ(static_cast<std::int64_t>(w.inputs.at("local_expert_offset").scalar_value) % 32, 0) << w.uuid;
    EXPECT_EQ(w.inputs.at("gemm1_weights").type, input_source::kind::random) << w.uuid;
  }
}

// What the index generator relies on (docs/task-formats.md, "FlashInfer: generated index arrays"):
// every sequence can get at least one token (and, in prefill, at least as many tokens as
// queries), and the tokens fit in distinct cache slots.
TEST(BundledDefinitions, AxesLeaveRoomForGeneratedIndexArrays) {
  for (const bundled_definition& b : expected) {
    if (b.op_type != "gqa_paged" && b.op_type != "mla_paged") continue;
    const auto loaded = load_dataset_definition(bundled, b.name);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
    for (const workload& w : loaded->workloads) {
      const std::int64_t sequences = w.axes.at("len_indptr") - 1;
      const std::int64_t tokens = w.axes.at("num_kv_indices");
      EXPECT_GE(sequences, 1) << w.uuid;
      EXPECT_LE(tokens, w.axes.at("num_pages")) << w.uuid;
      if (w.axes.contains("batch_size")) {
        EXPECT_EQ(sequences, w.axes.at("batch_size")) << w.uuid;
        EXPECT_GE(tokens, sequences) << w.uuid;
      } else {
        EXPECT_GE(w.axes.at("total_q"), sequences) << w.uuid;
        EXPECT_GE(tokens, w.axes.at("total_q")) << w.uuid;
      }
    }
  }
}

// The parser keeps only FlashInfer's fields, so the marker is read from the files themselves:
// every input that names a blob says it is generated, and no blob is bundled.
TEST(BundledDefinitions, EveryBlobInputIsMarkedGenerated) {
  EXPECT_FALSE(std::filesystem::exists(bundled / "blob"));
  for (const bundled_definition& b : expected) {
    std::ifstream in(bundled / "workloads" / b.op_type / (b.name + ".jsonl"));
    ASSERT_TRUE(in) << b.name;
    std::size_t lines = 0;
    for (std::string line; std::getline(in, line); ++lines) {
      const auto record = json::parse(line, nullptr, false);
      ASSERT_FALSE(record.is_discarded()) << b.name << ":" << lines + 1;
      std::vector<std::string> marked;
      for (const auto& [name, spec] : record["workload"]["inputs"].items()) {
        const bool blob = spec["type"] == "safetensors";
        EXPECT_EQ(blob, spec.value("generated", false)) << b.name << ":" << lines + 1 << " " << name;
        if (blob) marked.push_back(name);
      }
      std::sort(marked.begin(), marked.end());
      EXPECT_EQ(marked, b.generated) << b.name << ":" << lines + 1;
    }
    EXPECT_EQ(lines, b.workloads) << b.name;
  }
}

}  // namespace
}  // namespace ksearch::tasks
