// The evaluator end to end, through the worker process, on a real GPU: an honest kernel passes,
// and every cheat or fault we know of ends with the right status and never PASSED. The worker
// must survive or be replaced: each test evaluates an honest kernel after the bad one.
// Add a case here whenever a new hack comes to mind.
#include "ksearch/eval/isolation/evaluation_service.h"
#include "ksearch/common/json.h"
#include "ksearch/eval/reference_oracle.h"

#include <gtest/gtest.h>

#include "ksearch/tasks/dataset_scan.h"
#include "ksearch/tasks/solution.h"
#include "support/gpu_fixture.h"
#include "support/skipping_cheat.h"

namespace ksearch::eval {
namespace {

const std::filesystem::path mini = std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "flashinfer-mini";

solution_code code_from(const std::string& file) {
  auto s = tasks::load_solution(mini / "solutions/elementwise" / file);
  EXPECT_TRUE(s.has_value()) << s.error().to_string();
  return {s->name, *s->source("kernel.cu"), *s->source("launch.json")};
}

// One-element-per-thread launch over rows * dim, with the scale_add signature.
const char* simple_plan(const char* kernel) {
  static thread_local std::string plan;
  plan = std::string(R"({"steps": [{"kernel": ")") + kernel +
         R"json(", "grid": ["ceil_div(rows * dim, 256)"], "block": [256], "args": ["x", "y", "out", "alpha", {"i64": "rows * dim"}]}]})json";
  return plan.c_str();
}

class EvaluatorGpu : public test_support::gpu_fixture {
 protected:
  void SetUp() override {
    gpu_fixture::SetUp();
    if (IsSkipped()) return;
    auto entry = tasks::load_dataset_definition(mini, "scale_add_d256");
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    request_.definition = entry->def;
    request_.workloads = entry->workloads;
    request_.reference = code_from("scale_add_reference.json");
    request_.config.timing.time_budget_ms = 300;  // keep each evaluation short
    auto service = evaluation_service::create({.worker_argv = {KSEARCH_BINARY, "__worker"},
                                               .timeout = std::chrono::seconds(20)});
    ASSERT_TRUE(service.has_value()) << service.error().to_string();
    service_ = std::move(*service);
  }

  eval_result evaluate(const std::string& source, const std::string& plan, const std::string& name = "candidate") {
    request_.candidate = {name, source, plan};
    auto r = service_->evaluate(request_);
    EXPECT_TRUE(r.has_value()) << r.error().to_string();
    return r.value_or(eval_result{.status = tasks::evaluation_status::runtime_error, .log = "harness error"});
  }

  // The honest kernel must still pass on the same service afterwards.
  void expect_service_still_works() {
    const eval_result r = evaluate(code_from("scale_add_vec4.json").source, code_from("scale_add_vec4.json").plan_json);
    EXPECT_EQ(r.status, tasks::evaluation_status::passed) << r.log;
  }

  eval_request request_;
  std::unique_ptr<evaluation_service> service_;
};

TEST_F(EvaluatorGpu, AnHonestKernelPassesWithTimingsAndResources) {
  const solution_code vec = code_from("scale_add_vec4.json");
  const eval_result r = evaluate(vec.source, vec.plan_json, vec.name);
  ASSERT_EQ(r.status, tasks::evaluation_status::passed) << r.log;
  ASSERT_EQ(r.workloads.size(), 2u);
  for (const workload_result& w : r.workloads) {
    EXPECT_GT(w.latency_ms, 0) << w.uuid;
    EXPECT_GT(w.reference_latency_ms, 0) << w.uuid;
    EXPECT_GT(w.speedup_factor, 0) << w.uuid;
    EXPECT_GE(w.timing.samples, 10u) << w.uuid;
    EXPECT_FALSE(w.timing.stop_reason.empty());
    // The native reference is read with the candidate's clock (CUPTI by default).
    EXPECT_EQ(w.timing.clock, "cupti") << w.timing.clock_note;
    EXPECT_EQ(w.reference_timing.clock, "cupti") << w.reference_timing.clock_note;
    EXPECT_EQ(w.max_absolute_error, 0) << "fmaf vs a*x+y differ at most in rounding, and both use fma here";
  }
  // NVRTC can drop ptxas's report when programs compile concurrently; compile_cuda then compiles
  // again alone (nvrtc_compiler.cc), so the report is always there.
  ASSERT_EQ(r.kernels.size(), 1u);
  for (const kernel_resources& k : r.kernels) EXPECT_EQ(k.name, "scale_add_vec4");
  std::cout << "[ timing   ] " << r.workloads[1].uuid << " candidate " << r.workloads[1].latency_ms * 1e3 << " us, reference "
            << r.workloads[1].reference_latency_ms * 1e3 << " us, noise " << r.workloads[1].timing.rel_noise * 100 << "%, "
            << r.workloads[1].timing.stop_reason << "\n";
}

