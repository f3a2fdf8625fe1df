// GPUMode TriMul on a real GPU: the bundled native reference and the hand-written tensor-core
// example through the task's phases (tests checked, benchmarks timed, geometric mean), and
// leaderboard mode's recheck catching a kernel that is right only for the first inputs it sees, and
// kernels that skip timed calls they guess are unchecked caught in benchmark mode.
// A few small shapes keep it short; the full 18 + 7 run is `ksearch eval --task gpumode`
// (results/gpumode-trimul/).
#include "ksearch/search/gpumode_task.h"

#include <gtest/gtest.h>

#include "ksearch/common/json.h"
#include "ksearch/search/flashinfer_task.h"
#include "ksearch/tasks/dataset_scan.h"
#include "ksearch/tasks/solution.h"
#include "support/gpu_fixture.h"
#include "support/skipping_cheat.h"

namespace ksearch::search {
namespace {

namespace fs = std::filesystem;
const fs::path trimul_dataset = fs::path(KSEARCH_SOURCE_DIR) / "tasks" / "gpumode" / "trimul";

eval::solution_code bundled_code(const fs::path& file) {
  auto s = tasks::load_solution(trimul_dataset / file);
  EXPECT_TRUE(s.has_value()) << s.error().to_string();
  auto code = solution_code_of(*s);
  EXPECT_TRUE(code.has_value());
  return *code;
}

// The reference, turned into a kernel that computes honestly for its first `honest_calls` calls and
// afterwards only rewrites its output in place (so it still takes the time of touching every
// output byte and passes the physics floor): right for the first inputs it sees, stale after.
eval::solution_code stale_after(const eval::solution_code& reference, int honest_calls) {
  std::string source = "__device__ unsigned long long ks_calls;\n"
                       "__device__ __forceinline__ bool ks_replaying() { return ks_calls >= " +
                       std::to_string(honest_calls) + "ULL; }\n" + reference.source;
  for (std::size_t at = source.find("extern \"C\" __global__"); at != std::string::npos;
       at = source.find("extern \"C\" __global__", at + 1)) {
    const std::size_t body = source.find('{', at);
    source.insert(body + 1, " if (ks_replaying()) return;");
  }
  source += R"(
extern "C" __global__ void ks_touch(float* out, long long n) {
  if (!ks_replaying()) return;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    out[i] = out[i] * 1.0f;
}
extern "C" __global__ void ks_count_call() { ks_calls += 1; }
)";
  const std::string elements = "batch_size * seq_len * seq_len * dim";
  json plan = json::parse(reference.plan_json);
  json touch = {{"kernel", "ks_touch"}, {"block", json::array({256})}};
  touch["grid"] = json::array({"ceil_div(" + elements + ", 1024)"});
  touch["args"] = json::array({"out", json{{"i64", elements}}});
  json count = {{"kernel", "ks_count_call"}, {"args", json::array()}};
  count["grid"] = json::array({1});
  count["block"] = json::array({1});
  plan["steps"].push_back(touch);
  plan["steps"].push_back(count);
  return {"stale_after_first_inputs", source, plan.dump()};
}

class GpumodeTaskGpu : public test_support::gpu_fixture {
 protected:
  void SetUp() override {
    gpu_fixture::SetUp();
    if (IsSkipped()) return;
    auto loaded = tasks::load_dataset_definition(trimul_dataset, "trimul");
    ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
    base_.definition = loaded->def;
    all_ = loaded->workloads;
    base_.reference = bundled_code("solutions/trimul/trimul_reference.json");
    base_.dataset_root = trimul_dataset.string();
    auto service = eval::evaluation_pool::create(
        {.worker = {.worker_argv = {KSEARCH_BINARY, "__worker"}, .timeout = std::chrono::seconds(300)}, .devices = {}});
    ASSERT_TRUE(service.has_value()) << service.error().to_string();
    service_ = std::move(*service);
  }

  void use_workloads(std::initializer_list<const char*> prefixes) {
    base_.workloads.clear();
    for (const tasks::workload& w : all_) {
      for (const char* prefix : prefixes) {
        if (w.uuid.starts_with(prefix)) base_.workloads.push_back(w);
      }
    }
    ASSERT_EQ(base_.workloads.size(), prefixes.size());
  }

  phased_outcome run(gpumode_mode mode, const eval::solution_code& candidate) {
    base_.candidate = candidate;
    auto outcome = run_phases(*service_, gpumode_phases(mode, base_, /*cold_l2=*/false));
    EXPECT_TRUE(outcome.has_value()) << outcome.error().to_string();
    return outcome.value_or(phased_outcome{});
  }

