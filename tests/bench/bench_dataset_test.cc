// The shipped bench dataset (bench/data) must load whole, every kernel must compile with NVRTC for
// sm_90a, and every launch plan must resolve on every workload, all without a GPU: the benchmark
// itself only runs on a GPU machine, where a broken file would waste the run.
#include "ksearch/bench/bench_dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "ksearch/bench/plan_launches.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/eval/plan/definition_plan.h"
#include "support/hopper_limits.h"
#include "support/temp_dir.h"

namespace ksearch::bench {
namespace {

namespace fs = std::filesystem;

const fs::path bench_root = fs::path(KSEARCH_SOURCE_DIR) / "bench";

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const bench_dataset& shipped() {
  static const bench_dataset dataset = [] {
    auto loaded = load_bench_dataset(bench_root / "data");
    if (!loaded) throw std::runtime_error(loaded.error().to_string());
    return *loaded;
  }();
  return dataset;
}

std::vector<const bench_solution*> every_solution(const bench_definition& d) {
  std::vector<const bench_solution*> all = {&d.reference};
  for (const bench_solution& c : d.candidates) all.push_back(&c);
  return all;
}

TEST(BenchDataset, ShippedDatasetLoadsWhole) {
  auto loaded = load_bench_dataset(bench_root / "data");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  struct expected_definition {
    const char* name;
    std::size_t workloads;
    const char* candidate;  // the one candidate; the reference is <name>_reference
  };
  const expected_definition expected[] = {{"gqa_decode_bench", 5, "gqa_decode_bench_split_kv"},
                                          {"scale_add_bench", 5, "scale_add_bench_vec4"},
                                          {"spin_bench", 3, "spin_bench_spin"}};
  ASSERT_EQ(loaded->definitions.size(), std::size(expected));
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    const bench_definition& d = loaded->definitions[i];
    EXPECT_EQ(d.def.name, expected[i].name);
    EXPECT_EQ(d.workloads.size(), expected[i].workloads) << d.def.name;
    EXPECT_EQ(d.reference.code.name, std::string(expected[i].name) + "_reference");
    ASSERT_EQ(d.candidates.size(), 1u) << d.def.name;
    EXPECT_EQ(d.candidates[0].code.name, expected[i].candidate);
  }
}

TEST(BenchDataset, WorkloadsHaveTheAgreedShapes) {
  const bench_definition& gqa = shipped().definitions[0];
  std::int64_t min_batch = 1 << 30, max_batch = 0, min_kv = 1 << 30, max_kv = 0;
  for (const tasks::workload& w : gqa.workloads) {
    min_batch = std::min(min_batch, w.axes.at("batch_size"));
    max_batch = std::max(max_batch, w.axes.at("batch_size"));
    min_kv = std::min(min_kv, w.axes.at("kv_len"));
    max_kv = std::max(max_kv, w.axes.at("kv_len"));
    EXPECT_EQ(w.axes.at("num_qo_heads"), 32);
    EXPECT_EQ(w.axes.at("num_kv_heads"), 8);
    EXPECT_EQ(w.axes.at("head_dim"), 128);
  }
  EXPECT_EQ(min_batch, 1);
  EXPECT_EQ(max_batch, 64);
  EXPECT_EQ(min_kv, 512);
  EXPECT_EQ(max_kv, 8192);
  // scale_add: every call moves at least 48 MB (3 x rows x 256 x 4 bytes), over 10 us at 4.8 TB/s.
  for (const tasks::workload& w : shipped().definitions[1].workloads) {
    EXPECT_GE(3 * w.axes.at("rows") * 256 * 4, 48'000'000) << w.uuid;
  }
}

TEST(BenchDataset, EveryKernelCompilesForSm90aAndDefinesWhatItsPlanLaunches) {
  for (const bench_definition& d : shipped().definitions) {
    auto iface = eval::plan_interface_for(d.def);
    ASSERT_TRUE(iface.has_value()) << iface.error().to_string();
    for (const bench_solution* s : every_solution(d)) {
      auto plan = eval::parse_launch_plan_text(s->code.plan_json, *iface);
      ASSERT_TRUE(plan.has_value()) << s->code.name << ": " << plan.error().to_string();
      auto compiled = eval::compile_cuda(
          {.source = s->code.source, .file_name = s->code.name + "/kernel.cu", .arch = "sm_90a", .extra_options = {}});
      ASSERT_TRUE(compiled.has_value()) << s->code.name << ": " << compiled.error().to_string();
      EXPECT_EQ(compiled->log, "") << s->code.name << ": warnings";
      std::set<std::string> entry_points;
      for (const eval::kernel_resources& k : compiled->kernels) {
        entry_points.insert(k.name);
        EXPECT_EQ(k.spill_store_bytes, 0) << s->code.name << ": " << k.summary();
        EXPECT_EQ(k.spill_load_bytes, 0) << s->code.name << ": " << k.summary();
      }
      for (const std::string& kernel : eval::kernel_names(*plan)) {
        EXPECT_TRUE(entry_points.contains(kernel)) << s->code.name << ": the plan launches '" << kernel
                                                   << "', which kernel.cu does not define as extern \"C\"";
      }
    }
  }
}

TEST(BenchDataset, EveryPlanResolvesOnEveryWorkload) {
  for (const bench_definition& d : shipped().definitions) {
    std::set<std::string> reference_kernels;
    for (const tasks::workload& w : d.workloads) {
      auto reference = launched_kernels(d.def, d.reference.code.plan_json, w, test_support::hopper_limits());
      ASSERT_TRUE(reference.has_value()) << w.uuid << ": " << reference.error().to_string();
      reference_kernels.insert(reference->begin(), reference->end());
    }
    for (const bench_solution& c : d.candidates) {
      for (const tasks::workload& w : d.workloads) {
        auto kernels = launched_kernels(d.def, c.code.plan_json, w, test_support::hopper_limits());
        ASSERT_TRUE(kernels.has_value()) << c.code.name << " on " << w.uuid << ": " << kernels.error().to_string();
        ASSERT_FALSE(kernels->empty());
        // ncu tells candidate from reference kernels by name only.
        for (const std::string& k : *kernels) EXPECT_FALSE(reference_kernels.contains(k)) << k;
      }
    }
  }
}

TEST(BenchDataset, SplitKvPlanFillsTheGpuAndMergesOnlyWhenSplit) {
  const bench_definition& gqa = shipped().definitions[0];
  const bench_solution& split_kv = gqa.candidates[0];
  auto iface = eval::plan_interface_for(gqa.def);
  ASSERT_TRUE(iface.has_value());
  auto plan = eval::parse_launch_plan_text(split_kv.code.plan_json, *iface);
  ASSERT_TRUE(plan.has_value()) << plan.error().to_string();
  for (const tasks::workload& w : gqa.workloads) {
    auto symbols = eval::plan_symbols(gqa.def, w);
    ASSERT_TRUE(symbols.has_value()) << symbols.error().to_string();
    auto resolved = eval::resolve_launch_plan(*plan, *symbols, test_support::hopper_limits());
    ASSERT_TRUE(resolved.has_value()) << w.uuid << ": " << resolved.error().to_string();
    std::map<std::string, std::int64_t> let;
    for (const auto& [name, value] : resolved->lets) let[name] = value.i;
    const std::int64_t kv_len = w.axes.at("kv_len");
    const std::int64_t batch = w.axes.at("batch_size");
    // Every split holds keys: chunks cover kv_len, and the last split starts before its end.
    EXPECT_GE(let["chunk"] * let["splits"], kv_len) << w.uuid;
    EXPECT_LT(let["chunk"] * (let["splits"] - 1), kv_len) << w.uuid;
    EXPECT_EQ(let["chunk"] % 16, 0) << w.uuid;
    // Blocks: (splits, batch * 8) of 128 threads, at least one wave on 132 SMs.
    const eval::resolved_step& split_step = resolved->steps[0];
    EXPECT_EQ(split_step.kernel, "gqa_split_kv");
    EXPECT_EQ(split_step.grid[0], static_cast<std::uint32_t>(let["splits"]));
    EXPECT_EQ(split_step.grid[1], static_cast<std::uint32_t>(batch * 8));
    EXPECT_EQ(split_step.block[0], 128u);
    EXPECT_GE(std::int64_t{split_step.grid[0]} * split_step.grid[1], 132) << w.uuid;
    ASSERT_EQ(resolved->steps.size(), let["splits"] > 1 ? 2u : 1u) << w.uuid;
    if (let["splits"] > 1) {
      EXPECT_EQ(resolved->steps[1].kernel, "gqa_merge_splits");
      EXPECT_EQ(std::int64_t{resolved->steps[1].grid[0]} * 4, batch * 32);
    }
  }
  // A batch that fills the GPU by itself runs unsplit, without the merge.
  tasks::workload big = gqa.workloads[0];
  big.axes["batch_size"] = 80;
  big.axes["kv_len"] = 64;
  auto kernels = launched_kernels(gqa.def, split_kv.code.plan_json, big, test_support::hopper_limits());
  ASSERT_TRUE(kernels.has_value()) << kernels.error().to_string();
  EXPECT_EQ(*kernels, std::vector<std::string>{"gqa_split_kv"});
}

TEST(BenchDataset, SolutionFilesMatchTheirSources) {
  // bench/kernels/<name>/ holds the readable sources; bench/make_solutions.sh writes the JSON.
  for (const bench_definition& d : shipped().definitions) {
    for (const bench_solution* s : every_solution(d)) {
      const fs::path folder = bench_root / "kernels" / s->code.name;
      EXPECT_EQ(s->code.source, read_file(folder / "kernel.cu")) << s->code.name << ": run bench/make_solutions.sh";
      EXPECT_EQ(s->code.plan_json, read_file(folder / "launch.json"))
          << s->code.name << ": run bench/make_solutions.sh";
    }
  }
}

// A small dataset written per test, to break on purpose.
class BrokenBenchDataset : public ::testing::Test {
 protected:
  void SetUp() override {
    dir.write("definitions/d.json", R"({"name": "d", "op_type": "elementwise", "axes": {"n": {"type": "var"}},
      "inputs": {"x": {"shape": ["n"], "dtype": "float32"}}, "outputs": {"y": {"shape": ["n"], "dtype": "float32"}},
      "reference": "def run(x):\n    return x\n"})");
    dir.write("workloads/d.jsonl", R"({"definition": "d", "workload": {"uuid": "w1", "axes": {"n": 4}, "inputs": {}}})"
                                   "\n");
  }
  void add_solution(const std::string& name, bool with_plan = true) {
    const std::string kernel =
        R"({"path": "kernel.cu", "content": "extern \"C\" __global__ void k(const float* x, float* y) {}"})";
    const std::string plan =
        R"({"path": "launch.json", "content": "{\"steps\": [{\"kernel\": \"k\", \"grid\": [1], \"block\": [4], \"args\": [\"x\", \"y\"]}]}"})";
    const std::string sources = "[" + kernel + (with_plan ? ", " + plan : "") + "]";
    dir.write("solutions/" + name + ".json", R"({"name": ")" + name + R"(", "definition": "d", "author": "t",
      "spec": {"language": "cuda", "target_hardware": ["cuda"], "entry_point": "kernel.cu::run"}, "sources": )" +
                                                 sources + "}");
  }
  test_support::temp_dir dir;
};