// The definition's Python reference, run by the PyTorch oracle, instead of the native one: the
// same checks and a timed reference. Needs python3 with torch and safetensors (the GPU box).
TEST_F(EvaluatorGpu, TheOracleReferenceChecksAndTimesLikeTheNativeOne) {
  auto script = bundled_oracle_script();
  ASSERT_TRUE(script.has_value());
  const oracle_environment env = probe_oracle({.script = *script});
  if (!env.ready) GTEST_SKIP() << "the PyTorch oracle cannot run here: " << env.problem;
  request_.oracle = oracle_reference{"python3", script->string(), 120};
  const solution_code vec = code_from("scale_add_vec4.json");
  const eval_result r = evaluate(vec.source, vec.plan_json, vec.name);
  ASSERT_EQ(r.status, tasks::evaluation_status::passed) << r.log;
  for (const workload_result& w : r.workloads) {
    EXPECT_GT(w.reference_latency_ms, 0) << w.uuid;
    EXPECT_GE(w.reference_timing.samples, 10u) << w.uuid;
    EXPECT_EQ(w.reference_timing.clock, "events") << "the oracle times PyTorch with torch.cuda.Event";
    EXPECT_LE(w.max_absolute_error, 1e-5) << "torch's alpha * x + y against fmaf: rounding only";
  }
  std::cout << "[ oracle   ] torch " << env.torch_version << " on " << env.device << ": reference "
            << r.workloads.back().reference_latency_ms * 1e3 << " us, candidate " << r.workloads.back().latency_ms * 1e3
            << " us\n";

  // A wrong kernel fails against the oracle too, and the oracle keeps serving.
  const eval_result wrong = evaluate(R"(
extern "C" __global__ void k(const float* x, const float* y, float* out, float a, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) out[i] = a * x[i] - y[i];
})",
                                     simple_plan("k"));
  EXPECT_EQ(wrong.status, tasks::evaluation_status::incorrect_numerical) << wrong.log;
  const eval_result again = evaluate(vec.source, vec.plan_json, vec.name);
  EXPECT_EQ(again.status, tasks::evaluation_status::passed) << again.log;
}

TEST_F(EvaluatorGpu, WritingNothingFails) {
  const eval_result r = evaluate(R"(extern "C" __global__ void k(const float*, const float*, float*, float, long long) {})",
                                 simple_plan("k"));
  EXPECT_EQ(r.status, tasks::evaluation_status::incorrect_numerical) << r.log;
  EXPECT_NE(r.log.find("output 'out'"), std::string::npos) << r.log;
}

TEST_F(EvaluatorGpu, ANaNInTheOutputFails) {
  const eval_result r = evaluate(R"(
extern "C" __global__ void k(const float* x, const float* y, float* out, float a, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) out[i] = (i == n / 2) ? __int_as_float(0x7fc00000) : a * x[i] + y[i];
})",
                                 simple_plan("k"));
  EXPECT_EQ(r.status, tasks::evaluation_status::incorrect_numerical) << r.log;
}

