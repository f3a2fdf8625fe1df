// A short real search on the GPU: the ksearch binary, a scripted endpoint on loopback whose replies
// carry real kernels for scale_add_d256, and the real evaluator. The search must record each
// round's true status and keep the faster correct kernel as its best.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ksearch/common/json.h"
#include "ksearch/store/durable_file.h"
#include "support/gpu_fixture.h"
#include "support/run_process.h"
#include "support/scripted_llm.h"
#include "support/temp_dir.h"

namespace ksearch::search {
namespace {

using test_support::candidate_reply;
using test_support::llm_call_kind;

// One block walks every element: correct and far slower than one thread per element.
const std::string slow = candidate_reply(
    "extern \"C\" __global__ void slow(const float* x, const float* y, float* out, float alpha, long long n) {\n"
    "  for (long long i = threadIdx.x; i < n; i += blockDim.x) out[i] = alpha * x[i] + y[i];\n}",
    R"json({"steps": [{"kernel": "slow", "grid": [1], "block": [64], "args": ["x", "y", "out", "alpha", {"i64": "rows * dim"}]}]})json");

const std::string vec4 = candidate_reply(
    "extern \"C\" __global__ void fast(const float4* x, const float4* y, float4* out, float alpha, long long n4) {\n"
    "  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;\n"
    "  if (i >= n4) return;\n"
    "  const float4 a = x[i], b = y[i];\n"
    "  out[i] = make_float4(alpha * a.x + b.x, alpha * a.y + b.y, alpha * a.z + b.z, alpha * a.w + b.w);\n}",
    R"json({"let": [{"n4": "rows * dim / 4"}],
        "steps": [{"kernel": "fast", "grid": ["max(1, ceil_div(n4, 256))"], "block": [256],
                   "args": ["x", "y", "out", "alpha", {"i64": "n4"}]}]})json");

// Forgets alpha: wrong everywhere.
const std::string wrong = candidate_reply(
    "extern \"C\" __global__ void wrong(const float* x, const float* y, float* out, float alpha, long long n) {\n"
    "  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;\n"
    "  if (i < n) out[i] = x[i] + y[i];\n}",
    R"json({"steps": [{"kernel": "wrong", "grid": ["ceil_div(rows * dim, 256)"], "block": [256],
                   "args": ["x", "y", "out", "alpha", {"i64": "rows * dim"}]}]})json");

class SearchGpu : public test_support::gpu_fixture {};

// `ksearch run` for 3 rounds on scale_add_d256 of the mini dataset, the model answering slow, vec4
// and wrong in that order; `extra` flags go after the common ones.
test_support::process_output search_slow_vec4_wrong(const test_support::temp_dir& dir, const std::vector<std::string>& extra) {
  test_support::scripted_llm llm;
  llm.add(llm_call_kind::codegen, slow);
  llm.add(llm_call_kind::codegen, vec4);
  llm.add(llm_call_kind::codegen, wrong);
  const std::string mini = std::string(KSEARCH_TEST_DATA_DIR) + "/flashinfer-mini";
  std::vector<std::string> flags = {"--task", "flashinfer", "--task-path", mini, "--definition", "scale_add_d256",
                                    "--max-opt-rounds", "3", "--model-name", "scripted-model", "--base-url",
                                    llm.base_url(), "--artifacts-dir", (dir.path() / "a").string(), "--json"};
  flags.insert(flags.end(), extra.begin(), extra.end());
  return test_support::run_ksearch(flags, {{"LLM_API_KEY", ""}, {"OPENAI_API_KEY", ""}}, std::chrono::seconds(600));
}

TEST_F(SearchGpu, AShortRealSearchKeepsTheFasterCorrectKernel) {
  test_support::temp_dir dir;
  auto r = search_slow_vec4_wrong(dir, {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::fprintf(stderr, "%s\n", r.err.c_str());  // the per-round log, for the issue note

  const auto run_dir = dir.path() / "a" / "scale_add_d256";
  const auto records = store::read_jsonl(run_dir / "solutions.jsonl")->records;
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].value["evaluation"]["status"], "PASSED");
  EXPECT_EQ(records[1].value["evaluation"]["status"], "PASSED");
  EXPECT_EQ(records[2].value["evaluation"]["status"], "INCORRECT_NUMERICAL");
  const double slow_score = records[0].value["evaluation"]["score"];
  const double fast_score = records[1].value["evaluation"]["score"];
  EXPECT_GT(fast_score, 2 * slow_score) << "a single block cannot keep up with a full grid";

  const json best = json::parse(store::read_file(run_dir / "best_solution.json").value());
  EXPECT_NE(best["sources"][0]["content"].get<std::string>().find("fast"), std::string::npos);
  EXPECT_DOUBLE_EQ(json::parse(r.out)["best_score"].get<double>(), fast_score);
  // Traces: one per evaluated workload of each candidate that got to the timing stage.
  const auto traces = store::read_jsonl(run_dir / "traces.jsonl")->records;
  ASSERT_GE(traces.size(), 4u);
  EXPECT_EQ(traces[0].value["workload"]["uuid"], "test-0001");
  EXPECT_EQ(traces[0].value["evaluation"]["status"], "PASSED");
  EXPECT_GT(traces[0].value["evaluation"]["performance"]["latency_ms"].get<double>(), 0);
}