TEST_F(BrokenBenchDataset, AWholeSmallDatasetLoads) {
  add_solution("d_reference");
  add_solution("d_fast");
  auto loaded = load_bench_dataset(dir.path());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  ASSERT_EQ(loaded->definitions.size(), 1u);
  EXPECT_EQ(loaded->definitions[0].reference.code.name, "d_reference");
  ASSERT_EQ(loaded->definitions[0].candidates.size(), 1u);
  EXPECT_EQ(loaded->definitions[0].candidates[0].code.name, "d_fast");
}

TEST_F(BrokenBenchDataset, NeedsExactlyOneReference) {
  add_solution("d_fast");
  auto none = load_bench_dataset(dir.path());
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().subject, "definition d");
  EXPECT_NE(none.error().problem.find("has 0 solutions named *_reference"), std::string::npos) << none.error().problem;

  add_solution("d_reference");
  add_solution("d_other_reference");
  auto two = load_bench_dataset(dir.path());
  ASSERT_FALSE(two.has_value());
  EXPECT_NE(two.error().problem.find("has 2 solutions"), std::string::npos) << two.error().problem;
}

TEST_F(BrokenBenchDataset, NeedsACandidate) {
  add_solution("d_reference");
  auto loaded = load_bench_dataset(dir.path());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().problem.find("no candidate"), std::string::npos) << loaded.error().problem;
}

TEST_F(BrokenBenchDataset, NeedsBothSources) {
  add_solution("d_reference");
  add_solution("d_fast", /*with_plan=*/false);
  auto loaded = load_bench_dataset(dir.path());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().subject.find("d_fast.json: sources"), std::string::npos) << loaded.error().subject;
}

TEST_F(BrokenBenchDataset, AFileThatDoesNotParseFailsTheLoad) {
  add_solution("d_reference");
  add_solution("d_fast");
  dir.write("definitions/broken.json", "{ not json");
  auto loaded = load_bench_dataset(dir.path());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().to_string().find("broken.json"), std::string::npos) << loaded.error().to_string();
}

TEST(BenchDatasetErrors, NotADataset) {
  test_support::temp_dir dir;
  auto loaded = load_bench_dataset(dir.path() / "missing");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().to_string().find("missing"), std::string::npos);
}

}  // namespace
}  // namespace ksearch::bench