TEST_F(EvaluatorGpu, AMissingSyncthreadsRaceFails) {
  // Threads hand values to each other through shared memory without __syncthreads(). The upper
  // warps are slow to write, so the lower warps read slots that hold another block's (or
  // nothing's) data: the classic race, made certain instead of likely by the sleep.
  const eval_result r = evaluate(R"(
extern "C" __global__ void racy(const float* x, const float* y, float* out, float a, long long n) {
  __shared__ float tile[256];
  const long long base = blockIdx.x * 256LL;
  const int t = threadIdx.x;
  if (t >= 128) __nanosleep(20000);
  if (base + t < n) tile[t] = a * x[base + t] + y[base + t];
  const int u = 255 - t;  // a __syncthreads() belongs here
  if (base + u < n) out[base + u] = tile[u];
})",
                                 simple_plan("racy"));
  EXPECT_EQ(r.status, tasks::evaluation_status::incorrect_numerical) << r.log;
  expect_service_still_works();
}

TEST_F(EvaluatorGpu, RightOnlyOnTheFirstCallFails) {
  // Correct on its first call, off by one afterwards (a kernel tuned to the first seed).
  const eval_result r = evaluate(R"(
__device__ int calls;
extern "C" __global__ void k(const float* x, const float* y, float* out, float a, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  const int seen = calls;
  if (i < n) out[i] = a * x[i] + y[i] + (seen > 0 ? 1.0f : 0.0f);
  if (i == 0) atomicAdd(&calls, 1);
})",
                                 simple_plan("k"));
  EXPECT_EQ(r.status, tasks::evaluation_status::incorrect_numerical) << r.log;
  EXPECT_NE(r.log.find("trial 2"), std::string::npos) << r.log;
  expect_service_still_works();
}

TEST_F(EvaluatorGpu, ReplayingACachedResultFails) {
  // Computes once into a device-global cache, then only copies the cache (skips the work).
  const eval_result r = evaluate(R"(
__device__ float cache[4096 * 256];
__device__ int filled;
extern "C" __global__ void k(const float* x, const float* y, float* out, float a, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= n) return;
  if (!filled) cache[i] = a * x[i] + y[i];
  out[i] = cache[i];
  __threadfence();
  if (i == n - 1) filled = 1;
})",
                                 simple_plan("k"));
  EXPECT_EQ(r.status, tasks::evaluation_status::incorrect_numerical) << r.log;
}

TEST_F(EvaluatorGpu, ModifyingAnInputFails) {
  const eval_result r = evaluate(R"(
extern "C" __global__ void k(float* x, const float* y, float* out, float a, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) { out[i] = a * x[i] + y[i]; x[i] = 0.0f; }
})",
                                 simple_plan("k"));
  EXPECT_EQ(r.status, tasks::evaluation_status::runtime_error) << r.log;
  EXPECT_NE(r.log.find("input 'x' was modified"), std::string::npos) << r.log;
  expect_service_still_works();
}

TEST_F(EvaluatorGpu, AnIllegalAddressIsARuntimeErrorAndTheWorkerIsReplaced) {
  const eval_result r = evaluate(R"(
extern "C" __global__ void k(const float* x, const float* y, float* out, float a, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) out[i + (1LL << 40)] = a * x[i] + y[i];
})",
                                 simple_plan("k"));
  EXPECT_EQ(r.status, tasks::evaluation_status::runtime_error) << r.log;
  EXPECT_NE(r.log.find("CUDA_ERROR_ILLEGAL_ADDRESS"), std::string::npos) << r.log;
  expect_service_still_works();
  EXPECT_GE(service_->restarts(), 1);
}

TEST_F(EvaluatorGpu, ATrapIsARuntimeError) {
  const eval_result r = evaluate(R"(
extern "C" __global__ void k(const float*, const float*, float*, float, long long) { __trap(); })",
                                 simple_plan("k"));
  EXPECT_EQ(r.status, tasks::evaluation_status::runtime_error) << r.log;
  expect_service_still_works();
}

TEST_F(EvaluatorGpu, AKernelThatNeverEndsTimesOut) {
  // Waits on a flag nobody sets; the atomic read is a side effect, so the loop cannot be removed.
  const eval_result r = evaluate(R"(
__device__ int never_set;
extern "C" __global__ void k(const float*, const float*, float* out, float, long long) {
  while (atomicAdd(&never_set, 0) == 0) { }
  out[0] = 0;
})",
                                 simple_plan("k"));
  EXPECT_EQ(r.status, tasks::evaluation_status::timeout) << r.log;
  expect_service_still_works();
}