// Three samples of one prompt, drafted at once and evaluated as they arrive, one per GPU (two
// workers on a two-GPU box, one elsewhere): each keeps its own true status, and the best is the fast one.
TEST_F(SearchGpu, SamplesOfOnePromptAreEvaluatedConcurrentlyWithTheirOwnStatus) {
  test_support::temp_dir dir;
  auto r = search_slow_vec4_wrong(dir, {"--samples-per-round", "3", "--parallel-workloads", "--max-parallel-workloads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::fprintf(stderr, "%s\n", r.err.c_str());

  const auto run_dir = dir.path() / "a" / "scale_add_d256";
  const auto records = store::read_jsonl(run_dir / "solutions.jsonl")->records;
  ASSERT_EQ(records.size(), 3u);
  std::map<std::string, std::string> status_by_kernel;  // the kernel's name -> its status
  for (const auto& record : records) {
    const json& v = record.value;
    EXPECT_EQ(v["prompt_round"], 1);
    EXPECT_EQ(v["samples"], 3);
    const std::string code = v["solution"]["sources"][0]["content"];
    const std::string kernel = code.find("void slow") != std::string::npos   ? "slow"
                               : code.find("void fast") != std::string::npos ? "fast"
                                                                             : "wrong";
    status_by_kernel[kernel] = v["evaluation"]["status"];
  }
  EXPECT_EQ(status_by_kernel, (std::map<std::string, std::string>{
                                  {"fast", "PASSED"}, {"slow", "PASSED"}, {"wrong", "INCORRECT_NUMERICAL"}}));
  const json best = json::parse(store::read_file(run_dir / "best_solution.json").value());
  EXPECT_NE(best["sources"][0]["content"].get<std::string>().find("void fast"), std::string::npos);
}

// The world-model search on the GPU, killed while round 3 waits for the LLM and resumed: every
// round is recorded once, and the resumed session finishes the run. Prints both sessions' logs
// and the artifacts tree (the issue's evidence).
TEST_F(SearchGpu, AWorldModelSearchKilledMidRoundResumesWithoutLoss) {
  test_support::scripted_llm llm;
  test_support::temp_dir dir;
  const json world_model = {
      {"kernel_summary", "scale-add: memory bound, 12 bytes per element"},
      {"open_questions", {"does float4 help at 256 columns?"}},
      {"decision_tree",
       {{"root_id", "root"},
        {"active_leaf_id", "root"},
        {"nodes",
         {{{"node_id", "root"}, {"parent_id", nullptr}},
          {{"node_id", "grid"}, {"parent_id", "root"}, {"decision", "Mapping"}, {"choice", "one thread per element"},
           {"action", {{"title", "One thread per element"}, {"difficulty_1_to_5", 1}, {"score_0_to_1", 0.9}}}},
          {{"node_id", "block"}, {"parent_id", "root"}, {"decision", "Mapping"}, {"choice", "one block for all"},
           {"action", {{"title", "One block loops over everything"}, {"difficulty_1_to_5", 1}, {"score_0_to_1", 0.6}}}}}}}}};
  llm.add(llm_call_kind::init, world_model.dump());
  llm.add(llm_call_kind::codegen, slow);
  llm.add(llm_call_kind::codegen, wrong);
  llm.add(llm_call_kind::codegen, test_support::scripted_reply{vec4, 200, std::chrono::seconds(120)});
  llm.set_fallback(llm_call_kind::codegen, {vec4});
  const std::string mini = std::string(KSEARCH_TEST_DATA_DIR) + "/flashinfer-mini";
  std::vector<std::string> flags = {"--task", "flashinfer", "--task-path", mini, "--definition", "scale_add_d256",
                                    "--world-model", "--max-opt-rounds", "5", "--wm-stagnation-window", "2",
                                    "--model-name", "scripted-model", "--base-url", llm.base_url(), "--max-retries", "0",
                                    "--artifacts-dir", (dir.path() / "a").string()};
  const std::map<std::string, std::string> env = {{"LLM_API_KEY", ""}, {"OPENAI_API_KEY", ""}};
  auto killed = test_support::run_ksearch(flags, env, std::chrono::seconds(60));
  std::fprintf(stderr, "=== session 1 (killed with SIGKILL while round 3 waits for the LLM)\n%s\n", killed.err.c_str());
  ASSERT_TRUE(killed.timed_out);
  ASSERT_EQ(llm.prompts(llm_call_kind::codegen).size(), 3u);

  flags.insert(flags.end(), {"--continue-from-world-model", "auto"});
  auto resumed = test_support::run_ksearch(flags, env, std::chrono::seconds(600));
  std::fprintf(stderr, "=== session 2 (--continue-from-world-model auto)\n%s\n", resumed.err.c_str());
  ASSERT_EQ(resumed.exit_code, 0);

  const auto run_dir = dir.path() / "a" / "scale_add_d256";
  const auto records = store::read_jsonl(run_dir / "solutions.jsonl")->records;
  std::vector<int> rounds;
  for (const auto& r : records) rounds.push_back(r.value["round"]);
  EXPECT_EQ(rounds, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(records[0].value["evaluation"]["status"], "PASSED");
  EXPECT_EQ(records[1].value["evaluation"]["status"], "INCORRECT_NUMERICAL");
  EXPECT_EQ(records[2].value["evaluation"]["status"], "PASSED");
  const json best = json::parse(store::read_file(run_dir / "best_solution.json").value());
  EXPECT_NE(best["sources"][0]["content"].get<std::string>().find("fast"), std::string::npos);

  std::fprintf(stderr, "=== artifacts\n");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path() / "a")) {
    std::fprintf(stderr, "%s  %ju bytes\n", std::filesystem::relative(entry.path(), dir.path()).c_str(),
                 entry.is_regular_file() ? static_cast<std::uintmax_t>(entry.file_size()) : std::uintmax_t{0});
  }
}

}  // namespace
}  // namespace ksearch::search
