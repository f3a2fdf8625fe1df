#include "ksearch/eval/evaluation_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <string>

namespace ksearch::eval {

struct evaluation_pool::state {
  std::vector<std::unique_ptr<evaluation_service>> services;
  std::vector<worker_usage> usage;
  std::shared_ptr<std::mutex> progress_lock;  // shared with the services' progress callbacks
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
    s->services.push_back(std::move(*service));
    s->usage.push_back(worker_usage{.device = device});
  }
  return std::unique_ptr<evaluation_pool>(new evaluation_pool(std::move(s)));
}

std::size_t evaluation_pool::size() const { return state_->services.size(); }

std::vector<worker_usage> evaluation_pool::usage() const {
  std::vector<worker_usage> out = state_->usage;
  for (std::size_t i = 0; i < out.size(); ++i) out[i].restarts = state_->services[i]->restarts();
  return out;
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
        std::any_of(r.workloads.begin(), r.workloads.end(), [](const workload_result& w) { return w.status != eval_status::passed; });
    if (!r.passed() && !workload_failed) {
      merged.status = r.status;
      merged.log = r.log;
      return merged;
    }
  }
  for (const workload_result& w : merged.workloads) {
    if (w.status == eval_status::passed) continue;
    merged.status = w.status;
    merged.log = "workload " + w.uuid + ": " + w.log;
    break;
  }
  return merged;
}

result<eval_result> evaluation_pool::evaluate(const eval_request& request) {
  state& s = *state_;
  auto run_on = [&s](std::size_t w, const eval_request& r) {
    const auto start = std::chrono::steady_clock::now();
    auto outcome = s.services[w]->evaluate(r);
    s.usage[w].busy_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    s.usage[w].evaluations += 1;
    return outcome;
  };
  const std::size_t n = request.workloads.size();
  const std::size_t k = std::min(s.services.size(), n);
  if (k <= 1) return run_on(0, request);

  // Workers take the next workload as they become free (workloads differ in cost by orders of
  // magnitude, so a fixed deal leaves GPUs idle); after a failure no new workload is started.
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::vector<std::optional<result<eval_result>>> outcomes(n);
  auto work = [&](std::size_t w) {
    for (std::size_t i = next++; i < n && !stop; i = next++) {
      eval_request one = request;
      one.workloads = {request.workloads[i]};
      outcomes[i] = run_on(w, one);
      if (!*outcomes[i] || !(*outcomes[i])->passed()) stop = true;
    }
  };
  std::vector<std::future<void>> others;
  for (std::size_t w = 1; w < k; ++w) others.push_back(std::async(std::launch::async, work, w));
  work(0);
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
