// ksearch/eval/gpu/activity_ledger.h — sorts GPU activity records into the timed calls they belong to.
//
// CUPTI (eval/gpu/activity_clock.h) reports two kinds of record, in any order and in batches:
//   - an external correlation: API call `correlation` was made while the timer had pushed
//     `external_id` (one id per timed call);
//   - a GPU activity: the kernel, memset or copy queued by API call `correlation` ran from
//     start_ns to end_ns (GPU timestamps).
// take(id) joins them: the span of the call's GPU work, from its first activity's start to its
// last's end, which is what FlashInfer-Bench's CUPTI timing reports per call. Work queued outside
// any call (the L2 flush, poisoning outputs) has no external id and is dropped.
// No CUDA here: pure bookkeeping, tested on the CPU.
// Thread-safety: none; activity_clock serialises access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ksearch::eval {

struct gpu_activity {
  std::uint32_t correlation = 0;
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
};

struct activity_span {
  std::size_t activities = 0;  // kernels, memsets and copies of the call; 0: CUPTI reported none
  std::uint64_t first_start_ns = 0;
  std::uint64_t last_end_ns = 0;
  [[nodiscard]] double milliseconds() const { return static_cast<double>(last_end_ns - first_start_ns) * 1e-6; }
};

class activity_ledger {
 public:
  void add_correlation(std::uint32_t correlation, std::uint64_t external_id);
  void add_activity(const gpu_activity& activity);
  /// The span of every activity recorded so far for `external_id`. Forgets them, and every
  /// activity that belongs to no external id; activities of other ids stay for their own take().
  [[nodiscard]] activity_span take(std::uint64_t external_id);
  /// Activities held for later take() calls, for tests and leak checks.
  [[nodiscard]] std::size_t pending() const { return activities_.size(); }

 private:
  std::unordered_map<std::uint32_t, std::uint64_t> external_of_;  // correlation -> external id
  std::vector<gpu_activity> activities_;
};

}  // namespace ksearch::eval
