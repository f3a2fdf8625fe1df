#include "ksearch/eval/isolation/evaluation_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>

namespace ksearch::eval {

struct evaluation_pool::state {
  // One evaluate() call's hold on the workers.
  struct claimant {
    std::size_t held = 0;     // workers running its workloads now
    std::size_t waiting = 0;  // its threads waiting for a worker
    [[nodiscard]] bool starving() const { return held == 0 && waiting > 0; }
  };
  class lease;

  std::vector<std::unique_ptr<evaluation_service>> services;
  std::shared_ptr<std::mutex> progress_lock;  // shared with the services' progress callbacks

  std::mutex lock;  // guards what follows
  std::condition_variable freed;
  std::vector<std::size_t> free_workers;  // indices into services
  std::vector<worker_usage> usage;
  std::size_t starving = 0;  // calls that hold no worker and wait for one

  // Applies `change` to `who`, keeping `starving` up to date. Under `lock`.
  template <typename F>
  void update(claimant& who, F change) {
    if (who.starving()) --starving;
    change();
    if (who.starving()) ++starving;
  }

  // Waits for a free worker and takes it for `who`: `preferred` when free, else the lowest. A
  // call that holds none may take any free worker; one that holds some leaves one free worker
  // to each starving call, so concurrent candidates each get a GPU before one gets a second.
  // Gives up (nullopt) once `give_up` says so, checked whenever a worker is given back: a thread
  // whose call has no workload left must not hold the call's result back until a worker frees.
  std::optional<std::size_t> claim(claimant& who, std::optional<std::size_t> preferred,
                                   const std::function<bool()>& give_up = {}) {
    std::unique_lock<std::mutex> hold(lock);
    update(who, [&] { ++who.waiting; });
    const auto quit = [&] { return give_up && give_up(); };
    freed.wait(hold, [&] {
      return quit() || (!free_workers.empty() && (who.held == 0 || free_workers.size() > starving));
    });
    if (quit()) {
      update(who, [&] { --who.waiting; });
      hold.unlock();
      freed.notify_all();  // the call may no longer be starving: others may take a second worker
      return std::nullopt;
    }
    auto it = preferred ? std::find(free_workers.begin(), free_workers.end(), *preferred) : free_workers.end();
    if (it == free_workers.end()) it = std::min_element(free_workers.begin(), free_workers.end());
    const std::size_t w = *it;
    free_workers.erase(it);
    update(who, [&] {
      --who.waiting;
      ++who.held;
    });
    return w;  // a claim frees nothing: no waiter can go on because of it
  }

  // Gives worker `w` back from `who`, counting an evaluation of `busy_ms` when one ran.
  void give_back(claimant& who, std::size_t w, std::optional<double> busy_ms) {
    {
      const std::lock_guard<std::mutex> hold(lock);
      if (busy_ms) {
        usage[w].busy_ms += *busy_ms;
        usage[w].evaluations += 1;
      }
      usage[w].restarts = services[w]->restarts();  // read while no one else can run it
      free_workers.push_back(w);
      update(who, [&] { --who.held; });
    }
    freed.notify_all();  // waiters' conditions differ (starving or not): wake them all to check
  }
};

// A worker claimed for one call; given back, with the evaluation's usage, when the lease ends
// (also when the evaluation throws, so no worker is lost to other callers).
class evaluation_pool::state::lease {
 public:
  lease(state& s, claimant& who, std::size_t claimed) : s_(s), who_(who), index_(claimed) {}
  ~lease() { s_.give_back(who_, index_, busy_ms_); }
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;

  [[nodiscard]] result<eval_result> evaluate(const eval_request& r) {
    const auto start = std::chrono::steady_clock::now();
    auto outcome = s_.services[index_]->evaluate(r);
    busy_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return outcome;
  }

