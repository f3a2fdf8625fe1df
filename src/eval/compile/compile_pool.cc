#include "ksearch/eval/compile/compile_pool.h"

#include <algorithm>
#include <utility>

#include "ksearch/eval/compile/cubin_cache.h"

namespace ksearch::eval {

compile_pool::compile_pool(cubin_cache* cache, unsigned threads, compile_limits limits)
    : compile_pool([cache, limits](const compile_request& request) { return compile_cached(request, cache, limits); },
                   threads) {}

compile_pool::compile_pool(compile_function compile, unsigned threads) : compile_(std::move(compile)) {
  if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
  workers_.reserve(threads);
  try {
    for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  } catch (...) {
    // No destructor runs for a half-built pool: the threads already started must be joined here.
    stop_and_join();
    throw;
  }
}

compile_pool::~compile_pool() { stop_and_join(); }

void compile_pool::stop_and_join() {
  {
    const std::scoped_lock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

std::future<result<compile_output>> compile_pool::submit(compile_request request) {
  // The task owns its request, so the caller's copy may go away before the compile starts.
  job task([this, request = std::move(request)] { return compile_(request); });
  std::future<result<compile_output>> done = task.get_future();
  {
    const std::scoped_lock lock(mutex_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return done;
}

std::vector<result<compile_output>> compile_pool::compile_all(std::vector<compile_request> requests) {
  std::vector<std::future<result<compile_output>>> pending;
  pending.reserve(requests.size());
  for (compile_request& request : requests) pending.push_back(submit(std::move(request)));
  std::vector<result<compile_output>> results;
  results.reserve(pending.size());
  for (auto& future : pending) results.push_back(future.get());
  return results;
}

void compile_pool::work() {
  for (;;) {
    job task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      // Stopping with work queued: finish it first (the destructor promises that).
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();  // a packaged_task stores the result, or the exception, in its future
  }
}

}  // namespace ksearch::eval
