// `ksearch run` as a real process against a scripted endpoint on loopback, evaluating in
// compile-only mode (NVRTC + launch-plan check), so it runs without a GPU: flags to artifacts,
// a kill -9 in the middle of a round, and the resume that follows.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "ksearch/common/json.h"
#include "ksearch/store/durable_file.h"
#include "ksearch/tasks/solution.h"
#include "support/run_process.h"
#include "support/scripted_llm.h"
#include "support/temp_dir.h"

namespace ksearch::cli {
namespace {

using test_support::llm_call_kind;
using test_support::run_ksearch;

const std::map<std::string, std::string> no_keys = {{"LLM_API_KEY", ""}, {"OPENAI_API_KEY", ""}};
const std::string mini = std::string(KSEARCH_TEST_DATA_DIR) + "/flashinfer-mini";

std::string good_kernel(int variant) {
  return test_support::candidate_reply(
      "// variant " + std::to_string(variant) +
          "\nextern \"C\" __global__ void scale_add(const float* x, const float* y, float* out, float alpha, long long n) {\n"
          "  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;\n"
          "  if (i < n) out[i] = alpha * x[i] + y[i];\n}",
      R"json({"steps": [{"kernel": "scale_add", "grid": ["ceil_div(rows * dim, 256)"], "block": [256],
          "args": ["x", "y", "out", "alpha", {"i64": "rows * dim"}]}]})json");
}

std::string broken_kernel() {
  return test_support::candidate_reply("extern \"C\" __global__ void scale_add( { oops }",
                                       R"json({"steps": [{"kernel": "scale_add", "grid": [1], "block": [1], "args": []}]})json");
}

std::string init_reply() {
  const json doc = {
      {"kernel_summary", "elementwise scale-add, memory bound"},
      {"open_questions", {"vector width"}},
      {"decision_tree",
       {{"root_id", "root"},
        {"active_leaf_id", "root"},
        {"nodes",
         {{{"node_id", "root"}, {"parent_id", nullptr}},
          {{"node_id", "vec"},
           {"parent_id", "root"},
           {"decision", "Access"},
           {"choice", "vectorised"},
           {"action", {{"title", "Use float4 loads"}, {"difficulty_1_to_5", 2}, {"score_0_to_1", 0.8}}}}}}}}};
  return doc.dump();
}

std::vector<std::string> run_flags(const test_support::scripted_llm& llm, const std::filesystem::path& artifacts) {
  return {"--task",         "flashinfer",      "--task-path",    mini,           "--definition", "scale_add_d256",
          "--world-model",  "--max-opt-rounds", "4",             "--eval-mode",  "compile-only", "--model-name",
          "scripted-model", "--base-url",      llm.base_url(),   "--artifacts-dir", artifacts.string(),
          "--max-retries",  "0"};
}

std::vector<int> recorded_rounds(const std::filesystem::path& run_dir) {
  std::vector<int> rounds;
  const auto contents = store::read_jsonl(run_dir / "solutions.jsonl");
  for (const auto& r : contents->records) rounds.push_back(r.value["round"]);
  return rounds;
}