TEST_F(EvaluatorGpu, ImpossibleLaunchesAndBadPlansAreCompileErrors) {
  const char* source = R"(extern "C" __global__ void k(const float*, const float*, float*, float, long long) {})";
  const eval_result threads = evaluate(source, R"({"steps": [{"kernel": "k", "grid": [1], "block": [2048],
      "args": ["x", "y", "out", "alpha", {"i64": "rows"}]}]})");
  EXPECT_EQ(threads.status, tasks::evaluation_status::compile_error) << threads.log;
  EXPECT_NE(threads.log.find("2048"), std::string::npos) << threads.log;

  const eval_result smem = evaluate(source, R"({"steps": [{"kernel": "k", "grid": [1], "block": [32], "dyn_smem": 1048576,
      "args": ["x", "y", "out", "alpha", {"i64": "rows"}]}]})");
  EXPECT_EQ(smem.status, tasks::evaluation_status::compile_error) << smem.log;

  const eval_result missing = evaluate(source, simple_plan("not_there"));
  EXPECT_EQ(missing.status, tasks::evaluation_status::compile_error) << missing.log;
  EXPECT_NE(missing.log.find("not_there"), std::string::npos) << missing.log;

  const eval_result unknown = evaluate(source, R"({"steps": [{"kernel": "k", "grid": ["bsz"], "block": [32], "args": []}]})");
  EXPECT_EQ(unknown.status, tasks::evaluation_status::compile_error) << unknown.log;
  EXPECT_NE(unknown.log.find("bsz"), std::string::npos) << unknown.log;
  expect_service_still_works();
}

TEST_F(EvaluatorGpu, ArgumentsThatDoNotMatchTheKernelsParametersAreCompileErrors) {
  const char* source = R"(extern "C" __global__ void k(const float* x, const float* y, float* out, float a, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) out[i] = a * x[i] + y[i];
})";
  // n is a long long; an i32 would leave its upper 4 bytes to chance.
  const eval_result narrow = evaluate(source, R"json({"steps": [{"kernel": "k", "grid": ["ceil_div(rows * dim, 256)"],
      "block": [256], "args": ["x", "y", "out", "alpha", {"i32": "rows * dim"}]}]})json");
  EXPECT_EQ(narrow.status, tasks::evaluation_status::compile_error) << narrow.log;
  EXPECT_NE(narrow.log.find("argument 5 is i32 (4 bytes), but parameter 5 of the kernel is 8 bytes"), std::string::npos)
      << narrow.log;

  const eval_result too_few = evaluate(source, R"json({"steps": [{"kernel": "k", "grid": [1], "block": [32],
      "args": ["x", "y", "out", "alpha"]}]})json");
  EXPECT_EQ(too_few.status, tasks::evaluation_status::compile_error) << too_few.log;
  EXPECT_NE(too_few.log.find("passes 4 arguments, the kernel takes 5 parameters"), std::string::npos) << too_few.log;
  expect_service_still_works();
}

TEST_F(EvaluatorGpu, IncludingHostFilesIsRefused) {
  const eval_result r = evaluate("#include \"/etc/hostname\"\n" + std::string(R"(
extern "C" __global__ void k(const float*, const float*, float*, float, long long) {})"),
                                 simple_plan("k"));
  EXPECT_EQ(r.status, tasks::evaluation_status::compile_error) << r.log;
  EXPECT_NE(r.log.find("refused"), std::string::npos) << r.log;
  EXPECT_EQ(r.log.find("localhost"), std::string::npos) << "host file content leaked into the log";
}

TEST_F(EvaluatorGpu, ASyntaxErrorIsACompileErrorWithTheLine) {
  const eval_result r = evaluate("extern \"C\" __global__ void k(const float* x) { x[0] = ; }\n", simple_plan("k"));
  EXPECT_EQ(r.status, tasks::evaluation_status::compile_error) << r.log;
  EXPECT_NE(r.log.find("kernel.cu(1)"), std::string::npos) << r.log;
}