  eval::eval_request base_;
  std::vector<tasks::workload> all_;
  std::unique_ptr<eval::evaluation_pool> service_;
};

TEST_F(GpumodeTaskGpu, TheTensorCoreExamplePassesTestsAndBenchmarksFasterThanTheReference) {
  // Two test shapes (one masked, one Cauchy) and two benchmark shapes, in leaderboard mode.
  use_workloads({"test-02-", "test-12-", "benchmark-01-", "benchmark-04-"});
  const phased_outcome outcome = run(gpumode_mode::leaderboard, bundled_code("examples/trimul/tensor_core.json"));
  ASSERT_TRUE(outcome.passed()) << outcome.log;
  ASSERT_EQ(outcome.phases.size(), 2u);
  EXPECT_EQ(outcome.phases[0].first, "tests");
  for (const eval::workload_result& w : outcome.phases[0].second.workloads) EXPECT_LT(w.latency_ms, 0) << "tests are not timed";
  ASSERT_TRUE(outcome.geomean_ms.has_value());
  ASSERT_TRUE(outcome.reference_geomean_ms.has_value());
  EXPECT_GT(*outcome.reference_geomean_ms, *outcome.geomean_ms) << "tensor cores beat fp32 SIMT";
  for (const eval::workload_result& w : outcome.phases[1].second.workloads) {
    EXPECT_GE(w.timing.samples, 3u) << w.uuid;
    EXPECT_LE(w.max_absolute_error, 2e-2 + 2e-2 * 10) << w.uuid;
    std::cout << "[ trimul   ] " << w.uuid << ": " << w.latency_ms << " ms (reference " << w.reference_latency_ms
              << " ms), " << w.timing.samples << " samples, " << w.timing.stop_reason << "\n";
  }
  std::cout << "[ trimul   ] geomean " << *outcome.geomean_ms << " ms, reference " << *outcome.reference_geomean_ms << " ms\n";
}

TEST_F(GpumodeTaskGpu, RecheckAndSampledChecksRejectAKernelRightOnlyForTheFirstInputs) {
  use_workloads({"benchmark-01-"});
  base_.config.correctness_trials = 1;
  // Honest for the one correctness call and the first timed (warm-up) call, stale afterwards.
  const eval::solution_code stale = stale_after(base_.reference, 2);

  // Benchmark mode (upstream times it on one input set, where replaying goes unseen) gives every
  // timed call fresh inputs and a poisoned output too, and always checks the last call.
  const phased_outcome benchmark = run(gpumode_mode::benchmark, stale);
  EXPECT_EQ(benchmark.status, tasks::evaluation_status::incorrect_numerical) << benchmark.log;
  EXPECT_NE(benchmark.log.find("timed call"), std::string::npos) << "right in the checked trial: " << benchmark.log;

  // Leaderboard mode draws fresh inputs and poisons the output before every timed call.
  const phased_outcome leaderboard = run(gpumode_mode::leaderboard, stale);
  EXPECT_EQ(leaderboard.status, tasks::evaluation_status::incorrect_numerical) << leaderboard.log;
  EXPECT_NE(leaderboard.log.find("recheck"), std::string::npos) << leaderboard.log;
  EXPECT_FALSE(leaderboard.geomean_ms.has_value());
}

TEST_F(GpumodeTaskGpu, KernelsThatSkipCallsTheyGuessAreUncheckedFailOrAreTimedAtTheirRealCost) {
  // Benchmark mode: upstream times every call on one input set; here each timed call gets its own.
  use_workloads({"test-02-", "benchmark-01-"});
  const eval::solution_code honest = bundled_code("examples/trimul/tensor_core.json");
  const phased_outcome baseline = run(gpumode_mode::benchmark, honest);
  ASSERT_TRUE(baseline.passed()) << baseline.log;
  ASSERT_TRUE(baseline.geomean_ms.has_value());
  for (const test_support::skip_when when :
       {test_support::skip_when::inputs_unchanged, test_support::skip_when::output_already_right,
        test_support::skip_when::calls_back_to_back}) {
    const phased_outcome cheat = run(gpumode_mode::benchmark, test_support::skipping_cheat(honest, when, "x", "out"));
    test_support::expect_caught_or_paid(when, std::string(tasks::to_string(cheat.status)), cheat.log,
                                        cheat.geomean_ms.value_or(0), *baseline.geomean_ms);
  }
}

}  // namespace
}  // namespace ksearch::search
