// The compile pool: real NVRTC compiles (no GPU needed) for its results, an injected compile
// function for its threading.
#include "ksearch/eval/compile/compile_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ksearch/eval/compile/cubin_cache.h"
#include "support/temp_dir.h"

namespace ksearch::eval {
namespace {

using namespace std::chrono_literals;

compile_request numbered_kernel(int n) {
  const std::string name = "k" + std::to_string(n);
  return {.source = "extern \"C\" __global__ void " + name + "(int* p) { p[threadIdx.x] = " + std::to_string(n * 7) +
                    "; }\n",
          .file_name = name + ".cu",
          .arch = "sm_90a",
          .extra_options = {}};
}

TEST(CompilePool, EightSourcesGiveTheSequentialResultsInSubmitOrder) {
  constexpr int kSources = 8;
  std::vector<compile_request> requests;
  for (int n = 0; n < kSources; ++n) requests.push_back(numbered_kernel(n));

  std::vector<result<compile_output>> sequential;
  for (const compile_request& request : requests) sequential.push_back(compile_cuda(request));
  compile_pool pool(nullptr, 4);
  ASSERT_EQ(pool.thread_count(), 4u);
  const std::vector<result<compile_output>> pooled = pool.compile_all(requests);

  ASSERT_EQ(pooled.size(), requests.size());
  for (int n = 0; n < kSources; ++n) {
    ASSERT_TRUE(sequential[n].has_value()) << sequential[n].error().to_string();
    ASSERT_TRUE(pooled[n].has_value()) << pooled[n].error().to_string();
    EXPECT_TRUE(pooled[n]->cubin == sequential[n]->cubin) << "source " << n;
    EXPECT_FALSE(pooled[n]->from_cache);
    ASSERT_EQ(pooled[n]->kernels.size(), 1u);
    EXPECT_EQ(pooled[n]->kernels[0].name, "k" + std::to_string(n)) << "results must come back in submit order";
    EXPECT_EQ(pooled[n]->kernels[0].registers, sequential[n]->kernels[0].registers);
  }
}

TEST(CompilePool, ErrorsComeBackInTheirPlace) {
  compile_pool pool(nullptr, 2);
  compile_request broken = numbered_kernel(1);
  broken.source = "extern \"C\" __global__ void k1(int* p) { p[0] = 1 }\n";
  const auto results = pool.compile_all({numbered_kernel(0), broken});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].has_value());
  ASSERT_FALSE(results[1].has_value());
  EXPECT_EQ(results[1].error().subject, "k1.cu");
}

TEST(CompilePool, GoesThroughTheCache) {
  test_support::temp_dir temp;
  cubin_cache cache(temp.path());
  compile_pool pool(&cache, 2);
  auto first = pool.submit(numbered_kernel(3)).get();
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_FALSE(first->from_cache);
  auto second = pool.submit(numbered_kernel(3)).get();
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  EXPECT_TRUE(second->from_cache);
  EXPECT_TRUE(second->cubin == first->cubin);
}

// Each call waits until `expected` calls are inside at once: only a pool whose workers really run
// side by side gets every call through; a serial one times out.
class rendezvous {
 public:
  explicit rendezvous(int expected) : expected_(expected) {}
  bool arrive_and_wait(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    ++arrived_;
    all_here_.notify_all();
    return all_here_.wait_for(lock, limit, [this] { return arrived_ >= expected_; });
  }

 private:
  const int expected_;
  int arrived_ = 0;
  std::mutex mutex_;
  std::condition_variable all_here_;
};

TEST(CompilePool, WorkersCompileAtTheSameTime) {
  rendezvous meeting(4);
  compile_pool pool(
      [&meeting](const compile_request& request) -> result<compile_output> {
        if (!meeting.arrive_and_wait(10s)) return fail(request.file_name, "the other workers never came");
        return compile_output{.cubin = request.source};
      },
      4);
  std::vector<compile_request> requests;
  for (int n = 0; n < 4; ++n) requests.push_back(numbered_kernel(n));
  const auto results = pool.compile_all(requests);
  for (int n = 0; n < 4; ++n) {
    ASSERT_TRUE(results[n].has_value()) << results[n].error().to_string();
    EXPECT_EQ(results[n]->cubin, requests[n].source);
  }
}

TEST(CompilePool, DestructionFinishesQueuedWork) {
  std::atomic<int> ran = 0;
  std::vector<std::future<result<compile_output>>> futures;
  {
    compile_pool pool(
        [&ran](const compile_request& request) -> result<compile_output> {
          std::this_thread::sleep_for(20ms);
          ++ran;
          return compile_output{.cubin = request.file_name};
        },
        1);
    for (int n = 0; n < 6; ++n) futures.push_back(pool.submit(numbered_kernel(n)));
  }  // most requests are still queued here
  EXPECT_EQ(ran.load(), 6);
  for (int n = 0; n < 6; ++n) {
    ASSERT_EQ(futures[n].wait_for(0s), std::future_status::ready) << n;
    auto done = futures[n].get();
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->cubin, "k" + std::to_string(n) + ".cu");
  }
}

TEST(CompilePool, AnExceptionReachesTheFuture) {
  compile_pool pool([](const compile_request&) -> result<compile_output> { throw std::runtime_error("boom"); }, 1);
  auto future = pool.submit(numbered_kernel(0));
  EXPECT_THROW(future.get(), std::runtime_error);
  // The worker survives and takes the next request.
  auto next = pool.submit(numbered_kernel(1));
  EXPECT_THROW(next.get(), std::runtime_error);
}

TEST(CompilePool, DefaultThreadCountIsTheHardwaresAtLeastOne) {
  compile_pool pool(nullptr);
  EXPECT_EQ(pool.thread_count(), std::max(1U, std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace ksearch::eval
