// The hand-written solutions bundled with the datasets (tasks/flashinfer, tasks/gpumode/trimul):
// the native references (<dataset>/references/<definition>/) and examples (<dataset>/examples/...).
// Without a GPU this checks what can be checked: the packed Solution JSON holds exactly the files
// (pack_solutions.sh was run after the last edit), the plan parses against the definition, the
// kernels compile with NVRTC for sm_90a without spills, and the plan resolves on every workload
// of the definition within H100 limits. Running them is the GPU box's part (results/ and the
// bundled-reference GPU test).
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <set>

#include "ksearch/eval/compile/nvrtc_compiler.h"
#include "ksearch/eval/plan/definition_plan.h"
#include "ksearch/eval/plan/launch_plan.h"
#include "ksearch/store/durable_file.h"
#include "ksearch/tasks/dataset_scan.h"
#include "ksearch/tasks/solution.h"
#include "support/hopper_limits.h"

namespace ksearch::tasks {
namespace {

namespace fs = std::filesystem;
const std::vector<fs::path> datasets = {fs::path(KSEARCH_SOURCE_DIR) / "tasks" / "flashinfer",
                                         fs::path(KSEARCH_SOURCE_DIR) / "tasks" / "gpumode" / "trimul"};

struct bundled_solution {
  fs::path dataset;
  fs::path folder;  // kernel.cu + launch.json
  fs::path packed;  // the Solution JSON made from them
  std::string definition;
};

std::vector<bundled_solution> all_bundled() {
  std::vector<bundled_solution> out;
  for (const fs::path& bundled : datasets) {
    for (const auto& dir : fs::directory_iterator(bundled / "references")) {
      const std::string def = dir.path().filename().string();
      for (const auto& op : fs::directory_iterator(bundled / "solutions")) {
        const fs::path packed = op.path() / (def + "_reference.json");
        if (fs::exists(packed)) out.push_back({bundled, dir.path(), packed, def});
      }
      EXPECT_TRUE(!out.empty() && out.back().definition == def) << def << ": no solutions/<op_type>/" << def
                                                                << "_reference.json; run tasks/pack_solutions.sh";
    }
    for (const auto& def_dir : fs::directory_iterator(bundled / "examples")) {
      if (!def_dir.is_directory()) continue;
      for (const auto& variant : fs::directory_iterator(def_dir.path())) {
        if (!variant.is_directory()) continue;
        fs::path packed = variant.path();
        packed += ".json";
        out.push_back({bundled, variant.path(), packed, def_dir.path().filename().string()});
      }
    }
  }
  return out;
}

TEST(BundledSolutions, EveryDefinitionHasANativeReference) {
  std::set<std::string> with_reference;
  for (const bundled_solution& s : all_bundled()) {
    if (s.folder.parent_path().filename() == "references") with_reference.insert(s.definition);
  }
  for (const fs::path& bundled : datasets) {
    auto listing = scan_dataset(bundled);
    ASSERT_TRUE(listing.has_value()) << listing.error().to_string();
    for (const definition_summary& entry : listing->definitions) {
      EXPECT_TRUE(with_reference.contains(entry.name)) << entry.name;
    }
  }
}

TEST(BundledSolutions, PackedJsonMatchesTheFilesAndThePlanResolvesOnEveryWorkload) {
  const std::vector<bundled_solution> solutions = all_bundled();
  ASSERT_GE(solutions.size(), 7u) << "five references and at least one example per dataset";
  for (const bundled_solution& s : solutions) {
    SCOPED_TRACE(s.folder.string());
    const std::string kernel = store::read_file(s.folder / "kernel.cu").value();
    const std::string plan_text = store::read_file(s.folder / "launch.json").value();
    auto packed = load_solution(s.packed);
    ASSERT_TRUE(packed.has_value()) << packed.error().to_string() << " (run tasks/pack_solutions.sh)";
    EXPECT_EQ(packed->definition, s.definition);
    ASSERT_NE(packed->source("kernel.cu"), nullptr);
    ASSERT_NE(packed->source("launch.json"), nullptr);
    EXPECT_EQ(*packed->source("kernel.cu"), kernel) << "stale: run tasks/pack_solutions.sh";
    EXPECT_EQ(*packed->source("launch.json"), plan_text) << "stale: run tasks/pack_solutions.sh";

    auto loaded = load_dataset_definition(s.dataset, s.definition);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
    auto iface = eval::plan_interface_for(loaded->def);
    ASSERT_TRUE(iface.has_value());
    auto plan = eval::parse_launch_plan_text(plan_text, *iface);
    ASSERT_TRUE(plan.has_value()) << plan.error().to_string();
    for (const workload& w : loaded->workloads) {
      auto symbols = eval::plan_symbols(loaded->def, w);
      ASSERT_TRUE(symbols.has_value()) << symbols.error().to_string();
      auto resolved = eval::resolve_launch_plan(*plan, *symbols, test_support::hopper_limits());
      EXPECT_TRUE(resolved.has_value()) << "workload " << w.uuid << ": " << resolved.error().to_string();
    }

    auto compiled = eval::compile_cuda({.source = kernel, .file_name = "kernel.cu", .arch = "sm_90a", .extra_options = {}});
    ASSERT_TRUE(compiled.has_value()) << compiled.error().to_string();
    EXPECT_FALSE(compiled->kernels.empty());
    for (const eval::kernel_resources& k : compiled->kernels) {
      EXPECT_EQ(k.spill_store_bytes, 0) << k.summary();
      std::cout << "[ kernel   ] " << s.folder.filename().string() << ": " << k.summary() << "\n";
    }
  }
}

}  // namespace
}  // namespace ksearch::tasks
