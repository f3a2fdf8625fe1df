// The launch scripts drive a real search on the GPU: each FlashInfer launcher with its own
// defaults (the bundled dataset, K-Search's feedback workloads, the world model), pointed at a
// scripted endpoint on loopback whose code replies carry a real kernel (the split-KV example for
// GQA, the native reference itself for the others). The run
// must pass every variable through: the rounds, the artifacts folder, the endpoint, the key taken
// from the environment only; and its rounds must be real evaluations on the GPU.
#include <gtest/gtest.h>

#include <filesystem>

#include "ksearch/common/json.h"
#include "ksearch/store/durable_file.h"
#include "support/gpu_fixture.h"
#include "support/run_process.h"
#include "support/scripted_llm.h"
#include "support/temp_dir.h"

namespace ksearch::cli {
namespace {

namespace fs = std::filesystem;
const fs::path source_dir = KSEARCH_SOURCE_DIR;

// Each FlashInfer launcher, and the solution the scripted LLM answers every code prompt with.
struct launcher_case {
  std::string script;
  std::string definition;
  fs::path candidate;  // kernel.cu + launch.json
  bool faster_than_reference;
};

const launcher_case launcher_cases[] = {
    {"gqa_decode_wm.sh", "gqa_paged_decode_h32_kv4_d128_ps1",
     source_dir / "tasks/flashinfer/examples/gqa_paged_decode_h32_kv4_d128_ps1/split_kv", true},
    {"mla_decode_wm.sh", "mla_paged_decode_h16_ckv512_kpe64_ps1",
     source_dir / "tasks/flashinfer/references/mla_paged_decode_h16_ckv512_kpe64_ps1", false},
    {"mla_prefill_wm.sh", "mla_paged_prefill_causal_h16_ckv512_kpe64_ps1",
     source_dir / "tasks/flashinfer/references/mla_paged_prefill_causal_h16_ckv512_kpe64_ps1", false},
    {"moe_fp8_wm.sh", "moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048",
     source_dir / "tasks/flashinfer/references/moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048", false},
};

class LaunchScriptsGpu : public test_support::gpu_fixture, public ::testing::WithParamInterface<launcher_case> {};

TEST_P(LaunchScriptsGpu, TheLauncherRunsAShortWorldModelSearchOnTheBundledDataset) {
  const launcher_case& c = GetParam();
  test_support::scripted_llm llm;
  llm.set_fallback(test_support::llm_call_kind::codegen,
                   {test_support::candidate_reply(store::read_file(c.candidate / "kernel.cu").value(),
                                                  store::read_file(c.candidate / "launch.json").value())});
  test_support::temp_dir dir;
  const std::string key = "sk-launcher-test-key-never-printed";
  auto r = test_support::run_process(
      {"/bin/bash", (source_dir / "scripts" / c.script).string()},
      {{"KSEARCH_BIN", KSEARCH_BINARY},
       {"BASE_URL", llm.base_url()},
       {"MODEL", "scripted-model"},
       {"OPENAI_API_KEY", key},
       {"LLM_API_KEY", ""},
       {"MAX_OPT_ROUNDS", "2"},
       {"TARGET_GPU", "H100"},
       {"ARTIFACTS_DIR", (dir.path() / "runs").string()},
       {"WANDB", "0"}},
      std::chrono::seconds(900));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::fprintf(stderr, "%s\n", r.err.c_str());  // the launcher's run log, for the issue note
  EXPECT_EQ(r.out.find(key), std::string::npos);
  EXPECT_EQ(r.err.find(key), std::string::npos);

  const fs::path run_dir = dir.path() / "runs" / c.definition;
  const auto records = store::read_jsonl(run_dir / "solutions.jsonl");
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->records.size(), 2u) << "MAX_OPT_ROUNDS reached ksearch";
  const json first = records->records[0].value["evaluation"];
  EXPECT_EQ(first["status"], "PASSED") << first.dump();
  if (c.faster_than_reference) {
    EXPECT_GT(first["score"].get<double>(), 1.0) << "the split-KV example beats the native reference";
  } else {
    EXPECT_GT(first["score"].get<double>(), 0.5) << "the reference against itself";
  }

  // Traces in FlashInfer Trace form: the whole workload and the GPU that measured it.
  const auto traces = store::read_jsonl(run_dir / "traces.jsonl");
  ASSERT_TRUE(traces.has_value());
  ASSERT_FALSE(traces->records.empty());
  const json& trace = traces->records[0].value;
  EXPECT_TRUE(trace["workload"].contains("axes")) << trace.dump();
  EXPECT_TRUE(trace["evaluation"]["environment"]["hardware"].is_string()) << trace.dump();

  // K-Search's feedback workloads, passed by the launcher, and the bundled native reference.
  const auto run = json::parse(store::read_file(run_dir / "run.json").value());
  const std::size_t feedback = c.definition.starts_with("mla_paged_prefill") ? 8u : 5u;
  EXPECT_EQ(run["task"]["workloads"].size(), feedback);
  EXPECT_EQ(run["task"]["reference_solution"], c.definition + "_reference");
}

// "gqa_decode_wm.sh" -> "gqadecodewm" (gtest names allow no '_' in parameter names).
std::string launcher_name(const ::testing::TestParamInfo<launcher_case>& p) {
  std::string name = p.param.script.substr(0, p.param.script.find('.'));
  std::erase(name, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(FlashInfer, LaunchScriptsGpu, ::testing::ValuesIn(launcher_cases), launcher_name);

}  // namespace
}  // namespace ksearch::cli