TEST(CmdRun, KilledMidRoundThenResumedLosesAndRepeatsNothing) {
  test_support::scripted_llm llm;
  test_support::temp_dir dir;
  llm.add(llm_call_kind::init, init_reply());
  llm.add(llm_call_kind::codegen, good_kernel(1));
  llm.add(llm_call_kind::codegen, broken_kernel());
  llm.add(llm_call_kind::codegen, test_support::scripted_reply{good_kernel(3), 200, std::chrono::seconds(60)});  // round 3: killed while waiting
  llm.set_fallback(llm_call_kind::codegen, {good_kernel(4)});
  const std::filesystem::path run_dir = dir.path() / "artifacts" / "scale_add_d256";

  auto killed = run_ksearch(run_flags(llm, dir.path() / "artifacts"), no_keys, std::chrono::seconds(25));
  ASSERT_TRUE(killed.timed_out) << killed.err;
  ASSERT_EQ(llm.prompts(llm_call_kind::codegen).size(), 3u) << "killed while round 3 waited for the LLM\n" << killed.err;
  EXPECT_EQ(recorded_rounds(run_dir), (std::vector<int>{1, 2}));
  const auto records = store::read_jsonl(run_dir / "solutions.jsonl")->records;
  EXPECT_EQ(records[0].value["evaluation"]["status"], "COMPILED");
  EXPECT_EQ(records[1].value["evaluation"]["status"], "COMPILE_ERROR");
  EXPECT_TRUE(std::filesystem::exists(run_dir / "world_model.json"));
  EXPECT_TRUE(std::filesystem::exists(run_dir / "transcript.jsonl"));

  // The same command again refuses to mix a new run into the old one.
  auto refused = run_ksearch(run_flags(llm, dir.path() / "artifacts"), no_keys, std::chrono::seconds(60));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--resume"), std::string::npos) << refused.err;

  std::vector<std::string> resume = run_flags(llm, dir.path() / "artifacts");
  resume.insert(resume.end(), {"--continue-from-world-model", "auto"});
  auto resumed = run_ksearch(resume, no_keys, std::chrono::seconds(120));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(recorded_rounds(run_dir), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_NE(resumed.err.find("resuming"), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.err.find("round 3/4"), std::string::npos) << resumed.err;
  EXPECT_EQ(llm.prompts(llm_call_kind::init).size(), 1u) << "the world model came back from its snapshot";
  const json session_log = json::parse(store::read_file(run_dir / "run.json").value());
  EXPECT_EQ(session_log["sessions"].size(), 2u) << "the killed session and the resumed one (the refused one never started)";
}

TEST(CmdRun, PlainLoopRunsToTheBudgetAndReportsJson) {
  test_support::scripted_llm llm;
  test_support::temp_dir dir;
  llm.set_fallback(llm_call_kind::codegen, {good_kernel(1)});
  std::vector<std::string> flags = run_flags(llm, dir.path() / "artifacts");
  std::erase(flags, std::string("--world-model"));
  *std::find(flags.begin(), flags.end(), "4") = "2";  // --max-opt-rounds 2
  flags.push_back("--json");
  auto r = run_ksearch(flags, no_keys, std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["last_round"], 2);
  EXPECT_EQ(out["stop_reason"], "round budget spent");
  EXPECT_NE(r.err.find("round 2/2"), std::string::npos) << r.err;

  // run.json says what ran and how the session ended.
  const json run = json::parse(store::read_file(dir.path() / "artifacts" / "scale_add_d256" / "run.json").value());
  ASSERT_EQ(run["sessions"].size(), 1u);
  const json& session = run["sessions"][0];
  EXPECT_EQ(session["stop_reason"], "round budget spent");
  EXPECT_EQ(session["last_round"], 2);
  EXPECT_TRUE(session["gpu"].is_null()) << "compile-only mode uses no GPU";
  EXPECT_FALSE(session["nvrtc"].get<std::string>().empty());
  EXPECT_EQ(run["task"]["workloads"], (json{"test-0001", "test-0002"}));
}

TEST(CmdRun, AGpuSearchWithoutAGpuStopsBeforeAnyLlmCall) {
  test_support::scripted_llm llm;
  test_support::temp_dir dir;
  std::vector<std::string> flags = run_flags(llm, dir.path() / "artifacts");
  *std::find(flags.begin(), flags.end(), "compile-only") = "gpu";
  flags.push_back("--device");
  flags.push_back("1000");  // no machine has this one, so the test means the same with or without a GPU
  auto r = run_ksearch(flags, no_keys);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--eval-mode compile-only"), std::string::npos) << r.err;
  EXPECT_TRUE(llm.prompts(llm_call_kind::init).empty());
  EXPECT_TRUE(llm.prompts(llm_call_kind::codegen).empty());
}

// GPUMode TriMul end to end without a GPU: the bundled dataset, the task notes in the prompt, and
// the reply's kernel compiled and its plan checked.
TEST(CmdRun, GpumodeTrimulSearchesInCompileOnlyMode) {
  test_support::scripted_llm llm;
  test_support::temp_dir dir;
  auto example = tasks::load_solution(std::filesystem::path(KSEARCH_SOURCE_DIR) / "tasks/gpumode/trimul/examples/trimul/tensor_core.json");
  ASSERT_TRUE(example.has_value()) << example.error().to_string();
  llm.set_fallback(llm_call_kind::codegen,
                   {test_support::candidate_reply(*example->source("kernel.cu"), *example->source("launch.json"))});
  const std::filesystem::path artifacts = dir.path() / "artifacts";
  auto r = run_ksearch({"--task", "gpumode", "--gpumode-mode", "leaderboard", "--max-opt-rounds", "1", "--eval-mode",
                        "compile-only", "--model-name", "scripted-model", "--base-url", llm.base_url(), "--artifacts-dir",
                        artifacts.string(), "--max-retries", "0", "--json"},
                       no_keys, std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json run = json::parse(store::read_file(artifacts / "trimul" / "run.json").value());
  EXPECT_EQ(run["task"]["backend"], "gpumode");
  EXPECT_EQ(run["task"]["mode"], "leaderboard");
  EXPECT_EQ(run["task"]["benchmarks"].size(), 7u);
  const auto records = store::read_jsonl(artifacts / "trimul" / "solutions.jsonl");
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->records.size(), 1u);
  EXPECT_EQ(records->records[0].value["evaluation"]["status"], "COMPILED") << records->records[0].value.dump();
  const std::vector<std::string> prompts = llm.prompts(llm_call_kind::codegen);
  ASSERT_EQ(prompts.size(), 1u);
  EXPECT_NE(prompts[0].find("Task notes (GPUMode TriMul"), std::string::npos) << "the notes are in the prompt";
}

TEST(CmdRun, AMissingDefinitionOrReferenceIsAClearError) {
  test_support::scripted_llm llm;
  test_support::temp_dir dir;
  std::vector<std::string> flags = run_flags(llm, dir.path() / "artifacts");
  flags[5] = "no_such_definition";
  auto unknown = run_ksearch(flags, no_keys);
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no_such_definition"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("scale_add_d256"), std::string::npos) << "lists the known ones: " << unknown.err;

  flags = run_flags(llm, dir.path() / "artifacts");
  flags.insert(flags.end(), {"--reference-solution", "nope"});
  auto no_reference = run_ksearch(flags, no_keys);
  EXPECT_EQ(no_reference.exit_code, 1);
  EXPECT_NE(no_reference.err.find("--reference-solution nope"), std::string::npos) << no_reference.err;
  EXPECT_NE(no_reference.err.find("scale_add_reference"), std::string::npos) << no_reference.err;
}

}  // namespace
}  // namespace ksearch::cli