// Timing defences (issue 19). The honest kernel spins 100 us before its work, so a call it
// skips is far cheaper than one it computes: a cheat either fails or is timed at the real cost.
constexpr const char* slow_scale_add = R"(
extern "C" __global__ void k(const float* x, const float* y, float* out, float a, long long n) {
  unsigned long long start, now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do { asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now)); } while (now - start < 100000ULL);
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) out[i] = a * x[i] + y[i];
})";

TEST_F(EvaluatorGpu, KernelsThatSkipCallsTheyGuessAreUncheckedFailOrAreTimedAtTheirRealCost) {
  const eval_result honest = evaluate(slow_scale_add, simple_plan("k"), "slow");
  ASSERT_EQ(honest.status, tasks::evaluation_status::passed) << honest.log;
  for (const test_support::skip_when when :
       {test_support::skip_when::inputs_unchanged, test_support::skip_when::output_already_right,
        test_support::skip_when::calls_back_to_back}) {
    const solution_code cheat =
        test_support::skipping_cheat({"slow", slow_scale_add, simple_plan("k")}, when, "x", "out");
    const eval_result r = evaluate(cheat.source, cheat.plan_json, cheat.name);
    const double cheat_ms = r.workloads.empty() ? 0 : r.workloads.back().latency_ms;
    test_support::expect_caught_or_paid(when, std::string(tasks::to_string(r.status)), r.log, cheat_ms,
                                        honest.workloads.back().latency_ms);
  }
  expect_service_still_works();
}

TEST_F(EvaluatorGpu, ReadingSharedMemoryNobodyWroteFailsEveryTime) {
  // Adds 0 times a shared-memory slot it never wrote: harmless only while that slot holds a number.
  constexpr const char* unwritten_smem = R"(
extern "C" __global__ void k(const float* x, const float* y, float* out, float a, long long n) {
  __shared__ float never_written[256];
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) out[i] = a * x[i] + y[i] + 0.0f * never_written[threadIdx.x];
})";
  for (int run = 0; run < 3; ++run) {
    const eval_result r = evaluate(unwritten_smem, simple_plan("k"));
    EXPECT_EQ(r.status, tasks::evaluation_status::incorrect_numerical) << "run " << run << ": " << r.log;
    EXPECT_NE(r.log.find("trial 1 of"), std::string::npos) << "run " << run << ": " << r.log;
  }
  expect_service_still_works();
}

TEST_F(EvaluatorGpu, ReadingAWorkspaceWithoutInitBeforeWritingItFails) {
  constexpr const char* plan = R"json({"workspaces": [{"name": "scratch", "bytes": "rows * dim * 4"}],
      "steps": [{"kernel": "k", "grid": ["ceil_div(rows * dim, 256)"], "block": [256],
                 "args": ["x", "y", "out", "scratch", "alpha", {"i64": "rows * dim"}]}]})json";
  const eval_result r = evaluate(R"(
extern "C" __global__ void k(const float* x, const float* y, float* out, float* scratch, float a, long long n) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) { out[i] = a * x[i] + y[i] + 0.0f * scratch[i]; scratch[i] = 0.0f; }
})",
                                 plan);
  EXPECT_EQ(r.status, tasks::evaluation_status::incorrect_numerical) << r.log;
  EXPECT_NE(r.log.find("trial 1 of"), std::string::npos) << r.log;
}

TEST_F(EvaluatorGpu, ACompileBombEndsAsACompileErrorWithinItsLimit) {
  request_.config.compile.time = std::chrono::seconds(3);
  const auto start = std::chrono::steady_clock::now();
  const eval_result r = evaluate(R"(#define A(x) x x x x x x x x x x
#define B(x) A(A(A(x)))
#define C(x) B(B(x))
extern "C" __global__ void k(const float*, const float*, float* out, float, long long) { C(out[threadIdx.x] += threadIdx.x * 3 + 1;) })",
                                 simple_plan("k"));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.status, tasks::evaluation_status::compile_error) << r.log;
  EXPECT_NE(r.log.find("within 3 s"), std::string::npos) << r.log;
  EXPECT_LT(seconds, 15.0) << "the compile limit is 3 s";
  request_.config.compile = {};
  expect_service_still_works();
}

}  // namespace
}  // namespace ksearch::eval
