// The evaluation pool without a GPU: shares merged in request order, and real worker processes
// (the test worker's stand-in evaluator) spread over, shared by candidates evaluated at the same
// time, killed from outside and replaced.
#include "ksearch/eval/isolation/evaluation_pool.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ksearch/cli/run_options.h"
#include "ksearch/tasks/dataset_scan.h"

namespace ksearch::eval {
namespace {

workload_result passed(const std::string& uuid, double latency) {
  workload_result w;
  w.uuid = uuid;
  w.latency_ms = latency;
  return w;
}

TEST(EvaluationPool, SharesMergeInRequestOrderAndTheFirstFailureInThatOrderSpeaks) {
  // Shares {0, 2, 4} and {1, 3}; workloads 3 and 4 fail.
  eval_result a, b;
  a.workloads = {passed("w0", 1), passed("w2", 3), passed("w4", 5)};
  a.workloads[2].status = tasks::evaluation_status::incorrect_shape;
  a.workloads[2].log = "shape";
  a.status = tasks::evaluation_status::incorrect_shape;
  a.compile_ms = 40;
  b.workloads = {passed("w1", 2), passed("w3", 4)};
  b.workloads[1].status = tasks::evaluation_status::incorrect_numerical;
  b.workloads[1].log = "numbers";
  b.status = tasks::evaluation_status::incorrect_numerical;
  b.compile_ms = 70;
  const eval_result merged = merge_shares({a, b}, {{0, 2, 4}, {1, 3}});
  ASSERT_EQ(merged.workloads.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(merged.workloads[i].uuid, "w" + std::to_string(i));
  EXPECT_EQ(merged.status, tasks::evaluation_status::incorrect_numerical) << "w3 comes before w4";
  EXPECT_EQ(merged.log, "workload w3: numbers");
  EXPECT_DOUBLE_EQ(merged.compile_ms, 70);

  eval_result crashed;
  crashed.status = tasks::evaluation_status::runtime_error;
  crashed.log = "the evaluation worker died";
  const eval_result with_crash = merge_shares({a, crashed}, {{0, 2, 4}, {1, 3}});
  EXPECT_EQ(with_crash.status, tasks::evaluation_status::runtime_error) << "a share that failed before its workloads speaks first";
  EXPECT_EQ(with_crash.log, "the evaluation worker died");

  const eval_result all_good = merge_shares({eval_result{.workloads = {passed("w0", 1)}}}, {{0}});
  EXPECT_TRUE(all_good.passed());
}

eval_request request_with(int workloads, const std::string& candidate_name) {
  auto entry = tasks::load_dataset_definition(std::filesystem::path(KSEARCH_TEST_DATA_DIR) / "flashinfer-mini", "scale_add_d256");
  EXPECT_TRUE(entry.has_value()) << entry.error().to_string();
  eval_request r;
  r.definition = entry->def;
  for (int i = 0; i < workloads; ++i) {
    tasks::workload w = entry->workloads[0];
    w.uuid = "w" + std::to_string(i);
    r.workloads.push_back(w);
  }
  r.candidate = {candidate_name, "// unused by the test worker", "{}"};
  return r;
}

evaluation_pool_options test_workers(int count) {
  evaluation_pool_options o;
  o.worker.worker_argv = {KSEARCH_TEST_WORKER};
  o.worker.timeout = std::chrono::seconds(30);
  for (int d = 0; d < count; ++d) o.devices.push_back(d);
  return o;
}

TEST(EvaluationPool, SpreadsWorkloadsOverItsWorkersAndMergesThem) {
  auto pool = evaluation_pool::create(test_workers(2));
  ASSERT_TRUE(pool.has_value()) << pool.error().to_string();
  ASSERT_EQ((*pool)->size(), 2u);
  auto r = (*pool)->evaluate(request_with(5, "sleep:300"));
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  ASSERT_TRUE(r->passed()) << r->log;
  ASSERT_EQ(r->workloads.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(r->workloads[i].uuid, "w" + std::to_string(i));
  // Five workloads of 300 ms each on two workers: both took some, together all five.
  const std::vector<worker_usage> usage = (*pool)->usage();
  EXPECT_EQ(usage[0].evaluations + usage[1].evaluations, 5);
  for (const worker_usage& u : usage) EXPECT_GE(u.busy_ms, 600) << "device " << u.device;

  // After a failing workload no new one starts; the first failure in request order speaks.
  eval_request failing = request_with(6, "sleep:200");
  failing.workloads[1].uuid = "fail-1";
  auto failed = (*pool)->evaluate(failing);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->status, tasks::evaluation_status::incorrect_numerical);
  EXPECT_EQ(failed->log.rfind("workload fail-1", 0), 0u) << failed->log;
  EXPECT_LT(failed->workloads.size(), 6u) << "workloads after the failure were not started";
}

// Evaluates `requests` at once, one caller thread each, released together.
std::vector<result<eval_result>> evaluate_at_once(evaluation_pool& pool, const std::vector<eval_request>& requests) {
  std::latch go(static_cast<std::ptrdiff_t>(requests.size()));
  std::vector<std::optional<result<eval_result>>> outcomes(requests.size());
  std::vector<std::thread> callers;
  for (std::size_t c = 0; c < requests.size(); ++c) {
    callers.emplace_back([&, c] {
      go.arrive_and_wait();
      outcomes[c] = pool.evaluate(requests[c]);
    });
  }
  for (std::thread& t : callers) t.join();
  std::vector<result<eval_result>> out;
  for (auto& o : outcomes) out.push_back(std::move(*o));
  return out;
}

// Candidate `c`'s request: one workload, uuid "c<c>", run for `sleep_ms` by the stand-in.
eval_request single_workload(int c, int sleep_ms) {
  eval_request r = request_with(1, "sleep:" + std::to_string(sleep_ms));
  r.workloads[0].uuid = "c" + std::to_string(c);
  return r;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

TEST(EvaluationPool, TwoCandidatesEvaluatedAtOnceEachGetAWorkerOfTheirOwn) {
  auto pool = evaluation_pool::create(test_workers(2));
  ASSERT_TRUE(pool.has_value()) << pool.error().to_string();
  const auto start = std::chrono::steady_clock::now();
  const std::vector<result<eval_result>> results = evaluate_at_once(**pool, {single_workload(0, 1000), single_workload(1, 1000)});
  const double elapsed_ms = ms_since(start);
  for (std::size_t c = 0; c < 2; ++c) {
    ASSERT_TRUE(results[c].has_value()) << results[c].error().to_string();
    ASSERT_TRUE(results[c]->passed()) << results[c]->log;
    ASSERT_EQ(results[c]->workloads.size(), 1u);
    EXPECT_EQ(results[c]->workloads[0].uuid, "c" + std::to_string(c)) << "each caller got its own result";
  }
  // A single workload's reply is unmerged: its log is the pid of the worker that ran it.
  EXPECT_NE(results[0]->log, results[1]->log) << "the two candidates ran in different worker processes";
  for (const worker_usage& u : (*pool)->usage()) {
    EXPECT_EQ(u.evaluations, 1) << "device " << u.device;
    EXPECT_GE(u.busy_ms, 1000) << "device " << u.device;
  }
  EXPECT_LT(elapsed_ms, 1900) << "two 1 s evaluations on two workers ran side by side, not one after the other";
}

TEST(EvaluationPool, ThreeCandidatesOnTwoWorkersAllCompleteOneWaitingForAFreeWorker) {
  auto pool = evaluation_pool::create(test_workers(2));
  ASSERT_TRUE(pool.has_value()) << pool.error().to_string();
  // usage() is read while the evaluations run: counts only grow, never past the three.
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    int seen = 0;
    while (!done) {
      int total = 0;
      for (const worker_usage& u : (*pool)->usage()) total += u.evaluations;
      EXPECT_GE(total, seen);
      EXPECT_LE(total, 3);
      seen = total;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const auto start = std::chrono::steady_clock::now();
  const std::vector<result<eval_result>> results =
      evaluate_at_once(**pool, {single_workload(0, 500), single_workload(1, 500), single_workload(2, 500)});
  const double elapsed_ms = ms_since(start);
  done = true;
  watcher.join();
  std::set<std::string> pids;
  for (std::size_t c = 0; c < 3; ++c) {
    ASSERT_TRUE(results[c].has_value()) << results[c].error().to_string();
    ASSERT_TRUE(results[c]->passed()) << results[c]->log;
    ASSERT_EQ(results[c]->workloads.size(), 1u);
    EXPECT_EQ(results[c]->workloads[0].uuid, "c" + std::to_string(c));
    pids.insert(results[c]->log);
  }
  EXPECT_EQ(pids.size(), 2u) << "the three ran on the pool's two workers";
  const std::vector<worker_usage> usage = (*pool)->usage();
  EXPECT_EQ(usage[0].evaluations + usage[1].evaluations, 3);
  for (const worker_usage& u : usage) EXPECT_GE(u.evaluations, 1) << "device " << u.device;
  EXPECT_GE(elapsed_ms, 1000) << "a worker runs one evaluation at a time: the third waited for one to be free";
}

TEST(EvaluationPool, ACandidateWithoutAWorkerGetsTheNextFreeOneBeforeABusyCandidatesNextWorkload) {
  auto pool = evaluation_pool::create(test_workers(2));
  ASSERT_TRUE(pool.has_value()) << pool.error().to_string();
  // A's eight 300 ms workloads take both workers; B arrives 100 ms later with one workload. B
  // gets the first worker freed (~300 ms) and ends near 600 ms; A ends near 1500 ms. Without
  // B's priority A's threads, which free the workers and claim again at once, often win them
  // until A runs out of workloads (~1200 ms), and B ends after A (seen in 2 runs of 5).
  const auto start = std::chrono::steady_clock::now();
  std::optional<result<eval_result>> a, b;
  double a_done_ms = 0, b_done_ms = 0;
  std::thread first([&] {
    a = (*pool)->evaluate(request_with(8, "sleep:300"));
    a_done_ms = ms_since(start);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  b = (*pool)->evaluate(single_workload(0, 300));
  b_done_ms = ms_since(start);
  first.join();
  ASSERT_TRUE(a->has_value()) << (*a).error().to_string();
  ASSERT_TRUE((*a)->passed()) << (*a)->log;
  ASSERT_EQ((*a)->workloads.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ((*a)->workloads[i].uuid, "w" + std::to_string(i));
  ASSERT_TRUE(b->has_value()) << (*b).error().to_string();
  ASSERT_TRUE((*b)->passed()) << (*b)->log;
  EXPECT_EQ((*b)->workloads.at(0).uuid, "c0");
  EXPECT_LT(b_done_ms, a_done_ms) << "B waited for A's last workload";
  const std::vector<worker_usage> usage = (*pool)->usage();
  EXPECT_EQ(usage[0].evaluations + usage[1].evaluations, 9);
}

TEST(EvaluationPool, AWorkerKilledMidEvaluationIsReplacedAndTheEvaluationRunsAgain) {
  auto pool = evaluation_pool::create(test_workers(1));
  ASSERT_TRUE(pool.has_value()) << pool.error().to_string();
  const int victim = (*pool)->worker(0).worker_pid();
  ASSERT_GT(victim, 0);
  std::thread killer([victim] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(victim, SIGKILL);
  });
  auto r = (*pool)->evaluate(request_with(2, "sleep:1500"));
  killer.join();
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_TRUE(r->passed()) << r->log;
  EXPECT_EQ(r->workloads.size(), 2u);
  EXPECT_NE(r->log, std::to_string(victim)) << "the reply came from the replacement";
  EXPECT_EQ((*pool)->usage()[0].restarts, 1);
}

// Workers started through srun on a single-node Slurm on loopback (Debian's slurmd and slurmctld,
// results/multi-gpu/ says how it was set up); skipped where no Slurm controller answers.
TEST(EvaluationPool, WorkersStartThroughSrunAndSpeakTheProtocolOverStdio) {
  if (std::system("command -v srun > /dev/null 2>&1 && timeout 10 sinfo -h > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no Slurm here (srun missing or no controller answering sinfo)";
  }
  evaluation_pool_options o = test_workers(2);
  o.worker.launcher = {"srun", "-u", "--ntasks=1", "--quiet"};
  o.worker.worker_argv = {KSEARCH_TEST_WORKER, "--protocol", "stdio"};
  auto pool = evaluation_pool::create(o);
  ASSERT_TRUE(pool.has_value()) << pool.error().to_string();
  auto r = (*pool)->evaluate(request_with(4, "sleep:100"));
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  ASSERT_TRUE(r->passed()) << r->log;
  ASSERT_EQ(r->workloads.size(), 4u);
  // One workload goes to worker 0 alone, whose reply (unmerged) says where it ran.
  auto one = (*pool)->evaluate(request_with(1, "fast"));
  ASSERT_TRUE(one.has_value()) << one.error().to_string();
  EXPECT_NE(one->log.find("slurm job"), std::string::npos) << "the worker ran as a Slurm job step: " << one->log;
}

TEST(EvaluationPool, TheWorkerFlagsChooseDevicesAndLauncher) {
  auto one = cli::evaluation_workers(3, /*parallel=*/false, 0, "", 60);
  ASSERT_TRUE(one.has_value());
  EXPECT_TRUE(one->devices.empty());
  EXPECT_EQ(one->worker.device, 3);
  EXPECT_EQ(one->worker.timeout, std::chrono::seconds(60));
  auto slurm = cli::evaluation_workers(0, /*parallel=*/true, 4, "srun  --gres=gpu:1 --ntasks=1", 60);
  ASSERT_TRUE(slurm.has_value());
  EXPECT_EQ(slurm->devices, (std::vector<int>{0, 0, 0, 0})) << "each launched worker sees its GPU as device 0";
  EXPECT_EQ(slurm->worker.launcher, (std::vector<std::string>{"srun", "--gres=gpu:1", "--ntasks=1"}));
}

}  // namespace
}  // namespace ksearch::eval
