// ksearch/eval/compile/compile_pool.h — compiles several CUDA sources at once on a fixed set of threads.
//
// NVRTC programs are independent (see nvrtc_compiler.h), so N candidates compile in about the time
// of the slowest one when there are N cores. Every request goes through the cubin cache and a
// bounded child process (compile_cached), or through a compile function the caller gives (a seam
// for tests).
//
// Thread-safety: submit and compile_all may be called from several threads at once. The destructor
// finishes every request already submitted, then joins the threads; the futures it leaves stay
// valid. The cache, if any, must outlive the pool.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "ksearch/common/error.h"
#include "ksearch/eval/compile/compile_limits.h"
#include "ksearch/eval/compile/nvrtc_compiler.h"

namespace ksearch::eval {

class cubin_cache;

class compile_pool {
 public:
  using compile_function = std::function<result<compile_output>(const compile_request&)>;

  /// `threads` workers (0: std::thread::hardware_concurrency(), at least 1) compiling through
  /// `cache` (may be null: no cache; not owned), each compile bounded by `limits`.
  explicit compile_pool(cubin_cache* cache, unsigned threads = 0, compile_limits limits = {});
  /// No cache (`compile_pool pool(nullptr)` would otherwise be ambiguous).
  explicit compile_pool(std::nullptr_t, unsigned threads = 0, compile_limits limits = {})
      : compile_pool(static_cast<cubin_cache*>(nullptr), threads, limits) {}
  /// Workers that run `compile` instead; it must be callable from several threads at once.
  explicit compile_pool(compile_function compile, unsigned threads = 0);
  ~compile_pool();
  compile_pool(const compile_pool&) = delete;
  compile_pool& operator=(const compile_pool&) = delete;

  /// Queues `request`; requests start in submit order. The future holds the compile's result (an
  /// exception such as std::bad_alloc thrown by the compile is rethrown by its get()).
  [[nodiscard]] std::future<result<compile_output>> submit(compile_request request);

  /// Compiles every request and returns the results in the order of `requests`.
  [[nodiscard]] std::vector<result<compile_output>> compile_all(std::vector<compile_request> requests);

  [[nodiscard]] unsigned thread_count() const { return static_cast<unsigned>(workers_.size()); }

 private:
  using job = std::packaged_task<result<compile_output>()>;
  void work();
  void stop_and_join();

  compile_function compile_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> queue_;  // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_; set only by the destructor
  std::vector<std::thread> workers_;
};

}  // namespace ksearch::eval