 private:
  state& s_;
  claimant& who_;
  std::size_t index_;
  std::optional<double> busy_ms_;
};

evaluation_pool::evaluation_pool(std::unique_ptr<state> s) : state_(std::move(s)) {}
evaluation_pool::~evaluation_pool() = default;

result<std::unique_ptr<evaluation_pool>> evaluation_pool::create(evaluation_pool_options options) {
  if (options.devices.empty()) options.devices = {options.worker.device};
  auto s = std::make_unique<state>();
  s->progress_lock = std::make_shared<std::mutex>();
  const bool several = options.devices.size() > 1;
  for (const int device : options.devices) {
    evaluation_service_options worker = options.worker;
    worker.device = device;
    if (options.worker.on_progress) {
      // Workers report from their own threads: one line at a time, saying which GPU.
      worker.on_progress = [lock = s->progress_lock, report = options.worker.on_progress, several,
                            prefix = "gpu " + std::to_string(device) + ": "](std::string_view text) {
        const std::lock_guard<std::mutex> hold(*lock);
        report(several ? prefix + std::string(text) : std::string(text));
      };
    }
    auto service = evaluation_service::create(std::move(worker));
    if (!service) {
      error e = service.error();
      e.subject = "evaluation worker for device " + std::to_string(device) + ": " + e.subject;
      return std::unexpected(std::move(e));
    }
    s->free_workers.push_back(s->services.size());
    s->usage.push_back(worker_usage{.device = device, .restarts = (*service)->restarts()});
    s->services.push_back(std::move(*service));
  }
  return std::unique_ptr<evaluation_pool>(new evaluation_pool(std::move(s)));
}

std::size_t evaluation_pool::size() const { return state_->services.size(); }

std::vector<worker_usage> evaluation_pool::usage() const {
  const std::lock_guard<std::mutex> hold(state_->lock);
  return state_->usage;
}

evaluation_service& evaluation_pool::worker(std::size_t index) { return *state_->services.at(index); }

eval_result merge_shares(const std::vector<eval_result>& shares, const std::vector<std::vector<std::size_t>>& share_indices) {
  eval_result merged;
  std::vector<std::pair<std::size_t, const workload_result*>> ordered;
  for (std::size_t s = 0; s < shares.size(); ++s) {
    const eval_result& r = shares[s];
    merged.compile_ms = std::max(merged.compile_ms, r.compile_ms);
    merged.load_wall_ms = std::max(merged.load_wall_ms, r.load_wall_ms);
    if (merged.kernels.empty()) merged.kernels = r.kernels;
    for (std::size_t j = 0; j < r.workloads.size(); ++j) ordered.emplace_back(share_indices[s][j], &r.workloads[j]);
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [index, w] : ordered) merged.workloads.push_back(*w);
  // A share that failed before any of its workloads failed (compile error, timeout, crash) speaks
  // first; otherwise the first failing workload in request order, as one worker would report it.
  for (const eval_result& r : shares) {
    const bool workload_failed =
        std::any_of(r.workloads.begin(), r.workloads.end(), [](const workload_result& w) { return w.status != tasks::evaluation_status::passed; });
    if (!r.passed() && !workload_failed) {
      merged.status = r.status;
      merged.log = r.log;
      return merged;
    }
  }
  for (const workload_result& w : merged.workloads) {
    if (w.status == tasks::evaluation_status::passed) continue;
    merged.status = w.status;
    merged.log = "workload " + w.uuid + ": " + w.log;
    break;
  }
  return merged;
}

result<eval_result> evaluation_pool::evaluate(const eval_request& request) {
  state& s = *state_;
  state::claimant me;
  const std::size_t n = request.workloads.size();
  const std::size_t k = std::min(s.services.size(), n);
  if (k <= 1) {
    state::lease worker(s, me, *s.claim(me, std::nullopt));
    return worker.evaluate(request);
  }

  // Each thread claims a worker for one workload at a time (workloads differ in cost by orders
  // of magnitude, so a fixed deal leaves GPUs idle, and other calls may be waiting for a GPU);
  // after a failure no new workload is started. The next index is taken only while holding a
  // worker, so a workload skipped after a failure always comes after the one that failed. Both
  // change while a worker is held, before it is given back: waiting threads see them then.
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  const std::function<bool()> nothing_left = [&] { return stop || next >= n; };
  std::vector<std::optional<result<eval_result>>> outcomes(n);
  auto work = [&] {
    std::optional<std::size_t> last;  // its cubins are already on that worker
    while (!nothing_left()) {
      const std::optional<std::size_t> claimed = s.claim(me, last, nothing_left);
      if (!claimed) break;
      state::lease worker(s, me, *claimed);
      last = claimed;
      const std::size_t i = next++;
      if (i >= n || stop) break;
      eval_request one = request;
      one.workloads = {request.workloads[i]};
      outcomes[i] = worker.evaluate(one);
      if (!*outcomes[i] || !(*outcomes[i])->passed()) stop = true;
    }
  };
  std::vector<std::future<void>> others;
  for (std::size_t t = 1; t < k; ++t) others.push_back(std::async(std::launch::async, work));
  work();
  for (auto& f : others) f.get();

  std::vector<eval_result> shares;
  std::vector<std::vector<std::size_t>> indices;
  for (std::size_t i = 0; i < n; ++i) {
    if (!outcomes[i]) continue;  // not started: a workload before it failed
    if (!*outcomes[i]) return std::unexpected(outcomes[i]->error());
    shares.push_back(std::move(**outcomes[i]));
    indices.push_back({i});
  }
  return merge_shares(shares, indices);
}

}  // namespace ksearch::eval
