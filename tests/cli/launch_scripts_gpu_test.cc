// The launch scripts drive a real search on the GPU: scripts/gqa_decode_wm.sh with its own
// defaults (the bundled dataset, K-Search's five feedback workloads, the world model), pointed at
// a scripted endpoint on loopback whose code replies carry the bundled split-KV example. The run
// must pass every variable through: the rounds, the artifacts folder, the endpoint, the key taken
// from the environment only; and its rounds must be real evaluations on the GPU.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ksearch/store/durable_file.h"
#include "support/gpu_fixture.h"
#include "support/run_process.h"
#include "support/scripted_llm.h"
#include "support/temp_dir.h"

namespace ksearch::cli {
namespace {

namespace fs = std::filesystem;
const fs::path source_dir = KSEARCH_SOURCE_DIR;

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class LaunchScriptsGpu : public test_support::gpu_fixture {};

TEST_F(LaunchScriptsGpu, TheGqaLauncherRunsAShortWorldModelSearchOnTheBundledDataset) {
  const fs::path example = source_dir / "tasks/flashinfer/examples/gqa_paged_decode_h32_kv4_d128_ps1/split_kv";
  test_support::scripted_llm llm;
  llm.set_fallback(test_support::llm_call_kind::codegen,
                   {test_support::candidate_reply(read_text(example / "kernel.cu"), read_text(example / "launch.json"))});
  test_support::temp_dir dir;
  const std::string key = "sk-launcher-test-key-never-printed";
  auto r = test_support::run_process(
      {"/bin/bash", (source_dir / "scripts/gqa_decode_wm.sh").string()},
      {{"KSEARCH_BIN", KSEARCH_BINARY},
       {"BASE_URL", llm.base_url()},
       {"MODEL", "scripted-model"},
       {"OPENAI_API_KEY", key},
       {"LLM_API_KEY", ""},
       {"MAX_OPT_ROUNDS", "2"},
       {"ARTIFACTS_DIR", (dir.path() / "runs").string()},
       {"WANDB", "0"}},
      std::chrono::seconds(900));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::fprintf(stderr, "%s\n", r.err.c_str());  // the launcher's run log, for the issue note
  EXPECT_EQ(r.out.find(key), std::string::npos);
  EXPECT_EQ(r.err.find(key), std::string::npos);

  const fs::path run_dir = dir.path() / "runs" / "gqa_paged_decode_h32_kv4_d128_ps1";
  const auto records = store::read_jsonl(run_dir / "solutions.jsonl");
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->records.size(), 2u) << "MAX_OPT_ROUNDS reached ksearch";
  const nlohmann::json first = records->records[0].value["evaluation"];
  EXPECT_EQ(first["status"], "PASSED") << first.dump();
  EXPECT_GT(first["score"].get<double>(), 1.0) << "the split-KV example beats the native reference";

  // Traces in FlashInfer Trace form: the whole workload and the GPU that measured it.
  const auto traces = store::read_jsonl(run_dir / "traces.jsonl");
  ASSERT_TRUE(traces.has_value());
  ASSERT_FALSE(traces->records.empty());
  const nlohmann::json& trace = traces->records[0].value;
  EXPECT_TRUE(trace["workload"].contains("axes")) << trace.dump();
  EXPECT_TRUE(trace["evaluation"]["environment"]["hardware"].is_string()) << trace.dump();

  const auto run = nlohmann::json::parse(store::read_file(run_dir / "run.json").value());
  EXPECT_EQ(run["task"]["workloads"].size(), 5u) << "K-Search's feedback workloads, from the launcher";
  EXPECT_EQ(run["task"]["reference_solution"], "gqa_paged_decode_h32_kv4_d128_ps1_reference");
}

}  // namespace
}  // namespace ksearch::cli
